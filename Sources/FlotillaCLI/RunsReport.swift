import Engine
import Foundation
import FlotillaCore

/// Text and JSON for `flotilla runs`.
enum RunsReport {
    static func time(_ d: Date) -> String {
        d.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon))
    }

    static func counts(_ r: RunRecord) -> String {
        let order: [HostOutcome] = [.ok, .changed, .failed, .unreachable, .refused, .skipped, .pending, .running]
        return order.compactMap { o in r.counts[o].map { "\($0) \(o.rawValue)" } }.joined(separator: ", ")
    }

    static func table(_ runs: [RunRecord], path: String) -> String {
        guard !runs.isEmpty else { return "No runs in \(path) yet.\n" }
        let width = max(12, (runs.map { $0.summary.count }.max() ?? 0) + 1)
        var out = "RUN  STARTED               " + "STATUS".padding(toLength: width, withPad: " ", startingAt: 0) + " HOSTS                                   PLAYBOOK\n"
        for r in runs {
            let id = String(r.id).padding(toLength: 4, withPad: " ", startingAt: 0)
            let status = r.summary.padding(toLength: width, withPad: " ", startingAt: 0)
            let hosts = counts(r).padding(toLength: 39, withPad: " ", startingAt: 0)
            out += "\(id) \(time(r.started))  \(status) \(hosts) \(r.playbookPath)" + (r.retryOf.map { " (retry of run \($0))" } ?? "") + "\n"
        }
        return out
    }

    static func detail(_ d: RunDetail, style: Style) -> String {
        let r = d.run
        var out = style.bold("Run \(r.id)") + ": \(r.summary)" + (r.reason.map { " (\($0))" } ?? "") + "\n"
        if let of = r.retryOf { out += "  retry of run \(of) (its failed and unreachable hosts, with a fresh plan)\n" }
        if !r.retriedBy.isEmpty { out += "  retried by run\(r.retriedBy.count == 1 ? "" : "s") \(r.retriedBy.map(String.init).joined(separator: ", "))\n" }
        out += "  started   \(time(r.started))" + (r.finished.map { ", finished \(time($0))" } ?? "") + "\n"
        out += "  playbook  \(r.playbookPath) \(r.playbookDigest)\n"
        if let plan = r.planFile { out += "  plan      \(plan)\n" }
        out += "  inventory \(r.inventoryDigest)\n"
        out += "  rollout   \(r.rollout)\n"
        out += "  command   \(r.commandLine)\n"
        out += "  attempts  \(r.attempts)\n"
        out += "  hosts     \(counts(r))\n"
        var play = -1
        for h in d.hosts {
            if h.report.playIndex != play {
                play = h.report.playIndex
                out += "\n" + style.bold("Play '\(h.report.play)'") + "\n"
            }
            let rep = h.report
            out += "  batch \(rep.batch)  " + ApplyRecap.outcomeLine(rep, style: style).split(separator: "\n").first.map(String.init)! + "\n"
            if let g = rep.guardState { out += "      guard: \(g)\n" }
            for step in h.history {
                let mark = step.step.succeeded ? "ok " : style.red("ERR")
                let attempt = h.attempts > 1 ? "attempt \(step.attempt), " : ""
                out += "      [\(mark)] \(attempt)step \(step.step.index) \(step.step.description) (\(step.step.resource)): \(step.step.status), "
                    + DurationText.format(.seconds(step.step.duration)) + "\n"
                if !step.step.succeeded {
                    for line in step.step.stderrTail.split(separator: "\n").suffix(5) { out += "            | \(line)\n" }
                }
            }
        }
        return out
    }

    static func record(_ r: RunRecord) -> [String: Any] {
        var o: [String: Any] = [
            "run": r.id, "started": JSONLine.date(r.started), "status": r.status.rawValue, "playbook": r.playbookPath,
            "playbook_digest": r.playbookDigest, "inventory_digest": r.inventoryDigest, "rollout": r.rollout, "command_line": r.commandLine,
            "attempts": r.attempts, "counts": Dictionary(uniqueKeysWithValues: r.counts.map { ($0.key.rawValue, $0.value) }),
            "summary": r.summary, "retried_by": r.retriedBy,
        ]
        if let of = r.retryOf { o["retry_of"] = of }
        if let f = r.finished { o["finished"] = JSONLine.date(f) }
        if let reason = r.reason { o["reason"] = reason }
        if let plan = r.planFile { o["plan_file"] = plan }
        return o
    }

    static func jsonLine(_ r: RunRecord) -> String { JSONLine.encode(record(r)) ?? "" }

    static func json(_ d: RunDetail) -> String {
        var o = record(d.run)
        o["hosts"] = d.hosts.map { h -> [String: Any] in
            var host = ApplyRecap.jsonObject(h.report)
            host["attempts"] = h.attempts
            host["history"] = h.history.map { s -> [String: Any] in
                [
                    "attempt": s.attempt, "index": s.step.index, "resource": s.step.resource, "description": s.step.description,
                    "status": s.step.status, "succeeded": s.step.succeeded, "stdout_tail": s.step.stdoutTail, "stderr_tail": s.step.stderrTail,
                    "started": JSONLine.date(s.step.started), "finished": JSONLine.date(s.step.finished), "duration": s.step.duration,
                ]
            }
            return host
        }
        return JSONLine.encode(o) ?? "{}\n"
    }
}
