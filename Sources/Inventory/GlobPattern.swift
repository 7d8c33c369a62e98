/// Python's `fnmatch` as Ansible uses it for host patterns: `*` any run, `?` one character,
/// `[abc]`/`[a-z]` a set, `[!abc]` its complement; a `[` without `]` is itself. Case-sensitive.
struct GlobPattern: Sendable {
    private enum Token: Sendable {
        case literal(Character)
        case any
        case star
        case set(items: [ClosedRange<Character>], negated: Bool)
    }

    private let tokens: [Token]

    init(_ pattern: String) {
        let chars = Array(pattern)
        var tokens: [Token] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "*":
                if case .star = tokens.last {} else { tokens.append(.star) }
                i += 1
            case "?":
                tokens.append(.any)
                i += 1
            case "[":
                var j = i + 1
                if j < chars.count, chars[j] == "!" { j += 1 }
                if j < chars.count, chars[j] == "]" { j += 1 }
                while j < chars.count, chars[j] != "]" { j += 1 }
                guard j < chars.count else {
                    tokens.append(.literal("["))
                    i += 1
                    continue
                }
                var body = Array(chars[(i + 1)..<j])
                let negated = body.first == "!"
                if negated { body.removeFirst() }
                var items: [ClosedRange<Character>] = []
                var k = 0
                while k < body.count {
                    if k + 2 < body.count, body[k + 1] == "-" {
                        if body[k] <= body[k + 2] { items.append(body[k]...body[k + 2]) }
                        k += 3
                    } else {
                        items.append(body[k]...body[k])
                        k += 1
                    }
                }
                tokens.append(.set(items: items, negated: negated))
                i = j + 1
            default:
                tokens.append(.literal(c))
                i += 1
            }
        }
        self.tokens = tokens
    }

    static func hasMagic(_ pattern: String) -> Bool {
        pattern.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    func matches(_ text: String) -> Bool {
        let chars = Array(text)
        // Iterative matching with backtracking to the last star.
        var t = 0
        var c = 0
        var starToken = -1
        var starChar = 0
        while c < chars.count {
            if t < tokens.count {
                switch tokens[t] {
                case .star:
                    starToken = t
                    starChar = c
                    t += 1
                    continue
                case .any:
                    t += 1
                    c += 1
                    continue
                case .literal(let l) where l == chars[c]:
                    t += 1
                    c += 1
                    continue
                case .set(let items, let negated) where items.contains(where: { $0.contains(chars[c]) }) != negated:
                    t += 1
                    c += 1
                    continue
                default:
                    break
                }
            }
            guard starToken >= 0 else { return false }
            t = starToken + 1
            starChar += 1
            c = starChar
        }
        while t < tokens.count, case .star = tokens[t] { t += 1 }
        return t == tokens.count
    }
}
