public import Plan

/// The failure budget of one play, counted per batch and over the whole run, the way Ansible counts
/// `max_fail_percentage` for a batch: the run stops when failed / batch size is strictly greater than
/// the percentage (so 10% of a batch of 9 allows no failure, of a batch of 10 allows one).
///
/// An absolute budget N allows N failed hosts over the run (the N+1th stops it); a percentage P allows
/// `P% of the batch` failures in each batch and `P% of the play's hosts` (rounded down) over the run.
/// No budget at all means that any failure stops the run, as the playbook's default promises.
public struct FailureBudget: Sendable, Hashable {
    public var budget: Rollout.Budget?
    /// Hosts in the play (for percentages over the run).
    public var total: Int

    public init(_ budget: Rollout.Budget?, total: Int) {
        self.budget = budget
        self.total = total
    }

    /// Why no new batch may start after a batch of `batchSize` hosts with `batchFailures` failures, with
    /// `runFailures` failures so far in the run (this batch's included); nil while within the budget.
    public func verdict(batchSize: Int, batchFailures: Int, runFailures: Int) -> String? {
        switch budget {
        case nil:
            return runFailures > 0 ? "\(hosts(runFailures)) failed and the play allows no failure (set max_failures)" : nil
        case .count(let n):
            return runFailures > n ? "\(hosts(runFailures)) failed, more than max_failures \(n) allows" : nil
        case .percent(let p):
            if batchSize > 0 && batchFailures * 100 > p * batchSize {
                return "\(batchFailures) of the batch's \(hosts(batchSize)) failed, more than max_failures \(p)% allows"
            }
            let allowed = total * p / 100
            return runFailures > allowed
                ? "\(hosts(runFailures)) failed, more than max_failures \(p)% of \(hosts(total)) (\(allowed)) allows" : nil
        }
    }

    private func hosts(_ n: Int) -> String { n == 1 ? "1 host" : "\(n) hosts" }
}
