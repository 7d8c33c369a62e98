import FlotillaRegex
import Testing

@Suite struct BoundedRegexTests {
    /// `(a+)+$` against a run of `a` ended by `b` backtracks 2^n ways before it fails; Swift's Regex and
    /// Python's re never finish at n = 40. Here the match limit stops it with an error naming the pattern.
    @Test func catastrophicBacktrackingIsAnErrorNamingThePattern() throws {
        let regex = try BoundedRegex("(a+)+$")
        let subject = String(repeating: "a", count: 40) + "b"
        #expect(throws: BoundedRegexError.tooMuchWork(pattern: "(a+)+$", subjectLength: 41, limit: "1000000 backtracking steps")) {
            try regex.search(subject)
        }
        #expect(throws: BoundedRegexError.self) { try regex.matchesPrefix(subject) }
        let message = String(describing: BoundedRegexError.tooMuchWork(pattern: "(a+)+$", subjectLength: 41, limit: "1000000 backtracking steps"))
        #expect(message.contains("'(a+)+$'") && message.contains("1000000 backtracking steps"))
        // The same pattern on text it matches quickly is fine.
        #expect(try regex.search("xaaa"))
    }

    /// The step limit is exact: a match that needs the steps it has is answered, one step fewer is refused.
    @Test func stepLimitHoldsAtItsBoundary() throws {
        // `^(a|b)*c` against "abab...abxc" backtracks through every iteration before it fails. Find the
        // smallest limit that answers, then check that limit and the one below it.
        let subject = String(repeating: "ab", count: 20) + "xc"
        func answer(_ steps: UInt32) throws -> Bool { try BoundedRegex("^(a|b)*c", limits: limits(steps: steps)).search(subject) }
        var needed: UInt32 = 1
        while (try? answer(needed)) == nil { needed += 1 }
        #expect(needed > 40)
        #expect(try answer(needed) == false)
        #expect(throws: BoundedRegexError.tooMuchWork(pattern: "^(a|b)*c", subjectLength: 42, limit: "\(needed - 1) backtracking steps")) {
            try answer(needed - 1)
        }
    }

    @Test func heapLimitStopsDeepBacktracking() throws {
        // Every iteration of the group leaves a backtracking point: a long subject needs more memory than 1 MiB.
        let regex = try BoundedRegex("^(?:a|ab)*$", limits: .init(steps: 100_000_000, depth: 100_000_000, heapKiB: 1024, patternLength: 100))
        #expect(throws: BoundedRegexError.tooMuchWork(pattern: "^(?:a|ab)*$", subjectLength: 200_001, limit: "1 MiB of backtracking memory")) {
            try regex.search(String(repeating: "a", count: 200_000) + "c")
        }
    }

    @Test func depthLimitStopsNestedBacktracking() throws {
        let regex = try BoundedRegex("^(?:a|ab)*$", limits: .init(steps: 100_000_000, depth: 1000, heapKiB: 1_048_576, patternLength: 100))
        #expect(throws: BoundedRegexError.tooMuchWork(pattern: "^(?:a|ab)*$", subjectLength: 5001, limit: "1000 nested backtracking points")) {
            try regex.search(String(repeating: "a", count: 5000) + "c")
        }
        // Well within the depth, the same pattern answers.
        #expect(try regex.search(String(repeating: "a", count: 100)))
    }

    @Test func searchIsPythonReSearch() throws {
        #expect(try BoundedRegex("port=").search("# port=80"))
        #expect(try BoundedRegex("^port=").search("# port=80") == false)
        #expect(try BoundedRegex("^port=").search("port=80"))
        #expect(try BoundedRegex("80$").search("port=80"))
        #expect(try BoundedRegex("8$").search("port=80") == false)
        #expect(try BoundedRegex("").search(""))
        #expect(try BoundedRegex("(?P<key>\\w+)=(?P=key)").search("x abc=abc"))
        #expect(try BoundedRegex("(?i)PORT").search("port"))
        // Unicode: \d and \w match as in Python 3 str patterns.
        #expect(try BoundedRegex("^\\w+$").search("größe"))
        #expect(try BoundedRegex("^\\d$").search("٣"))
        #expect(try BoundedRegex("^.$").search("é"))
    }

    @Test func matchesPrefixIsPythonReMatch() throws {
        let r = try BoundedRegex("(web|db)[13]")
        #expect(try r.matchesPrefix("web1"))
        #expect(try r.matchesPrefix("web10"))
        #expect(try r.matchesPrefix("xweb1") == false)
        #expect(try r.search("xweb1"))
        #expect(try BoundedRegex("eb").matchesPrefix("web1") == false)
    }

    @Test func badAndOverlongPatternsAreRefusedWithTheirPosition() throws {
        #expect(throws: BoundedRegexError.invalid(pattern: "web(", offset: 4, reason: "missing closing parenthesis")) {
            try BoundedRegex("web(")
        }
        #expect(throws: BoundedRegexError.invalid(pattern: "é[", offset: 2, reason: "missing terminating ] for character class")) {
            try BoundedRegex("é[")
        }
        let long = String(repeating: "a", count: 10_001)
        #expect(throws: BoundedRegexError.tooLong(pattern: long, length: 10_001, limit: 10_000)) { try BoundedRegex(long) }
        _ = try BoundedRegex(String(repeating: "a", count: 10_000))
        // Nesting deeper than PCRE2's parenthesis limit is a compile error, not a stack overflow.
        #expect(throws: BoundedRegexError.self) { try BoundedRegex(String(repeating: "(", count: 5000) + String(repeating: ")", count: 5000)) }
    }

    @Test func subjectsWithNULAreMatchedWhole() throws {
        #expect(try BoundedRegex("b$").search("a\u{0}b"))
    }

    @Test func oneRegexIsSharedByConcurrentMatches() async throws {
        let regex = try BoundedRegex("^node[0-9]+$")
        let counts = await withTaskGroup(of: Int.self) { group in
            for t in 0..<8 {
                group.addTask { (0..<500).filter { (try? regex.search("node\(t * 1000 + $0)")) == true }.count }
            }
            return await group.reduce(0, +)
        }
        #expect(counts == 4000)
    }

    private func limits(steps: UInt32) -> BoundedRegex.Limits {
        .init(steps: steps, depth: 1_000_000, heapKiB: 65_536, patternLength: 100)
    }
}
