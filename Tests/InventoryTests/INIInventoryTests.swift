import Inventory
import Testing

@Suite struct INIInventoryTests {
    @Test func hostsKeepFileOrderAndTopLevelHostsAreUngrouped() throws {
        let inventory = try Fixture.load("basic.ini")
        #expect(
            inventory.hosts.map(\.name) == [
                "bastion.example.net", "web1.example.net", "web2.example.net", "db1.example.net", "db2.example.net",
            ])
        #expect(inventory.groups["ungrouped"]?.hosts == ["bastion.example.net"])
        #expect(inventory.groups["all"]?.children == ["ungrouped", "dc1"])
        #expect(inventory.groups["dc1"]?.children == ["web", "db"])
        #expect(inventory.groups["web"]?.hosts == ["web1.example.net", "web2.example.net"])
    }

    @Test func inlineValuesAreReadAsPythonLiteralsAfterShellSplitting() throws {
        let vars = try Fixture.load("basic.ini").variables(for: "web1.example.net")
        #expect(vars["http_port"] == .int(8080))
        #expect(vars["label"] == .string("front end"))
        #expect(vars["weight"] == .double(1.5))
        #expect(vars["enabled"] == .bool(true))
        #expect(vars["raw"] == .string("yes"))
        #expect(vars["tier"] == .list(["a", "b"]))
        #expect(vars["ansible_host"] == .string("10.0.0.11"))
    }

    @Test func aHostDefinedTwiceMergesItsVariables() throws {
        let host = try #require(try Fixture.load("basic.ini").host(named: "web1.example.net"))
        #expect(host.vars["http_port"] == .int(8080))
        #expect(host.vars["tier"] == .list(["a", "b"]))
        #expect(host.groups == ["web"])
    }

    @Test func portSuffixBecomesAnsiblePortAndTrailingCommentIsDropped() throws {
        let vars = try Fixture.load("basic.ini").variables(for: "web2.example.net")
        #expect(vars["ansible_port"] == .int(2222))
        #expect(vars["ansible_user"] == .string("deploy"))
    }

    @Test func groupVarsSectionValuesAreLiteralsAndKeepTrailingText() throws {
        let vars = try Fixture.load("basic.ini").variables(for: "db1.example.net")
        #expect(vars["ntp_server"] == .string("ntp1.example.net"))
        #expect(vars["max_offset"] == .double(0.5))
        #expect(vars["strict"] == .bool(true))
        #expect(vars["greeting"] == .string("hello world"))
        #expect(vars["note"] == .string("kept # as in Ansible, not a comment"))
        #expect(vars["ansible_user"] == .string("admin"))
    }

    @Test func literalsMatchAnsibleCoreForEveryKind() throws {
        // Expected values were produced by `ansible-inventory --host h1` (ansible-core) on the same file.
        let vars = try Fixture.load("literals.ini").variables(for: "h1")
        let expected: [String: InventoryValue] = [
            "d": ["k": "v", "n": 1], "f": 2.5, "fl": false, "gb": true, "gi": 8080, "gs": "quoted",
            "gsp": "two words", "gy": "yes", "hex": 31, "i": 42, "l": [1, "two", 3.0], "lead": "08",
            "lower": "true", "neg": -7, "none": nil, "path": "/etc/x", "q": 42, "s": "hello", "sp": "a b",
            "t": true, "tup": [1, 2], "under": 1000, "word": "abc", "yes": "yes", "zero": 0,
        ]
        #expect(vars == expected)
    }

    @Test func groupNamesOfAHostIncludeAncestorsSortedByDepth() throws {
        let inventory = try Fixture.load("basic.ini")
        #expect(try inventory.groupNames(of: "db2.example.net") == ["all", "dc1", "db"])
        #expect(try inventory.groupNames(of: "bastion.example.net") == ["all", "ungrouped"])
    }

    @Test func unknownHostIsAnErrorThatNamesIt() throws {
        let inventory = try Fixture.load("basic.ini")
        #expect(throws: InventoryError.unknownHost("nope")) { try inventory.variables(for: "nope") }
    }
}
