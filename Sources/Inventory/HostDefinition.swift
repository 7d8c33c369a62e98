import FlotillaCore
/// A host definition as both inventory formats write it: a name with optional ranges and `:port`.
enum HostDefinition {
    /// The longest host name, and the longest host definition with its ranges (a range never expands to
    /// more characters than it is written with): 255 characters, a DNS name's limit and then some.
    static let maxNameLength = 255

    /// How many host entries an inventory may define in all, after range expansion (a host named in three
    /// groups counts three times): loading time and memory stay bounded whatever the files repeat.
    static let maxHostEntries = 200_000

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
        if split.name.count > maxNameLength {
            builder.errors.append(.limitExceeded(
                location, what: "the host name '\(split.name.prefix(40))…' is \(split.name.count) characters long",
                limit: "\(maxNameLength) characters"))
            return nil
        }
        if builder.hostEntriesExceeded { return nil }
        do {
            let names = try HostRange.expand(split.name)
            builder.hostEntries += names.count
            if builder.hostEntries > maxHostEntries {
                builder.hostEntriesExceeded = true
                builder.errors.append(.limitExceeded(
                    location, what: "'\(text.prefix(60))' takes the inventory past \(maxHostEntries) host entries",
                    limit: "\(maxHostEntries) host entries, counted after ranges (a host in several groups counts once per group)"))
                return nil
            }
            return names.map { ($0, split.port) }
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
