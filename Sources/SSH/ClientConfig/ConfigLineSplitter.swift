/// Splits ssh_config lines the way OpenSSH's readconf.c does: a keyword ended by whitespace or one
/// `=`, then arguments split by `argv_split` (double or single quotes group words, a backslash escapes
/// a quote, a backslash or a space, and `#` at the start of a word begins a comment).
enum ConfigLineSplitter {
    /// A split line: the keyword lower-cased, and its arguments.
    struct Line: Sendable, Equatable {
        var keyword: String
        var arguments: [String]
        /// Everything after the keyword (and its `=`), as written: ProxyCommand takes it whole, as ssh does.
        var rest: String = ""
    }

    /// Errors of one line, turned into `SSHConfigError` by the caller (which knows file and line).
    enum Problem: Error, Sendable, Equatable {
        case noArgument(keyword: String)
        case badQuoting
    }

    /// nil for blank and comment lines.
    static func split(_ raw: String) throws(Problem) -> Line? {
        var chars = Substring(raw)
        while let last = chars.last, last.isConfigWhitespace { chars.removeLast() }
        while let first = chars.first, first.isConfigWhitespace { chars.removeFirst() }
        guard let first = chars.first, first != "#" else { return nil }
        let keywordEnd = chars.firstIndex(where: { $0.isConfigWhitespace || $0 == "=" }) ?? chars.endIndex
        let keyword = chars[..<keywordEnd].lowercased()
        var rest = chars[keywordEnd...]
        while let c = rest.first, c.isConfigWhitespace { rest.removeFirst() }
        if rest.first == "=" {
            rest.removeFirst()
            while let c = rest.first, c.isConfigWhitespace { rest.removeFirst() }
        }
        guard !rest.isEmpty else { throw .noArgument(keyword: keyword) }
        return Line(keyword: keyword, arguments: try arguments(rest), rest: String(rest))
    }

    /// OpenSSH `argv_split(..., terminate_on_comment = 1)`.
    static func arguments(_ text: Substring) throws(Problem) -> [String] {
        let s = Array(text)
        var out = [String]()
        var i = 0
        while i < s.count {
            if s[i] == " " || s[i] == "\t" {
                i += 1
                continue
            }
            if s[i] == "#" { break }
            var word = ""
            var quote: Character?
            while i < s.count {
                let c = s[i]
                if c == "\\", i + 1 < s.count,
                   s[i + 1] == "'" || s[i + 1] == "\"" || s[i + 1] == "\\" || (quote == nil && s[i + 1] == " ") {
                    word.append(s[i + 1])
                    i += 2
                    continue
                }
                if quote == nil, c == " " || c == "\t" { break }
                if quote == nil, c == "\"" || c == "'" {
                    quote = c
                } else if let q = quote, c == q {
                    quote = nil
                } else {
                    word.append(c)
                }
                i += 1
            }
            if quote != nil { throw .badQuoting }
            out.append(word)
        }
        return out
    }
}

extension Character {
    fileprivate var isConfigWhitespace: Bool { self == " " || self == "\t" || self == "\r" || self == "\n" || self == "\u{0C}" }
}
