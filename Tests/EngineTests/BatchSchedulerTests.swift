import Engine
import Plan
import Testing

@Suite struct BatchSchedulerTests {
    let eight = (1...8).map { "node0\($0)" }

    @Test func canaryThenThreeThenTheRest() {
        let rollout = Rollout(serial: [.count(1), .count(3), .percent(100)])
        let batches = BatchScheduler.batches(eight, rollout: rollout)
        #expect(batches == [["node01"], ["node02", "node03", "node04"], ["node05", "node06", "node07", "node08"]])
    }

    @Test func lastSizeRepeatsUntilEveryHostHadItsTurn() {
        let batches = BatchScheduler.batches(eight, rollout: Rollout(serial: [.count(1), .count(3)]))
        #expect(batches.map(\.count) == [1, 3, 3, 1])
        #expect(batches.flatMap { $0 } == eight)
    }

    @Test func percentageBatchesRoundUpAndHoldAtLeastOneHost() {
        // Plan's Rollout.Size rounds up (Ansible's serial rounds down): 30% of 8 hosts is 2.4 -> 3; never below one host.
        let ten = (1...10).map { "h\($0)" }
        #expect(BatchScheduler.batches(ten, rollout: Rollout(serial: [.count(1), .percent(30), .percent(100)])).map(\.count) == [1, 3, 6])
        #expect(BatchScheduler.batches(eight, rollout: Rollout(serial: [.percent(30)])).map(\.count) == [3, 3, 2])
        #expect(BatchScheduler.batches(eight, rollout: Rollout(serial: [.percent(1)])).map(\.count) == Array(repeating: 1, count: 8))
    }

    @Test func noSerialMeansOneBatchOfAllHosts() {
        #expect(BatchScheduler.batches(eight, rollout: Rollout()) == [eight])
        #expect(BatchScheduler.batches([], rollout: Rollout(serial: [.count(2)])).isEmpty)
    }

    @Test func groupLimitKeepsAtMostKHostsOfAZoneInABatch() {
        let groups = [
            "node01": ["all", "zone_a"], "node02": ["all", "zone_a"], "node03": ["all", "zone_a"], "node04": ["all", "zone_b"],
            "node05": ["all", "zone_b"], "node06": ["all", "zone_b"], "node07": ["all", "zone_a"], "node08": ["all", "zone_c"],
        ]
        let rollout = Rollout(serial: [.count(4)], maxPerGroup: [Rollout.GroupLimit(prefixes: ["zone_"], limit: 1)])
        let batches = BatchScheduler.batches(eight, rollout: rollout, groups: groups)
        for batch in batches {
            for zone in ["zone_a", "zone_b", "zone_c"] {
                #expect(batch.filter { groups[$0]!.contains(zone) }.count <= 1, "batch \(batch) has two hosts of \(zone)")
            }
            #expect(batch.count <= 4)
        }
        #expect(batches.first == ["node01", "node04", "node08"])
        #expect(Set(batches.flatMap { $0 }) == Set(eight))
        #expect(batches.flatMap { $0 }.count == 8)
    }

    @Test func groupsOutsideTheLimitedPrefixesAreNotLimited() {
        let groups = Dictionary(uniqueKeysWithValues: eight.map { ($0, ["all", "web"]) })
        let rollout = Rollout(serial: [.count(4)], maxPerGroup: [Rollout.GroupLimit(prefixes: ["rack_"], limit: 1)])
        #expect(BatchScheduler.batches(eight, rollout: rollout, groups: groups).map(\.count) == [4, 4])
    }
}
