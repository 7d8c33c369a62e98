import FlotillaCore
import Yams

/// A YAML mapping's entries by key, with where each key was written.
struct Fields {
    var context: String
    var position: FileLocation
    var entries: [String: (keyPosition: FileLocation, node: Node)]
    var order: [String]

    subscript(key: String) -> Node? { entries[key]?.node }
    func has(_ key: String) -> Bool { entries[key] != nil }
}

/// Reads Yams nodes against a schema, keeping positions for every message. Unknown keys are collected
/// (so one run reports all of them); wrong values stop the reading of that file.
struct YAMLReader {
    let file: String
    var diagnostics: [PlanError] = []

    init(file: String) { self.file = file }

    /// Ansible's keys that Flotilla spells differently, so the message points at the right one.
    static let ansibleHints: [String: String] = [
        "serial": "rollout.serial", "max_fail_percentage": "rollout.max_failures", "any_errors_fatal": "rollout.max_failures",
        "become": "the inventory's ansible_become", "gather_facts": "nothing (Flotilla gathers only what the play needs)",
        "handler": "handlers", "task": "tasks", "systemd": "service", "apt": "package", "dnf": "package", "yum": "package",
        "copy": "file", "template": "file", "lineinfile": "line",
    ]

    func position(_ node: Node) -> FileLocation {
        guard let mark = node.mark else { return FileLocation(file: file, line: 0, column: 0) }
        return FileLocation(file: file, line: mark.line, column: mark.column)
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): "\"\(s.string)\""
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// Reads a mapping and checks its keys. `allowed` lists every valid key; `required` the ones that must be there.
    mutating func mapping(_ node: Node, context: String, key: String, allowed: [String], required: [String] = []) throws(PlanError) -> Fields {
        guard case .mapping(let mapping) = node else {
            throw .badValue(position(node), key: key, expected: "a mapping", got: Self.describe(node))
        }
        var fields = Fields(context: context, position: position(node), entries: [:], order: [])
        for (k, v) in mapping {
            guard case .scalar(let ks) = k else {
                throw .badValue(position(k), key: key, expected: "a mapping with text keys", got: Self.describe(k))
            }
            let name = ks.string
            guard allowed.contains(name) else {
                let hint = Self.ansibleHints[name].flatMap { allowed.contains(String($0.prefix { $0 != "." })) ? $0 : nil }
                diagnostics.append(.unknownKey(position(k), key: name, context: context, suggestion: hint ?? EditDistance.suggestion(for: name, among: allowed)))
                continue
            }
            if let first = fields.entries[name] {
                diagnostics.append(.invalid(position(k), message: "'\(name)' is given twice in \(context) (first at line \(first.keyPosition.line)); YAML keeps only one"))
                continue
            }
            fields.entries[name] = (position(k), v)
            fields.order.append(name)
        }
        for r in required where fields.entries[r] == nil {
            diagnostics.append(.missingKey(fields.position, key: r, context: context))
        }
        return fields
    }

    func scalar(_ node: Node, key: String, expected: String) throws(PlanError) -> Node.Scalar {
        guard case .scalar(let s) = node else { throw .badValue(position(node), key: key, expected: expected, got: Self.describe(node)) }
        return s
    }

    func template(_ node: Node, key: String) throws(PlanError) -> Template {
        let s = try scalar(node, key: key, expected: "text")
        if s.style == .plain && (s.string == "~" || s.string == "null" || s.string.isEmpty) {
            throw .badValue(position(node), key: key, expected: "text", got: "nothing")
        }
        return Template(s.string, at: position(node))
    }

    func string(_ f: Fields, _ key: String) throws(PlanError) -> Template? {
        guard let n = f[key] else { return nil }
        return try template(n, key: key)
    }

    func int(_ node: Node, key: String, range: ClosedRange<Int>) throws(PlanError) -> Int {
        let expected = "a whole number from \(range.lowerBound) to \(range.upperBound)"
        let s = try scalar(node, key: key, expected: expected)
        guard s.style == .plain, let v = Int(s.string), range.contains(v) else {
            throw .badValue(position(node), key: key, expected: expected, got: Self.describe(node))
        }
        return v
    }

    func int(_ f: Fields, _ key: String, range: ClosedRange<Int>) throws(PlanError) -> Int? {
        guard let n = f[key] else { return nil }
        return try int(n, key: key, range: range)
    }

    func double(_ f: Fields, _ key: String, range: ClosedRange<Double>) throws(PlanError) -> Double? {
        guard let n = f[key] else { return nil }
        let expected = "a number from \(format(range.lowerBound)) to \(format(range.upperBound))"
        let s = try scalar(n, key: key, expected: expected)
        guard s.style == .plain, let v = Double(s.string), range.contains(v) else {
            throw .badValue(position(n), key: key, expected: expected, got: Self.describe(n))
        }
        return v
    }

    func bool(_ node: Node, key: String) throws(PlanError) -> Bool {
        let s = try scalar(node, key: key, expected: "true or false")
        switch s.style == .plain ? s.string.lowercased() : "" {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw .badValue(position(node), key: key, expected: "true or false", got: Self.describe(node))
        }
    }

    func bool(_ f: Fields, _ key: String) throws(PlanError) -> Bool? {
        guard let n = f[key] else { return nil }
        return try bool(n, key: key)
    }

    /// One text or a list of texts.
    func templates(_ f: Fields, _ key: String) throws(PlanError) -> [Template]? {
        guard let n = f[key] else { return nil }
        return try templates(n, key: key)
    }

    func templates(_ n: Node, key: String) throws(PlanError) -> [Template] {
        switch n {
        case .scalar: return [try template(n, key: key)]
        case .sequence(let seq):
            var out: [Template] = []
            for item in seq { out.append(try template(item, key: key)) }
            return out
        default: throw .badValue(position(n), key: key, expected: "text or a list of texts", got: Self.describe(n))
        }
    }

    func sequence(_ n: Node, key: String) throws(PlanError) -> [Node] {
        guard case .sequence(let seq) = n else { throw .badValue(position(n), key: key, expected: "a list", got: Self.describe(n)) }
        return Array(seq)
    }

    /// One of a fixed set of words.
    func choice<T>(_ f: Fields, _ key: String, _ options: [(String, T)]) throws(PlanError) -> T? {
        guard let n = f[key] else { return nil }
        let words = options.map(\.0)
        let expected = words.count == 2 ? "\(words[0]) or \(words[1])" : "one of " + words.joined(separator: ", ")
        let s = try scalar(n, key: key, expected: expected)
        guard let hit = options.first(where: { $0.0 == s.string }) else {
            throw .badValue(position(n), key: key, expected: expected, got: Self.describe(n))
        }
        return hit.1
    }
}

func format(_ d: Double) -> String {
    if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
    return String(d)
}
