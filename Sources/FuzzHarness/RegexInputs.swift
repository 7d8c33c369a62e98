import FlotillaRegex

enum RegexInputs {
    /// The first line is the pattern, the rest the text: compiled and matched both ways, under the standard limits.
    static func match(_ input: [UInt8]) {
        let split = input.firstIndex(of: UInt8(ascii: "\n")) ?? input.endIndex
        let pattern = String(decoding: input[..<split], as: UTF8.self)
        let subject = String(decoding: input[split...].dropFirst(), as: UTF8.self)
        guard let regex = try? BoundedRegex(pattern) else { return }
        _ = try? regex.search(subject)
        _ = try? regex.matchesPrefix(subject)
    }
}
