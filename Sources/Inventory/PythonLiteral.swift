/// Reads an INI value the way Ansible does, with Python's `ast.literal_eval`: numbers, `True`/`False`/`None`,
/// quoted strings, lists, tuples and dicts become typed values; anything else stays the text it is.
///
/// `port=22` is the integer 22, `flag=True` a boolean, `name="web"` the string `web`, but `flag=yes` and
/// `flag=true` are the strings `yes` and `true` (Python spells its booleans `True` and `False`).
enum PythonLiteral {
    /// How deeply lists, tuples and dicts may nest in one value: the parser recurses once per level, and tens
    /// of thousands of brackets would overflow the stack. Python's own parser gives up at 200 parentheses.
    static let maxDepth = 64

    /// A value nested deeper than `maxDepth`.
    struct TooDeep: Error {}

    /// The typed value of `text`, or the text itself when it is not a Python literal; throws when its lists
    /// and dicts nest deeper than `maxDepth`.
    static func value(of text: String) throws(TooDeep) -> InventoryValue {
        var parser = Parser(Array(text.unicodeScalars))
        let parsed = parser.parseTop()
        if parser.tooDeep { throw TooDeep() }
        guard let value = parsed else { return .string(text) }
        return value
    }

    private struct Parser {
        let s: [Unicode.Scalar]
        var i = 0
        var depth = 0
        /// Set once a value nests deeper than `maxDepth`; parsing stops there.
        var tooDeep = false

        /// Enters one level of nesting; false (and `tooDeep` set) past `maxDepth`.
        mutating func enter() -> Bool {
            depth += 1
            if depth > PythonLiteral.maxDepth { tooDeep = true }
            return !tooDeep
        }

        init(_ s: [Unicode.Scalar]) { self.s = s }

        mutating func parseTop() -> InventoryValue? {
            // Leading whitespace is an IndentationError in Python; trailing whitespace is fine.
            guard let first = s.first, !isSpace(first) else { return nil }
            guard let value = parseValue() else { return nil }
            skipSpace()
            return i == s.count ? value : nil
        }

        func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }

        mutating func skipSpace() { while i < s.count, isSpace(s[i]) { i += 1 } }

        var current: Unicode.Scalar? { i < s.count ? s[i] : nil }

        mutating func parseValue() -> InventoryValue? {
            skipSpace()
            guard let c = current else { return nil }
            switch c {
            case "'", "\"": return parseStrings()
            case "[": return parseSequence(close: "]")
            case "(": return parseSequence(close: ")")
            case "{": return parseBrace()
            case "-", "+":
                i += 1
                skipSpace()
                guard let v = parseNumber() else { return nil }
                if c == "+" { return v }
                switch v {
                case .int(let n): return .int(-n)
                case .double(let d): return .double(-d)
                default: return nil
                }
            default:
                if c.properties.numericType != nil || c == "." { return parseNumber() }
                return parseName()
            }
        }

        mutating func parseName() -> InventoryValue? {
            var name = ""
            while let c = current, c.properties.isAlphabetic || c == "_" || ("0"..."9").contains(c) {
                name.unicodeScalars.append(c)
                i += 1
            }
            switch name {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .null
            default: return nil
            }
        }

        mutating func parseNumber() -> InventoryValue? {
            var token = ""
            while let c = current, c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "."
                || ((c == "-" || c == "+") && (token.last == "e" || token.last == "E") && !token.hasPrefix("0x")
                    && !token.hasPrefix("0X"))
            {
                token.unicodeScalars.append(c)
                i += 1
            }
            if token.hasPrefix("_") || token.hasSuffix("_") || token.contains("__") { return nil }
            let lower = token.lowercased()
            for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where lower.hasPrefix(prefix) {
                let digits = String(lower.dropFirst(2)).replacingUnderscores()
                guard !digits.isEmpty, let n = Int(digits, radix: radix) else { return nil }
                return .int(n)
            }
            let plain = token.replacingUnderscores()
            if plain.allSatisfy({ ("0"..."9").contains($0) }), !plain.isEmpty {
                // Python 3 refuses leading zeros ("08") except for zero itself.
                if plain.count > 1, plain.hasPrefix("0"), plain.contains(where: { $0 != "0" }) { return nil }
                return Int(plain).map(InventoryValue.int)
            }
            guard plain.contains(where: { ("0"..."9").contains($0) }),
                plain.allSatisfy({ ("0"..."9").contains($0) || "eE.+-".contains($0) }),
                let d = Double(plain.hasSuffix(".") ? plain + "0" : (plain.hasPrefix(".") ? "0" + plain : plain))
            else { return nil }
            return .double(d)
        }

        /// One or more adjacent string literals, concatenated as Python does.
        mutating func parseStrings() -> InventoryValue? {
            var result = ""
            var any = false
            while let c = current, c == "'" || c == "\"" {
                guard let part = parseString() else { return nil }
                result += part
                any = true
                skipSpace()
            }
            return any ? .string(result) : nil
        }

        mutating func parseString() -> String? {
            guard let quote = current else { return nil }
            let triple = i + 2 < s.count && s[i + 1] == quote && s[i + 2] == quote
            i += triple ? 3 : 1
            var out = ""
            while i < s.count {
                let c = s[i]
                if c == quote {
                    if !triple { i += 1; return out }
                    if i + 2 < s.count, s[i + 1] == quote, s[i + 2] == quote { i += 3; return out }
                }
                if c == "\n", !triple { return nil }
                if c == "\\", i + 1 < s.count {
                    let e = s[i + 1]
                    i += 2
                    switch e {
                    case "n": out += "\n"
                    case "t": out += "\t"
                    case "r": out += "\r"
                    case "0": out += "\0"
                    case "\\", "'", "\"": out.unicodeScalars.append(e)
                    case "\n": break
                    default: out += "\\"; out.unicodeScalars.append(e)
                    }
                    continue
                }
                out.unicodeScalars.append(c)
                i += 1
            }
            return nil
        }

        mutating func parseSequence(close: Unicode.Scalar) -> InventoryValue? {
            defer { depth -= 1 }
            guard enter() else { return nil }
            i += 1
            var items: [InventoryValue] = []
            while true {
                skipSpace()
                if current == close { i += 1; return .list(items) }
                guard let v = parseValue() else { return nil }
                items.append(v)
                skipSpace()
                if current == "," { i += 1; continue }
                if current == close { i += 1; return .list(items) }
                return nil
            }
        }

        /// A dict, or a set (which becomes a list).
        mutating func parseBrace() -> InventoryValue? {
            defer { depth -= 1 }
            guard enter() else { return nil }
            i += 1
            var map: [String: InventoryValue] = [:]
            var set: [InventoryValue] = []
            var isSet: Bool?
            while true {
                skipSpace()
                if current == "}" {
                    i += 1
                    if isSet == true { return .list(set) }
                    return .map(map)
                }
                guard let key = parseValue() else { return nil }
                skipSpace()
                if current == ":" {
                    if isSet == true { return nil }
                    isSet = false
                    i += 1
                    guard let v = parseValue() else { return nil }
                    guard case .list = key else {
                        map[key.text] = v
                        skipSpace()
                        if current == "," { i += 1; continue }
                        if current == "}" { continue }
                        return nil
                    }
                    return nil  // lists are not hashable in Python
                }
                if isSet == false { return nil }
                isSet = true
                set.append(key)
                skipSpace()
                if current == "," { i += 1; continue }
                if current == "}" { continue }
                return nil
            }
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
