import Foundation

/// Plans for people (text) and for machines (JSON).
public enum PlanRenderer {
    /// Text grouped by play, hosts with identical plans folded together, and a summary line.
    public static func text(_ plans: [HostPlan], failures: [HostFailure] = [], colour: Bool = false) -> String {
        let paint = Paint(on: colour)
        var out = ""
        var playOrder: [String] = []
        for p in plans where !playOrder.contains(p.play) { playOrder.append(p.play) }
        for play in playOrder {
            let mine = plans.filter { $0.play == play }
            out += paint.bold("Play \"\(play)\"") + " (\(mine.count) host\(mine.count == 1 ? "" : "s"))\n"
            // Fold hosts whose changes and notes are identical, keeping first-seen order.
            var groups: [(key: HostPlan, hosts: [String])] = []
            for p in mine {
                var key = p
                key.host = ""
                key.factsDigest = ""
                key.factDigests = nil
                if let i = groups.firstIndex(where: { $0.key == key }) { groups[i].hosts.append(p.host) } else { groups.append((key, [p.host])) }
            }
            for group in groups {
                out += "\n"
                let plan = group.key
                let who = group.hosts.count == 1 ? group.hosts[0] : "\(group.hosts.count) hosts"
                if plan.changes.isEmpty {
                    out += paint.bold(who) + ": " + plan.summary + "\n"
                } else {
                    let n = plan.changes.count
                    out += paint.bold(who) + (group.hosts.count == 1 ? ": \(n) change\(n == 1 ? "" : "s")" : ": the same \(n) change\(n == 1 ? "" : "s")") + "\n"
                }
                if group.hosts.count > 1 { out += "  " + HostList.compact(group.hosts) + "\n" }
                if !plan.changes.isEmpty && !plan.summary.isEmpty { out += "  note: " + plan.summary + "\n" }
                for change in plan.changes {
                    let symbol = paint.action(change.action, change.action.symbol)
                    out += "  \(symbol) \(change.resource)  \(change.before) → \(change.after)\n"
                    out += "      \(change.reason)\n"
                    if let diff = change.diff {
                        for line in diff.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
                            out += "        " + paint.diffLine(String(line)) + "\n"
                        }
                    }
                }
            }
            out += "\n"
        }
        if !failures.isEmpty {
            out += paint.bold("Could not plan \(failures.count) host\(failures.count == 1 ? "" : "s")") + "\n"
            for f in failures {
                out += "  " + paint.wrap("31", "!") + " \(f.host)" + (f.play.map { " (\($0))" } ?? "") + ": \(f.message)\n"
            }
            out += "\n"
        }
        out += paint.bold(PlanSummary(plans, failures: failures).description) + "\n"
        return out
    }

    /// The JSON document of `flotilla plan --json` (sorted keys, stable across runs):
    ///
    /// ```
    /// { "formatVersion": 2,
    ///   "summary": { "hosts", "changing", "converged", "failed", "changes", "create", "update", "delete" },
    ///   "failures": [ { "host", "play"?, "message" } ],
    ///   "plans": [ { "host", "play", "summary", "factsDigest",
    ///                "changes": [ { "action": "create|update|delete", "resource", "before", "after",
    ///                               "reason", "diff"?, "steps": [ STEP ] } ] } ] }
    /// ```
    /// A STEP is one of `{"exec": {"argv": [..], "timeoutSeconds": N}}`, `{"package": {"call": {"manager":
    /// "apt|dnf|yum", "verb", "flags": [..], "names": [..], "lockWaitSeconds"?, "timeoutSeconds"}}}` (one call of
    /// the package tool; version 1 had these as `exec`),
    /// `{"writeFile": {"path", "content", "mode", "owner", "group", "backup"}}`, `{"removeFile": {"path", "backup"}}`,
    /// `{"makeDirectory": {"path", "mode"}}`, `{"systemctl": {"verb", "unit"?}}`.
    public static func json(_ plans: [HostPlan], failures: [HostFailure] = []) -> String {
        let doc = PlanDocument(formatVersion: 2, summary: PlanSummary(plans, failures: failures), plans: plans, failures: failures)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(doc) else { return "{}" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    struct PlanDocument: Codable {
        var formatVersion: Int
        var summary: PlanSummary
        var plans: [HostPlan]
        var failures: [HostFailure]
    }

    struct Paint {
        var on: Bool
        func wrap(_ code: String, _ s: String) -> String { on ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
        func bold(_ s: String) -> String { wrap("1", s) }
        func action(_ a: Change.Action, _ s: String) -> String {
            switch a {
            case .create: wrap("32", s)
            case .update: wrap("33", s)
            case .delete: wrap("31", s)
            }
        }
        func diffLine(_ s: String) -> String {
            if s.hasPrefix("+++") || s.hasPrefix("---") { return bold(s) }
            if s.hasPrefix("+") { return wrap("32", s) }
            if s.hasPrefix("-") { return wrap("31", s) }
            if s.hasPrefix("@@") { return wrap("36", s) }
            return s
        }
    }
}
