/// Counts over a set of host plans, for the summary line and JSON.
public struct PlanSummary: Sendable, Codable, Hashable, CustomStringConvertible {
    public var hosts: Int
    /// Hosts with at least one change.
    public var changing: Int
    /// Hosts with nothing to do in any play.
    public var converged: Int
    public var changes: Int
    public var create: Int
    public var update: Int
    public var delete: Int

    public init(_ plans: [HostPlan]) {
        var seen: [String: Bool] = [:]
        var order: [String] = []
        for p in plans {
            if seen[p.host] == nil { order.append(p.host) }
            seen[p.host] = (seen[p.host] ?? false) || !p.changes.isEmpty
        }
        hosts = order.count
        changing = seen.values.filter { $0 }.count
        converged = hosts - changing
        let all = plans.flatMap(\.changes)
        changes = all.count
        create = all.filter { $0.action == .create }.count
        update = all.filter { $0.action == .update }.count
        delete = all.filter { $0.action == .delete }.count
    }

    /// `Plan: 12 hosts, 9 to change (41 changes: 14 to add, 20 to change, 7 to destroy), 3 converged`.
    public var description: String {
        func n(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
        if changes == 0 { return "Plan: \(n(hosts, "host")), all converged: nothing to change" }
        return "Plan: \(n(hosts, "host")), \(changing) to change (\(n(changes, "change")): \(create) to add, \(update) to change, \(delete) to destroy), \(converged) converged"
    }

    /// Whether `--detailed-exitcode` returns 2.
    public var hasChanges: Bool { changes > 0 }
}
