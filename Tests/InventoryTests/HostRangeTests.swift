import Inventory
import Testing

@Suite struct HostRangeTests {
    @Test func numericRangesKeepZeroPadding() throws {
        let hosts = try Fixture.load("ranges.ini").groups["padded"]?.hosts ?? []
        #expect(hosts.count == 12)
        #expect(hosts.prefix(2) == ["node01.example.net", "node02.example.net"])
        #expect(hosts.last == "node12.example.net")
    }

    @Test func strideSkipsNumbers() throws {
        #expect(try Fixture.load("ranges.ini").groups["stride"]?.hosts == ["node1", "node4", "node7", "node10"])
    }

    @Test func alphabeticRangesExpandLetters() throws {
        #expect(try Fixture.load("ranges.ini").groups["alpha"]?.hosts == ["rack-a", "rack-b", "rack-c"])
    }

    @Test func severalRangesInOneNameExpandFirstRangeOutermost() throws {
        #expect(
            try Fixture.load("ranges.ini").groups["multi"]?.hosts == [
                "r1-n01", "r1-n02", "r1-n03", "r2-n01", "r2-n02", "r2-n03",
            ])
    }

    @Test func aRangeWithAPortGivesEveryHostThePort() throws {
        let inventory = try Fixture.load("ranges.ini")
        #expect(inventory.groups["ported"]?.hosts == ["edge1", "edge2"])
        #expect(try inventory.variables(for: "edge2")["ansible_port"] == .int(2222))
    }
}

@Suite struct LargeInventoryTests {
    @Test(.timeLimit(.minutes(1))) func twentyThousandHostsInTwoGroupsLoadAndSelect() throws {
        let inventory = try Fixture.load("large.ini")
        #expect(inventory.hosts.count == 20_000)
        #expect(inventory.hosts.last?.name == "node20000.example.net")
        #expect(inventory.host(named: "node00001.example.net")?.groups == ["big", "big2"])
        #expect(try inventory.names("node1*:&big2:!node19*").count == 9_000)
    }
}
