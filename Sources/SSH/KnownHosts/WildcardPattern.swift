/// OpenSSH's host pattern matching (match.c): `*` matches any run of characters, `?` exactly one,
/// everything else itself. Used by known_hosts host fields and by `Host` / `Match host` in ssh_config.
package enum WildcardPattern {
    /// Whether `text` matches `pattern`. By default both are compared case-insensitively (ASCII), as
    /// OpenSSH lower-cases host names before matching them; user names are compared exactly.
    package static func matches(_ text: String, _ pattern: String, caseInsensitive: Bool = true) -> Bool {
        var t = Array(text.utf8), p = Array(pattern.utf8)
        if caseInsensitive {
            t = t.map(lower)
            p = p.map(lower)
        }
        var ti = 0, pi = 0
        var starP = -1, starT = 0
        while ti < t.count {
            if pi < p.count, p[pi] == UInt8(ascii: "?") || p[pi] == t[ti], p[pi] != UInt8(ascii: "*") {
                ti += 1
                pi += 1
            } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
                starP = pi
                starT = ti
                pi += 1
            } else if starP >= 0 {
                pi = starP + 1
                starT += 1
                ti = starT
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }

    /// The outcome of matching a comma-separated pattern list (OpenSSH `match_pattern_list`).
    package enum ListResult: Sendable, Equatable {
        /// A `!pattern` matched: the list rejects the name whatever else matches.
        case negated
        /// At least one positive pattern matched and no negated one did.
        case matched
        case noMatch
    }

    /// Matches `text` against patterns such as `["*.example.com", "!bad.example.com"]`.
    package static func matchList(
        _ text: String, _ patterns: some Sequence<some StringProtocol>, caseInsensitive: Bool = true
    ) -> ListResult {
        var positive = false
        for raw in patterns {
            let negated = raw.hasPrefix("!")
            let pattern = negated ? String(raw.dropFirst()) : String(raw)
            if matches(text, pattern, caseInsensitive: caseInsensitive) {
                if negated { return .negated }
                positive = true
            }
        }
        return positive ? .matched : .noMatch
    }

    /// Whether the pattern has no wildcard and no negation, so it only ever matches itself.
    package static func isLiteral(_ pattern: some StringProtocol) -> Bool {
        !pattern.contains(where: { $0 == "*" || $0 == "?" || $0 == "!" })
    }

    private static func lower(_ c: UInt8) -> UInt8 {
        c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c + 32 : c
    }
}
