import Inventory
import Testing

/// The example inventories shipped in Inventories/ load, and both forms describe the same fleet.
@Suite struct ShippedInventoryTests {
    static let root: String = {
        // #filePath is .../Tests/InventoryTests/ShippedInventoryTests.swift
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    static func load(_ name: String) throws -> Inventory { try Inventory.load(path: root + "/Inventories/" + name) }

    @Test func vpcIniDescribesTheFleet() throws {
        let inventory = try Self.load("vpc.ini")
        #expect(inventory.warnings.isEmpty)
        #expect(try inventory.names("timemaster") == ["ntp01.vpc.internal"])
        #expect(try inventory.names("zone_a").count == 10)
        #expect(try inventory.names("zone_b").count == 10)
        #expect(try inventory.names("clients").first == "app01.vpc.internal")
        #expect(try inventory.names("clients").last == "app20.vpc.internal")
        #expect(inventory.groups["clients"]?.children == ["zone_a", "zone_b"])
        let master = try inventory.connectionVars(for: "ntp01.vpc.internal")
        #expect(master.address == "10.20.0.10")
        #expect(master.become == true)
        #expect(try inventory.variables(for: "app15.vpc.internal")["timemaster_address"] == "10.20.0.10")
    }

    @Test func vpcYamlIsTheSameFleetAsVpcIni() throws {
        let ini = try Self.load("vpc.ini")
        let yaml = try Self.load("vpc.yml")
        #expect(yaml.warnings.isEmpty)
        #expect(ini.hosts.map(\.name) == yaml.hosts.map(\.name))
        for group in ini.groupNames {
            #expect(ini.groups[group]?.hosts == yaml.groups[group]?.hosts, "group \(group)")
            #expect(ini.groups[group]?.children == yaml.groups[group]?.children, "group \(group)")
        }
        for host in ini.hosts {
            #expect(try ini.variables(for: host.name) == yaml.variables(for: host.name), "host \(host.name)")
            #expect(try ini.connectionVars(for: host.name) == yaml.connectionVars(for: host.name), "host \(host.name)")
        }
    }
}
