import Engine
import Plan
import Testing

@Suite struct FailureBudgetTests {
    @Test func absoluteBudgetStopsAtTheFailureAfterTheAllowedOnes() {
        let budget = FailureBudget(.count(1), total: 8)
        #expect(budget.verdict(batchSize: 3, batch: .init(failed: 1), run: .init(failed: 1)) == nil)
        let verdict = budget.verdict(batchSize: 4, batch: .init(failed: 1), run: .init(failed: 2))
        #expect(verdict?.contains("2 hosts failed") == true)
        #expect(verdict?.contains("max_failures 1") == true)
    }

    @Test func noBudgetMeansAnyFailureStops() {
        let budget = FailureBudget(nil, total: 8)
        #expect(budget.verdict(batchSize: 1, batch: .init(failed: 0), run: .init(failed: 0)) == nil)
        #expect(budget.verdict(batchSize: 1, batch: .init(failed: 1), run: .init(failed: 1)) != nil)
        #expect(FailureBudget(.count(0), total: 8).verdict(batchSize: 4, batch: .init(failed: 1), run: .init(failed: 1)) != nil)
    }

    @Test func percentageIsCountedPerBatchStrictlyAboveAsAnsibleDoes() {
        // Ansible stops when failed / batch size > max_fail_percentage / 100.
        let budget = FailureBudget(.percent(10), total: 100)
        #expect(budget.verdict(batchSize: 10, batch: .init(failed: 1), run: .init(failed: 1)) == nil)  // exactly 10%: goes on
        #expect(budget.verdict(batchSize: 9, batch: .init(failed: 1), run: .init(failed: 1)) != nil)  // 11%: stops
        #expect(FailureBudget(.percent(50), total: 100).verdict(batchSize: 2, batch: .init(failed: 1), run: .init(failed: 1)) == nil)
        #expect(FailureBudget(.percent(49), total: 100).verdict(batchSize: 2, batch: .init(failed: 1), run: .init(failed: 1)) != nil)
    }

    @Test func percentageIsCountedOverTheWholeRunRoundedDown() {
        // 10% of 25 hosts allows 2 failures over the run, even when every batch stays within its own share.
        let budget = FailureBudget(.percent(10), total: 25)
        #expect(budget.verdict(batchSize: 10, batch: .init(failed: 1), run: .init(failed: 1)) == nil)
        #expect(budget.verdict(batchSize: 10, batch: .init(failed: 1), run: .init(failed: 2)) == nil)
        let verdict = budget.verdict(batchSize: 10, batch: .init(failed: 1), run: .init(failed: 3))
        #expect(verdict?.contains("10% of 25 hosts (2)") == true)
    }

    /// An unreachable host spends the budget like a failed one, and the verdict calls it unreachable, as the
    /// recap's tally does (it used to say "1 host failed" of a host that was never reached).
    @Test func unreachableHostsAreNamedUnreachableInTheVerdict() {
        let none = FailureBudget(nil, total: 8)
        #expect(none.verdict(batchSize: 1, batch: .init(unreachable: 1), run: .init(unreachable: 1))
            == "1 host unreachable and the play allows no failure (set max_failures)")

        // max_failures 1: one unreachable host is allowed; one more, failed, is not.
        let count = FailureBudget(.count(1), total: 8)
        #expect(count.verdict(batchSize: 2, batch: .init(unreachable: 1), run: .init(unreachable: 1)) == nil)
        #expect(count.verdict(batchSize: 2, batch: .init(failed: 1), run: .init(failed: 1, unreachable: 1))
            == "2 hosts failed or unreachable (1 failed, 1 unreachable), more than max_failures 1 allows")
        #expect(count.verdict(batchSize: 3, batch: .init(unreachable: 2), run: .init(unreachable: 2))
            == "2 hosts unreachable, more than max_failures 1 allows")

        // 40% of a batch: 2 of 5 unreachable is exactly the share and goes on; 2 of 4 stops.
        let share = FailureBudget(.percent(40), total: 100)
        #expect(share.verdict(batchSize: 5, batch: .init(unreachable: 2), run: .init(unreachable: 2)) == nil)
        #expect(share.verdict(batchSize: 4, batch: .init(unreachable: 2), run: .init(unreachable: 2))
            == "2 of the batch's 4 hosts unreachable, more than max_failures 40% allows")
        // Over the run: 10% of 25 hosts allows 2.
        #expect(FailureBudget(.percent(10), total: 25).verdict(batchSize: 10, batch: .init(unreachable: 1), run: .init(failed: 2, unreachable: 1))
            == "3 hosts failed or unreachable (2 failed, 1 unreachable), more than max_failures 10% of 25 hosts (2) allows")
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
