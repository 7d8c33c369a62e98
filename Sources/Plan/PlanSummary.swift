/// Counts over a set of host plans, for the summary line and JSON.
public struct PlanSummary: Sendable, Codable, Hashable, CustomStringConvertible {
    public var hosts: Int
    /// Hosts with at least one change.
    public var changing: Int
    /// Hosts with nothing to do in any play.
    public var converged: Int
    /// Hosts that could not be planned.
    public var failed: Int
    public var changes: Int
    public var create: Int
    public var update: Int
    public var delete: Int

    public init(_ plans: [HostPlan], failures: [HostFailure] = []) {
        var seen: [String: Bool] = [:]
        var order: [String] = []
        for p in plans {
            if seen[p.host] == nil { order.append(p.host) }
            seen[p.host] = (seen[p.host] ?? false) || !p.changes.isEmpty
        }
        // A host that failed in any play is counted as failed, not as changing or converged.
        let failedHosts = Set(failures.map(\.host))
        for h in failedHosts where seen[h] == nil { order.append(h) }
        hosts = order.count
        failed = failedHosts.count
        changing = seen.filter { $0.value && !failedHosts.contains($0.key) }.count
        converged = hosts - changing - failed
        let all = plans.flatMap(\.changes)
        changes = all.count
        create = all.filter { $0.action == .create }.count
        update = all.filter { $0.action == .update }.count
        delete = all.filter { $0.action == .delete }.count
    }

    /// `Plan: 12 hosts, 9 to change (41 changes: 14 to add, 20 to change, 7 to destroy), 3 converged`.
    public var description: String {
        func n(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
        let failedText = failed == 0 ? "" : ", \(failed) could not be planned"
        if changes == 0 && failed == 0 { return "Plan: \(n(hosts, "host")), all converged: nothing to change" }
        if changes == 0 { return "Plan: \(n(hosts, "host")), nothing to change, \(converged) converged" + failedText }
        return "Plan: \(n(hosts, "host")), \(changing) to change (\(n(changes, "change")): \(create) to add, \(update) to change, \(delete) to destroy), \(converged) converged" + failedText
    }

    /// Whether `--detailed-exitcode` returns 2.
    public var hasChanges: Bool { changes > 0 }
}
