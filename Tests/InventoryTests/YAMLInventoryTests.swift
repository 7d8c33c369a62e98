import Inventory
import Testing

@Suite struct YAMLInventoryTests {
    @Test func yamlAndIniFormsOfTheSameFleetAgree() throws {
        let ini = try Fixture.load("basic.ini")
        let yaml = try Fixture.load("basic.yml")
        #expect(Set(ini.hosts.map(\.name)) == Set(yaml.hosts.map(\.name)))
        for name in ["web", "db", "dc1", "ungrouped"] {
            #expect(Set(ini.groups[name]?.hosts ?? []) == Set(yaml.groups[name]?.hosts ?? []), "group \(name)")
            #expect(ini.groups[name]?.children == yaml.groups[name]?.children, "group \(name)")
        }
        for host in ini.hosts {
            var iniVars = try ini.variables(for: host.name)
            var yamlVars = try yaml.variables(for: host.name)
            // INI reads `ansible_become=true` as the string "true" (not a Python literal); YAML as a boolean.
            if host.name == "db2.example.net" {
                #expect(iniVars.removeValue(forKey: "ansible_become") == .string("true"))
                #expect(yamlVars.removeValue(forKey: "ansible_become") == .bool(true))
            }
            #expect(iniVars == yamlVars, "host \(host.name)")
        }
    }

    @Test func nullHostsAndFlowMapsAreAccepted() throws {
        let inventory = try Fixture.load("basic.yml")
        #expect(inventory.host(named: "db1.example.net")?.vars == [:])
        #expect(inventory.host(named: "db2.example.net")?.vars == ["ansible_become": true])
        #expect(inventory.host(named: "web2.example.net")?.vars["ansible_port"] == .int(2222))
    }

    @Test func rangesExpandInYamlHostNames() throws {
        let inventory = try Fixture.load("ranges.yml")
        #expect(inventory.groups["padded"]?.hosts.count == 12)
        #expect(inventory.groups["padded"]?.hosts.first == "node01.example.net")
        #expect(inventory.groups["alpha"]?.hosts == ["rack-a", "rack-b", "rack-c"])
        #expect(try inventory.variables(for: "rack-b")["rack"] == .bool(true))
    }
}
