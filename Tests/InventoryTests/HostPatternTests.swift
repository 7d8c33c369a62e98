import Inventory
import Testing

@Suite struct HostPatternTests {
    let inventory: Inventory

    init() throws { inventory = try Fixture.load("patterns.ini") }

    @Test func noPatternAllAndStarSelectEveryHostInInventoryOrder() throws {
        let every = ["lonely", "web1", "web2", "web3", "db1", "db2", "edge-a", "edge-b"]
        #expect(try inventory.names(nil) == every)
        #expect(try inventory.names("all") == every)
        #expect(try inventory.names("*") == every)
    }

    @Test func hostAndGroupNames() throws {
        #expect(try inventory.names("db1") == ["db1"])
        #expect(try inventory.names("web") == ["web1", "web2", "web3"])
        #expect(try inventory.names("prod") == ["web1", "web2", "web3", "db1", "db2"])
        #expect(try inventory.names("ungrouped") == ["lonely"])
    }

    @Test func globsMatchHostAndGroupNames() throws {
        #expect(try inventory.names("web*") == ["web1", "web2", "web3"])
        #expect(try inventory.names("db?") == ["db1", "db2"])
        #expect(try inventory.names("web[!2]") == ["web1", "web3"])
        #expect(try inventory.names("web[1-2]*") == ["web1", "web2"])
        #expect(try inventory.names("edge-[!a]") == ["edge-b"])
        // A glob matching a group name brings in the whole group.
        #expect(try inventory.names("ed*") == ["edge-a", "edge-b"])
    }

    @Test func regexAfterTildeMatchesFromTheStart() throws {
        #expect(try inventory.names("~(web|db)[13]") == ["web1", "web3", "db1"])
        #expect(throws: InventoryError.patternMatchedNothing(pattern: "~eb", term: "~eb")) {
            try inventory.select(pattern: "~eb")
        }
    }

    @Test func unionWithColonOrComma() throws {
        #expect(try inventory.names("db:edge") == ["db1", "db2", "edge-a", "edge-b"])
        #expect(try inventory.names("db, edge-a") == ["db1", "db2", "edge-a"])
    }

    @Test func intersectionKeepsOnlyHostsInBoth() throws {
        #expect(try inventory.names("prod:&staging") == ["web3", "db2"])
        #expect(try inventory.names("web,&staging") == ["web3"])
    }

    @Test func exclusionRemovesHostsWhateverItsPosition() throws {
        #expect(try inventory.names("prod:!staging") == ["web1", "web2", "db1"])
        #expect(try inventory.names("!staging:prod") == ["web1", "web2", "db1"])
        // Only exclusions: the start is `all`.
        #expect(try inventory.names("!prod") == ["lonely", "edge-a", "edge-b"])
    }

    @Test func unionsThenIntersectionsThenExclusions() throws {
        #expect(try inventory.names("!web3:web:&staging:db") == ["db2"])
    }

    @Test func subscriptsPickFromTheMatchedHosts() throws {
        #expect(try inventory.names("web[0]") == ["web1"])
        #expect(try inventory.names("web[-1]") == ["web3"])
        #expect(try inventory.names("prod[1:3]") == ["web2", "web3", "db1"])
        #expect(try inventory.names("prod[3:]") == ["db1", "db2"])
        // The old `[x-y]` form is a subscript in Ansible too (checked with `ansible --list-hosts`).
        #expect(try inventory.names("web[1-2]") == ["web2", "web3"])
    }

    @Test func atFileReadsOnePatternPerLineSkippingCommentsAndBlanks() throws {
        #expect(try inventory.names("@" + Fixture.path("limit.txt")) == ["web1", "db2"])
        #expect(try inventory.names("edge:@" + Fixture.path("limit.txt")) == ["edge-a", "edge-b", "web1", "db2"])
    }

    @Test func aTermMatchingNothingIsAnErrorThatNamesIt() {
        #expect(throws: InventoryError.patternMatchedNothing(pattern: "wbe", term: "wbe")) {
            try inventory.select(pattern: "wbe")
        }
        #expect(throws: InventoryError.patternMatchedNothing(pattern: "web:&nope*", term: "&nope*")) {
            try inventory.select(pattern: "web:&nope*")
        }
        #expect(
            InventoryError.patternMatchedNothing(pattern: "web:&nope*", term: "&nope*").description
                == "host pattern 'web:&nope*': '&nope*' matches no host or group")
    }

    @Test func anExclusionMatchingNothingIsFine() throws {
        #expect(try inventory.names("web:!nothing-like-this") == ["web1", "web2", "web3"])
    }

    @Test func anEmptyResultIsAnError() {
        #expect(throws: InventoryError.noHostsSelected(pattern: "edge:&web")) { try inventory.select(pattern: "edge:&web") }
        #expect(throws: InventoryError.noHostsSelected(pattern: "empty")) { try inventory.select(pattern: "empty") }
    }

    /// `--limit '~(a+)+$'` against a host named a...ab backtracks 2^40 ways; the match limit turns it into an error
    /// naming the pattern and the host name it was matching, not a hang.
    @Test func regexThatBacktracksWithoutEndIsAnErrorNamingThePattern() throws {
        let name = String(repeating: "a", count: 40) + "b"
        let inventory = try Inventory.load(paths: ["web1,\(name),"])
        #expect(try inventory.names("~web") == ["web1"])
        do {
            _ = try inventory.select(pattern: "~(a+)+$")
            Issue.record("the pattern was expected to be refused")
        } catch let InventoryError.invalidPattern(pattern, reason) {
            #expect(pattern == "~(a+)+$")
            #expect(reason == "the regular expression '(a+)+$' needs more than 1000000 backtracking steps to match a 41-byte text"
                + " (nested quantifiers backtrack without end; simplify the pattern) ('\(name)')")
        }
    }

    @Test func badRegexNamesThePatternAndWhere() {
        #expect(throws: InventoryError.invalidPattern(pattern: "web:~web(", reason: "bad regular expression 'web(': missing closing parenthesis at offset 4")) {
            try inventory.select(pattern: "web:~web(")
        }
    }

    @Test func badRegexAndMissingFileAreErrors() {
        #expect(throws: InventoryError.self) { try inventory.select(pattern: "~web(") }
        #expect(throws: InventoryError.self) { try inventory.select(pattern: "@/nonexistent/limit") }
    }

    @Test func termsAreOrderedUnionsIntersectionsExclusions() throws {
        let pattern = try HostPattern("!a:&b:c,d")
        #expect(pattern.terms.map(\.description) == ["c", "d", "&b", "!a"])
    }
}
