import Engine
import Plan
import Testing

@Suite struct FailureBudgetTests {
    @Test func absoluteBudgetStopsAtTheFailureAfterTheAllowedOnes() {
        let budget = FailureBudget(.count(1), total: 8)
        #expect(budget.verdict(batchSize: 3, batchFailures: 1, runFailures: 1) == nil)
        let verdict = budget.verdict(batchSize: 4, batchFailures: 1, runFailures: 2)
        #expect(verdict?.contains("2 hosts failed") == true)
        #expect(verdict?.contains("max_failures 1") == true)
    }

    @Test func noBudgetMeansAnyFailureStops() {
        let budget = FailureBudget(nil, total: 8)
        #expect(budget.verdict(batchSize: 1, batchFailures: 0, runFailures: 0) == nil)
        #expect(budget.verdict(batchSize: 1, batchFailures: 1, runFailures: 1) != nil)
        #expect(FailureBudget(.count(0), total: 8).verdict(batchSize: 4, batchFailures: 1, runFailures: 1) != nil)
    }

    @Test func percentageIsCountedPerBatchStrictlyAboveAsAnsibleDoes() {
        // Ansible stops when failed / batch size > max_fail_percentage / 100.
        let budget = FailureBudget(.percent(10), total: 100)
        #expect(budget.verdict(batchSize: 10, batchFailures: 1, runFailures: 1) == nil)  // exactly 10%: goes on
        #expect(budget.verdict(batchSize: 9, batchFailures: 1, runFailures: 1) != nil)  // 11%: stops
        #expect(FailureBudget(.percent(50), total: 100).verdict(batchSize: 2, batchFailures: 1, runFailures: 1) == nil)
        #expect(FailureBudget(.percent(49), total: 100).verdict(batchSize: 2, batchFailures: 1, runFailures: 1) != nil)
    }

    @Test func percentageIsCountedOverTheWholeRunRoundedDown() {
        // 10% of 25 hosts allows 2 failures over the run, even when every batch stays within its own share.
        let budget = FailureBudget(.percent(10), total: 25)
        #expect(budget.verdict(batchSize: 10, batchFailures: 1, runFailures: 1) == nil)
        #expect(budget.verdict(batchSize: 10, batchFailures: 1, runFailures: 2) == nil)
        let verdict = budget.verdict(batchSize: 10, batchFailures: 1, runFailures: 3)
        #expect(verdict?.contains("10% of 25 hosts (2)") == true)
    }

    @Test func commandLineSettingsAreRead() throws {
        #expect(try RolloutOverride.parseSerial("1,10%,50%,100%") == [.count(1), .percent(10), .percent(50), .percent(100)])
        #expect(try RolloutOverride.parseSerial("5") == [.count(5)])
        #expect(try RolloutOverride.parseBudget("3") == .count(3))
        #expect(try RolloutOverride.parseBudget("20%") == .percent(20))
        for bad in ["", "0", "1,,2", "150%", "x", "-1"] {
            #expect(throws: EngineError.self) { try RolloutOverride.parseSerial(bad) }
        }
        for bad in ["", "-1", "101%", "ten"] {
            #expect(throws: EngineError.self) { try RolloutOverride.parseBudget(bad) }
        }
    }

    @Test func overridesReplaceThePlaybooksSettingsButKeepGroupLimits() {
        let play = Rollout(serial: [.count(1)], maxFailures: .count(0), maxPerGroup: [Rollout.GroupLimit(prefixes: ["zone_"], limit: 2)])
        let applied = RolloutOverride(serial: [.percent(50)], maxFailures: .percent(20)).applied(to: play)
        #expect(applied.serial == [.percent(50)])
        #expect(applied.maxFailures == .percent(20))
        #expect(applied.maxPerGroup == play.maxPerGroup)
        #expect(RolloutOverride().applied(to: play) == play)
    }
}
