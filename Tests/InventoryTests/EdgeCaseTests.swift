import Foundation
import Inventory
import Testing

@Suite struct EdgeCaseTests {
    @Test func yamlHostsGivenAsAStringAndNullGroupsAreAccepted() throws {
        let inventory = try Fixture.load("edge.yml")
        #expect(inventory.groups["all"]?.hosts == ["solo.example.net"])
        #expect(inventory.groups["ungrouped"]?.hosts == ["solo.example.net"])
        #expect(inventory.groups["empty_group"]?.hosts == [])
    }

    @Test func yamlMergeKeysApplyAndUnknownKeysWarnWithTheirPosition() throws {
        let inventory = try Fixture.load("edge.yml")
        #expect(inventory.groups["web"]?.vars["from_anchor"] == .bool(true))
        // The top-level `defaults` key is itself a group, as in Ansible.
        #expect(inventory.groups["defaults"] != nil)
        #expect(
            inventory.warnings.map(\.description) == [
                Fixture.path("edge.yml")
                    + ":18:7: warning: skipping unexpected key 'host' in group 'web'; only 'hosts', 'children' and 'vars' are valid"
            ])
    }

    @Test func bracketedIPv6HostsTakeTheirPort() throws {
        let yaml = try Fixture.load("edge.yml")
        #expect(try yaml.variables(for: "fe80::1")["ansible_port"] == .int(2222))
        let ini = try Fixture.load("crlf.ini")
        #expect(try ini.variables(for: "fe80::2")["ansible_port"] == .int(2200))
    }

    @Test func windowsLineEndingsAreRead() throws {
        let inventory = try Fixture.load("crlf.ini")
        #expect(inventory.hosts.map(\.name) == ["web1", "fe80::2"])
        #expect(try inventory.variables(for: "web1") == ["a": 1, "c": 3])
    }

    @Test func aWholeTemplateKeepsTheReferencedType() throws {
        let inventory = try Fixture.load("edge.yml")
        #expect(try inventory.connectionVars(for: "web1").port == 8000)
    }

    @Test func templateLoopsAreErrors() throws {
        let inventory = try Fixture.load("edge.yml")
        #expect(throws: InventoryError.self) { try inventory.resolvedVariables(for: "web1") }
    }

    @Test func valuesRoundTripThroughJSON() throws {
        let value: InventoryValue = ["s": "x", "i": 1, "d": 1.5, "b": false, "l": [1, "two"], "n": nil]
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(InventoryValue.self, from: data) == value)
        #expect(value.jsonText == #"{"b": false, "d": 1.5, "i": 1, "l": [1, "two"], "n": null, "s": "x"}"#)
    }
}
