internal import Foundation

/// A host pattern as Ansible's `--limit` and `hosts:` take it.
///
/// - Terms are separated by `,` or `:` (a `[...]` keeps its colons, a bare IPv6 address stays whole).
/// - A term is a host or group name, a glob (`web*`, `node0[1-3]`, `db?`), or a regular expression after
///   `~` (matched from the start of the name, as Python's `re.match`). `all` and `*` are every host.
/// - A term matching group names stands for all hosts of those groups and their children; a glob or
///   regex also matches host names. An optional subscript picks hosts of the result: `web[0]`,
///   `web[-1]`, `web[1:3]` (inclusive), `web[2:]`. As in Ansible, the old form `web[1-3]` is the
///   subscript `web[1:3]`, not a glob; a set that is not a trailing subscript (`web[!2]`, `web[1-3]*`)
///   is a glob.
/// - `&term` intersects, `!term` excludes. Plain terms are applied first (a union), then intersections,
///   then exclusions, whatever order they were written in; with no plain term the start is `all`.
/// - `@file` reads one pattern term per line from a file (blank lines and `#` comments skipped).
///
/// A plain or intersection term that matches no host and no group is an error that names it; an
/// exclusion that matches nothing is fine.
public struct HostPattern: Sendable, Hashable, CustomStringConvertible {
    public enum Operation: Sendable, Hashable {
        case union
        case intersection
        case exclusion
    }

    public struct Term: Sendable, Hashable, CustomStringConvertible {
        public var operation: Operation
        /// The term without its `&` or `!`.
        public var expression: String

        public var description: String {
            switch operation {
            case .union: return expression
            case .intersection: return "&" + expression
            case .exclusion: return "!" + expression
            }
        }
    }

    public let text: String
    /// Terms in evaluation order: unions, then intersections, then exclusions.
    public let terms: [Term]

    public var description: String { text }

    /// Parses a pattern; `@file` terms are read from disk (relative to the current directory).
    public init(_ text: String) throws {
        self.text = text
        var written: [String] = []
        for piece in Self.split(text) {
            if piece.hasPrefix("@") {
                let path = String(piece.dropFirst())
                guard !path.isEmpty else { throw InventoryError.invalidPattern(pattern: text, reason: "'@' needs a file name") }
                if FilePath.isDirectory(path) {
                    throw InventoryError.invalidPattern(pattern: text, reason: "'\(path)' is a directory, not a file of hosts")
                }
                let content = try FilePath.read(path)
                for line in content.split(whereSeparator: \.isNewline) {
                    let entry = line.trimmingWhitespace()
                    if entry.isEmpty || entry.hasPrefix("#") { continue }
                    written.append(entry)
                }
            } else {
                written.append(piece)
            }
        }
        var unions: [Term] = []
        var intersections: [Term] = []
        var exclusions: [Term] = []
        for piece in written {
            if piece.hasPrefix("!") {
                exclusions.append(Term(operation: .exclusion, expression: String(piece.dropFirst())))
            } else if piece.hasPrefix("&") {
                intersections.append(Term(operation: .intersection, expression: String(piece.dropFirst())))
            } else {
                unions.append(Term(operation: .union, expression: piece))
            }
        }
        for term in intersections + exclusions where term.expression.isEmpty {
            throw InventoryError.invalidPattern(pattern: text, reason: "'\(term)' has nothing after its '\(term.description.first!)'")
        }
        if unions.isEmpty { unions = [Term(operation: .union, expression: "all")] }
        self.terms = unions + intersections + exclusions
    }

    /// Ansible's `split_host_pattern`, except that `:` also separates inside comma-separated pieces.
    static func split(_ text: String) -> [String] {
        var result: [String] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = piece.trimmingWhitespace()
            if trimmed.isEmpty { continue }
            if HostRange.isIPv6(trimmed) || trimmed.hasPrefix("@") || trimmed.hasPrefix("~") {
                result.append(trimmed)
                continue
            }
            // Runs of anything but whitespace, ':', '[' and ']', or whole bracketed expressions.
            var current = ""
            var chars = Array(trimmed)[...]
            while let c = chars.first {
                if c == "[", let close = chars.firstIndex(of: "]") {
                    current += String(chars[...close])
                    chars = chars[(close + 1)...]
                    continue
                }
                chars = chars.dropFirst()
                if c == ":" || c == " " || c == "\t" || c == "[" || c == "]" {
                    if !current.isEmpty { result.append(current) }
                    current = ""
                } else {
                    current.append(c)
                }
            }
            if !current.isEmpty { result.append(current) }
        }
        return result
    }

    /// A trailing subscript `[n]`, `[-n]`, `[a:b]` or `[a:]`, as Ansible's `PATTERN_WITH_SUBSCRIPT`.
    static func splitSubscript(_ expression: String) -> (String, Subscript?) {
        guard !expression.hasPrefix("~"), expression.hasSuffix("]"), let open = expression.lastIndex(of: "["),
            open != expression.startIndex
        else { return (expression, nil) }
        let inner = expression[expression.index(after: open)..<expression.index(before: expression.endIndex)]
        let base = String(expression[..<open])
        if let n = Int(inner), inner.allSatisfy({ $0.isASCIIDigit || $0 == "-" }) { return (base, .index(n)) }
        // Ansible still reads the old `[x-y]` form as the subscript `[x:y]` (with a deprecation warning).
        let separator: Character = inner.contains(":") ? ":" : "-"
        let parts = inner.split(separator: separator, maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2, let start = Int(parts[0]), parts[0].allSatisfy(\.isASCIIDigit),
            parts[1].allSatisfy(\.isASCIIDigit)
        {
            return (base, .range(start, parts[1].isEmpty ? nil : Int(parts[1])))
        }
        return (expression, nil)
    }

    enum Subscript: Equatable {
        case index(Int)
        /// Inclusive; `nil` end is the last host.
        case range(Int, Int?)
    }
}
