/// Host names with ranges, as Ansible writes them: `node[01:50]` (zero padding kept), `node[1:10:2]`
/// (stride), `rack[a:f]` (letters), several ranges in one name (`r[1:2]-n[01:03]`), and an optional
/// `:port` suffix (`web1:2222`, `[fe80::1]:2222`).
enum HostRange {
    /// Why a range could not be expanded; `offset` is the 0-based character offset of its `[`.
    struct Problem: Error {
        var offset: Int
        var reason: String
        var unterminated: Bool = false
    }

    /// The most hosts one name may expand to; protects against typos such as `node[1:99999999]`.
    static let limit = 100_000

    private static let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

    /// Splits a definition into a host name (maybe with ranges) and a port. A trailing `:` without
    /// digits is an error, as in Ansible; IPv6 addresses without brackets keep their colons.
    static func splitPort(_ text: String) -> (name: String, port: Int?, danglingColon: Bool) {
        let chars = Array(text)
        // [IPv6]:port
        if chars.first == "[", let close = chars.firstIndex(of: "]"), close + 1 < chars.count,
            chars[close + 1] == ":"
        {
            let inner = String(chars[1..<close])
            let portText = String(chars[(close + 2)...])
            if isIPv6(inner), let port = Int(portText), portText.allSatisfy(\.isASCIIDigit) {
                return (inner, port, false)
            }
        }
        // Colons outside brackets.
        var depth = 0
        var colons: [Int] = []
        for (index, c) in chars.enumerated() {
            if c == "[" { depth += 1 } else if c == "]" { depth = max(0, depth - 1) } else if c == ":", depth == 0 {
                colons.append(index)
            }
        }
        guard colons.count == 1, let colon = colons.first else { return (text, nil, false) }
        let portText = String(chars[(colon + 1)...])
        let name = String(chars[..<colon])
        if portText.isEmpty { return (name, nil, true) }
        if portText.allSatisfy(\.isASCIIDigit), let port = Int(portText) { return (name, port, false) }
        return (text, nil, false)
    }

    static func isIPv6(_ text: String) -> Bool {
        let colons = text.filter { $0 == ":" }.count
        return colons >= 2 && text.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." || $0 == "%" }
            && (text.contains("::") || colons == 7)
    }

    /// Expands every `[begin:end(:step)]` range in `name`, first range outermost, as Ansible does.
    static func expand(_ name: String) throws(Problem) -> [String] {
        guard name.contains("[") else { return [name] }
        // Segments: literal text or the choices of one range.
        var segments: [[String]] = []
        let chars = Array(name)
        var literal = ""
        var i = 0
        var total = 1
        while i < chars.count {
            if chars[i] == "[" {
                guard let close = chars[i...].firstIndex(of: "]") else {
                    throw Problem(offset: i, reason: "expected ']'", unterminated: true)
                }
                let choices = try rangeChoices(String(chars[(i + 1)..<close]), offset: i)
                segments.append([literal])
                literal = ""
                segments.append(choices)
                total *= choices.count
                if total > limit {
                    throw Problem(offset: i, reason: "expands to more than \(limit) hosts")
                }
                i = close + 1
            } else {
                literal.append(chars[i])
                i += 1
            }
        }
        segments.append([literal])
        var names = [""]
        for segment in segments {
            names = names.flatMap { prefix in segment.map { prefix + $0 } }
        }
        return names
    }

    private static func rangeChoices(_ inner: String, offset: Int) throws(Problem) -> [String] {
        let bounds = inner.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard bounds.count == 2 || bounds.count == 3 else {
            throw Problem(offset: offset, reason: "expected '[begin:end]' or '[begin:end:step]', found '[\(inner)]'")
        }
        let begin = bounds[0].isEmpty ? "0" : bounds[0]
        let end = bounds[1]
        guard !end.isEmpty else { throw Problem(offset: offset, reason: "the range has no end value") }
        var step = 1
        if bounds.count == 3 {
            guard let s = Int(bounds[2]), s > 0 else {
                throw Problem(offset: offset, reason: "step '\(bounds[2])' is not a positive number")
            }
            step = s
        }
        if begin.count == 1, end.count == 1, let b = letters.firstIndex(of: Character(begin)),
            let e = letters.firstIndex(of: Character(end))
        {
            guard b <= e else { throw Problem(offset: offset, reason: "begin '\(begin)' comes after end '\(end)'") }
            return stride(from: b, through: e, by: step).map { String(letters[$0]) }
        }
        guard begin.allSatisfy(\.isASCIIDigit), end.allSatisfy(\.isASCIIDigit), let b = Int(begin), let e = Int(end)
        else {
            throw Problem(
                offset: offset, reason: "expected numbers or single letters, found '\(begin)' and '\(end)'")
        }
        guard b <= e else { throw Problem(offset: offset, reason: "begin \(begin) is greater than end \(end)") }
        guard (e - b) / step < limit else {
            throw Problem(offset: offset, reason: "expands to more than \(limit) hosts")
        }
        var width = 0
        if begin.hasPrefix("0"), begin.count > 1 {
            guard begin.count == end.count else {
                throw Problem(
                    offset: offset,
                    reason: "zero-padded begin '\(begin)' and end '\(end)' must have the same number of digits")
            }
            width = begin.count
        }
        return stride(from: b, through: e, by: step).map { n in
            let digits = String(n)
            return digits.count < width ? String(repeating: "0", count: width - digits.count) + digits : digits
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
