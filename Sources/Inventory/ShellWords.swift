/// Splits an INI host line into words the way Python's `shlex.split(line, comments=True)` does, which is
/// what Ansible uses: whitespace separates words, `'...'` is literal, `"..."` honours `\"`, `\\`, `\$` and
/// `` \` ``, a backslash outside quotes escapes the next character, and `#` outside quotes ends the line.
enum ShellWords {
    struct Word: Equatable {
        /// The word with quotes and escapes removed.
        var text: String
        /// 0-based offset (in characters) of the word's first character in the line.
        var offset: Int
        /// The word exactly as written.
        var raw: String
    }

    /// Why a line could not be split, with the 0-based offset of the opening quote.
    struct Unclosed: Error {
        var quote: Character
        var offset: Int
    }

    static func split(_ line: String) throws(Unclosed) -> [Word] {
        let chars = Array(line)
        var words: [Word] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\r" || c == "\n" { i += 1; continue }
            if c == "#" { break }
            let start = i
            var text = ""
            var ended = false
            while i < chars.count, !ended {
                let c = chars[i]
                switch c {
                case " ", "\t", "\r", "\n":
                    ended = true
                case "#":
                    ended = true
                case "\\":
                    if i + 1 < chars.count { text.append(chars[i + 1]); i += 2 } else { i += 1 }
                case "'":
                    let open = i
                    i += 1
                    while i < chars.count, chars[i] != "'" { text.append(chars[i]); i += 1 }
                    if i >= chars.count { throw Unclosed(quote: "'", offset: open) }
                    i += 1
                case "\"":
                    let open = i
                    i += 1
                    while i < chars.count, chars[i] != "\"" {
                        if chars[i] == "\\", i + 1 < chars.count, "\"\\$`".contains(chars[i + 1]) {
                            text.append(chars[i + 1])
                            i += 2
                        } else {
                            text.append(chars[i])
                            i += 1
                        }
                    }
                    if i >= chars.count { throw Unclosed(quote: "\"", offset: open) }
                    i += 1
                default:
                    text.append(c)
                    i += 1
                }
            }
            words.append(Word(text: text, offset: start, raw: String(chars[start..<i])))
            if i < chars.count, chars[i] == "#" { break }
        }
        return words
    }
}
