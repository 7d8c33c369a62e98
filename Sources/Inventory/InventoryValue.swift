/// A typed variable value from an inventory, `group_vars`/`host_vars` file or inline `key=value`.
///
/// Values keep the type their source gave them (YAML scalars, or Python literals for INI values), so
/// `ansible_port=2222` is an integer and `ansible_become=true` a boolean. Encodes to plain JSON.
public enum InventoryValue: Sendable, Hashable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case list([InventoryValue])
    case map([String: InventoryValue])
    case null
    /// An Ansible Vault value (`!vault |` in YAML), as written: decrypted only where it is used
    /// (`TemplateResolver`), never shown (`text` masks it; `--json` gives Ansible's `__ansible_vault` object).
    case vaulted(String)

    /// The value as text for messages and for places that need a string (`ansible_host: 10.0.0.1`),
    /// rendered like Ansible renders scalars (`True`/`False` for booleans).
    public var text: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "True" : "False"
        case .null: return ""
        case .vaulted: return "********"
        case .list, .map: return jsonText
        }
    }

    /// The string payload, when this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Compact JSON text of the value, keys sorted.
    public var jsonText: String {
        switch self {
        case .string(let s): return JSONText.quote(s)
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? String(d) : "null"
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .vaulted(let text): return "{\"__ansible_vault\": \(JSONText.quote(text))}"
        case .list(let items): return "[" + items.map(\.jsonText).joined(separator: ", ") + "]"
        case .map(let map):
            let body = map.keys.sorted().map { "\(JSONText.quote($0)): \(map[$0]!.jsonText)" }
            return "{" + body.joined(separator: ", ") + "}"
        }
    }

    /// A short name of the value's type, for messages ("expected a mapping, found a list").
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .int: return "integer"
        case .double: return "float"
        case .bool: return "boolean"
        case .list: return "list"
        case .map: return "mapping"
        case .null: return "null"
        case .vaulted: return "vaulted string"
        }
    }
}

extension InventoryValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int.self) {
            self = .int(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let l = try? container.decode([InventoryValue].self) {
            self = .list(l)
        } else {
            self = .map(try container.decode([String: InventoryValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .int(let i): try container.encode(i)
        case .double(let d): try container.encode(d)
        case .bool(let b): try container.encode(b)
        case .list(let l): try container.encode(l)
        case .map(let m): try container.encode(m)
        case .null: try container.encodeNil()
        case .vaulted(let text): try container.encode(["__ansible_vault": text])
        }
    }
}

extension InventoryValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: InventoryValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, InventoryValue)...) {
        self = .map(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

/// JSON string quoting, shared by the value renderer.
enum JSONText {
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
