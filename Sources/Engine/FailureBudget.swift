public import Plan

/// The failure budget of one play, counted per batch and over the whole run, the way Ansible counts
/// `max_fail_percentage` for a batch: the run stops when failed / batch size is strictly greater than
/// the percentage (so 10% of a batch of 9 allows no failure, of a batch of 10 allows one).
///
/// An absolute budget N allows N failed hosts over the run (the N+1th stops it); a percentage P allows
/// `P% of the batch` failures in each batch and `P% of the play's hosts` (rounded down) over the run.
/// No budget at all means that any failure stops the run, as the playbook's default promises.
/// Failed and unreachable hosts both spend the budget; the verdict names each as the recap's tally does.
public struct FailureBudget: Sendable, Hashable {
    public var budget: Rollout.Budget?
    /// Hosts in the play (for percentages over the run).
    public var total: Int

    /// Hosts that spent the budget: a step failed (or the facts, the plan or the gate), or no connection.
    public struct Spent: Sendable, Hashable {
        public var failed: Int
        public var unreachable: Int
        public var count: Int { failed + unreachable }

        public init(failed: Int = 0, unreachable: Int = 0) {
            self.failed = failed
            self.unreachable = unreachable
        }

        /// Counts the outcomes that spend the budget.
        public init(_ outcomes: [HostOutcome]) {
            self.init(failed: outcomes.filter { $0 == .failed }.count, unreachable: outcomes.filter { $0 == .unreachable }.count)
        }

        public static func + (a: Spent, b: Spent) -> Spent { Spent(failed: a.failed + b.failed, unreachable: a.unreachable + b.unreachable) }
    }

    public init(_ budget: Rollout.Budget?, total: Int) {
        self.budget = budget
        self.total = total
    }

    /// Why no new batch may start after a batch of `batchSize` hosts of which `batch` spent the budget, with
    /// `run` spent so far in the run (this batch's included); nil while within the budget.
    public func verdict(batchSize: Int, batch: Spent, run: Spent) -> String? {
        switch budget {
        case nil:
            return run.count > 0 ? "\(Self.tally(run, subject: Self.hosts(run.count))) and the play allows no failure (set max_failures)" : nil
        case .count(let n):
            return run.count > n ? "\(Self.tally(run, subject: Self.hosts(run.count))), more than max_failures \(n) allows" : nil
        case .percent(let p):
            if batchSize > 0 && batch.count * 100 > p * batchSize {
                return "\(Self.tally(batch, subject: "\(batch.count) of the batch's \(Self.hosts(batchSize))")), more than max_failures \(p)% allows"
            }
            let allowed = total * p / 100
            return run.count > allowed
                ? "\(Self.tally(run, subject: Self.hosts(run.count))), more than max_failures \(p)% of \(Self.hosts(total)) (\(allowed)) allows" : nil
        }
    }

    /// `2 hosts failed`, `1 host unreachable`, `3 hosts failed or unreachable (2 failed, 1 unreachable)`.
    static func tally(_ spent: Spent, subject: String) -> String {
        if spent.unreachable == 0 { return "\(subject) failed" }
        if spent.failed == 0 { return "\(subject) unreachable" }
        return "\(subject) failed or unreachable (\(spent.failed) failed, \(spent.unreachable) unreachable)"
    }

    private static func hosts(_ n: Int) -> String { n == 1 ? "1 host" : "\(n) hosts" }
}
