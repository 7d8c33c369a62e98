import FlotillaCore
internal import Yams

/// One YAML file read with Yams, keeping node positions for messages.
struct YAMLDocument {
    let file: String
    let root: Node?

    /// Parses `text`; a YAML syntax error becomes `.yaml` with the parser's line and column.
    init(file: String, text: String) throws(InventoryError) {
        self.file = file
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.translate(error, file: file)
        } catch {
            throw .yaml(FileLocation(file: file, line: 1, column: 1), problem: "\(error)")
        }
        if let root { try Self.checkExpansion(root, file: file, budget: Self.nodeBudget(textSize: text.utf8.count)) }
    }

    /// How many nodes a document may hold once its aliases are expanded: 1,000,000, or one per byte of the
    /// file when it is larger (a document without aliases never has more nodes than bytes). Composing shares an
    /// aliased node's storage, but everything that reads the tree walks every copy: ten levels of ten aliases
    /// (a "billion laughs") would cost minutes and gigabytes.
    static let aliasNodeBudget = 1_000_000

    static func nodeBudget(textSize: Int) -> Int { max(aliasNodeBudget, textSize) }

    /// Counts the nodes of the expanded tree without recursion, stopping as soon as `budget` is passed: the
    /// cost is at most the budget, whatever the aliases would multiply to.
    static func checkExpansion(_ root: Node, file: String, budget: Int) throws(InventoryError) {
        var count = 0
        var stack: [Node] = [root]
        while let node = stack.popLast() {
            count += 1
            if count > budget {
                let mark = node.mark
                throw .limitExceeded(
                    FileLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1),
                    what: "the document expands to more than \(budget) nodes through its aliases",
                    limit: "\(aliasNodeBudget) nodes per document, or one per byte of a larger file")
            }
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    stack.append(key)
                    stack.append(value)
                }
            case .sequence(let sequence):
                stack.append(contentsOf: sequence)
            case .scalar, .alias:
                break
            }
        }
    }

    static func translate(_ error: YamlError, file: String) -> InventoryError {
        func at(_ mark: Mark) -> FileLocation { FileLocation(file: file, line: mark.line, column: mark.column) }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let while_ = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return .yaml(at(mark), problem: problem + while_)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return .yaml(at(context.mark), problem: "duplicate keys \(duplicates.joined(separator: ", "))")
        default:
            return .yaml(FileLocation(file: file, line: 1, column: 1), problem: "\(error)")
        }
    }

    func location(of node: Node) -> FileLocation {
        let mark = node.mark
        return FileLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// The entries of a mapping, with YAML merge keys (`<<: *defaults`) applied first so that the
    /// mapping's own keys win, as PyYAML does.
    static func entries(of mapping: Node.Mapping) -> [(key: Node, value: Node)] {
        var merged: [(key: Node, value: Node)] = []
        var own: [(key: Node, value: Node)] = []
        for (key, value) in mapping {
            if case .scalar(let s) = key, s.string == "<<", s.style == .plain {
                switch value {
                case .mapping(let m): merged += entries(of: m)
                case .sequence(let seq):
                    for case .mapping(let m) in seq.reversed() { merged += entries(of: m) }
                default: own.append((key, value))
                }
            } else {
                own.append((key, value))
            }
        }
        return merged + own
    }

    /// A key as text (`80: x` has the key "80").
    static func keyText(_ node: Node) -> String {
        if case .scalar(let s) = node { return s.string }
        return InventoryValue(node).text
    }

    /// A short description of a node's kind for messages: "a list", "a string", "nothing".
    static func kind(_ node: Node?) -> String {
        guard let node else { return "nothing" }
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar:
            switch InventoryValue(node) {
            case .null: return "null"
            case .bool(let b): return "the boolean \(b)"
            case .int(let i): return "the number \(i)"
            case .double(let d): return "the number \(d)"
            case .string(let s): return "the string '\(s)'"
            default: return "a scalar"
            }
        }
    }
}

extension InventoryValue {
    /// The typed value of a YAML node: YAML 1.1 scalars as PyYAML reads them (`yes` is true), quoted
    /// scalars always strings.
    init(_ node: Node) {
        switch node {
        case .scalar(let scalar) where node.tag.rawValue == "!vault":
            self = .vaulted(scalar.string)
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: self = .null
            case .bool: self = Bool.construct(from: scalar).map(InventoryValue.bool) ?? .string(scalar.string)
            case .int:
                if let i = Int.construct(from: scalar) {
                    self = .int(i)
                } else {
                    self = Double.construct(from: scalar).map(InventoryValue.double) ?? .string(scalar.string)
                }
            case .float: self = Double.construct(from: scalar).map(InventoryValue.double) ?? .string(scalar.string)
            default: self = .string(scalar.string)
            }
        case .sequence(let seq):
            self = .list(seq.map(InventoryValue.init))
        case .mapping(let mapping):
            var map: [String: InventoryValue] = [:]
            for (key, value) in YAMLDocument.entries(of: mapping) { map[YAMLDocument.keyText(key)] = InventoryValue(value) }
            self = .map(map)
        case .alias:
            self = .null
        }
    }
}
