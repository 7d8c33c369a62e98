import FlotillaCore
/// A host definition as both inventory formats write it: a name with optional ranges and `:port`.
enum HostDefinition {
    /// The hosts a definition stands for, each with its port; records an error in `builder` and returns
    /// `nil` when the definition is bad. `literal` says the text is exactly as written in the file, so that
    /// an error can point at the offending `[`.
    static func expand(
        _ text: String, literal: Bool, at location: FileLocation, into builder: inout InventoryBuilder
    ) -> [(String, Int?)]? {
        let split = HostRange.splitPort(text)
        if split.danglingColon {
            builder.errors.append(
                .syntax(location, expected: "a port number after ':'", found: "'\(text)'"))
            return nil
        }
        if split.name.trimmingWhitespace() == "---" {
            builder.errors.append(
                .syntax(location, expected: "a host name (this looks like a YAML file)", found: "'---'"))
            return nil
        }
        if split.name.isEmpty {
            builder.errors.append(.syntax(location, expected: "a host name", found: "'\(text)'"))
            return nil
        }
        do {
            return try HostRange.expand(split.name).map { ($0, split.port) }
        } catch {
            var at = location
            if literal, text.hasPrefix(split.name) { at.column += error.offset }
            builder.errors.append(
                error.unterminated
                    ? .unterminatedRange(at, name: text) : .invalidRange(at, name: text, reason: error.reason))
            return nil
        }
    }
}
