public import FlotillaCore
import Foundation

/// A playbook string that may contain `{{ variable }}` references, with where it was written.
public struct Template: Sendable, Codable, Hashable, CustomStringConvertible {
    public var raw: String
    public var position: FileLocation

    public init(_ raw: String, at position: FileLocation) {
        self.raw = raw
        self.position = position
    }

    public var description: String { raw }

    /// True when the text has no `{{`: its value is the same on every host.
    public var isLiteral: Bool { !raw.contains("{{") }

    /// The variable names referenced, in order.
    public var variables: [String] { (try? pieces().compactMap { if case .variable(let v) = $0 { v } else { nil } }) ?? [] }

    enum Piece { case text(String), variable(String) }

    func pieces() throws(PlanError) -> [Piece] {
        var out: [Piece] = []
        var rest = Substring(raw)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { out.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw .invalid(position, message: "'{{' without a closing '}}' in \"\(raw)\"")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmed(" \t")
            let valid = !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && !(name.first!.isNumber)
            guard valid else {
                throw .invalid(position, message: "'{{ \(name) }}' is not a variable name (letters, digits and _ only; no filters or expressions)")
            }
            out.append(.variable(name))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { out.append(.text(String(rest))) }
        return out
    }

    /// The text with every variable replaced by the host's value.
    public func resolve(_ vars: [String: String], host: String) throws(PlanError) -> String {
        if isLiteral { return raw }
        var out = ""
        for piece in try pieces() {
            switch piece {
            case .text(let t): out += t
            case .variable(let name):
                guard let value = vars[name] else { throw .unknownVariable(position, name: name, host: host) }
                out += value
            }
        }
        return out
    }
}

extension StringProtocol {
    func trimmed(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
