import Inventory
import Testing

/// Expected values were checked against `ansible-inventory --host` (ansible-core) on the same files.
@Suite struct VariablePrecedenceTests {
    @Test func hostVarsFileBeatsEverything() throws {
        let vars = try Fixture.load("vars/hosts.ini").variables(for: "web1")
        #expect(vars["level"] == .string("web1_file"))
    }

    @Test func childGroupFileBeatsParentGroupFileAndInventoryGroupVars() throws {
        let vars = try Fixture.load("vars/hosts.ini").variables(for: "web2")
        #expect(vars["level"] == .string("web_file"))
        #expect(vars["web_inline"] == .string("web"))
        #expect(vars["zone_inline"] == .string("zone_a"))
        #expect(vars["all_inline"] == .string("all"))
    }

    @Test func groupVarsAllFileBeatsInlineChildGroupVarsAsInAnsible() throws {
        let vars = try Fixture.load("vars/hosts.ini").variables(for: "web2")
        #expect(vars["shadow"] == .string("all_file"))
    }

    @Test func groupVarsDirectoryFilesMergeInLexicalOrderSkippingOtherFiles() throws {
        let vars = try Fixture.load("vars/hosts.ini").variables(for: "web2")
        #expect(vars["zone_file"] == .string("more"))
        #expect(vars["zone_list"] == [1, 2])
        #expect(vars["this"] == nil)
    }

    @Test func jsonGroupVarsAndExtensionlessHostVarsAreRead() throws {
        let vars = try Fixture.load("vars/hosts.ini").variables(for: "db1")
        #expect(vars["level"] == .string("db_json"))
        #expect(vars["db_port"] == .int(5432))
        #expect(vars["db_role"] == .string("primary"))
        #expect(vars["zone_file"] == nil)
    }

    @Test func wholeMergedResultMatchesAnsible() throws {
        let vars = try Fixture.load("vars/hosts.ini").variables(for: "web1")
        let expected: [String: InventoryValue] = [
            "all_file": "all", "all_inline": "all", "level": "web1_file", "shadow": "all_file", "web_file": "web",
            "web_inline": "web", "zone_file": "more", "zone_inline": "zone_a", "zone_list": [1, 2],
        ]
        #expect(vars == expected)
    }

    @Test func groupPriorityOrdersGroupsOfTheSameDepth() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "hosts.ini",
            """
            [a]
            h1
            [b]
            h1
            [a:vars]
            who=a
            ansible_group_priority=10
            [b:vars]
            who=b
            """)
        // Same depth: b (priority 1) is applied before a (priority 10), so a wins despite its name.
        let inventory = try Inventory.load(path: directory.path("hosts.ini"))
        #expect(try inventory.variables(for: "h1") == ["who": "a"])
        #expect(inventory.groups["a"]?.priority == 10)
    }
}
