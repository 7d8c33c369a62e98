import Engine
import Foundation
import FlotillaCore
import Synchronization
import Plan
typealias PlanHostList = Plan.HostList

/// Live progress of an apply: a progress line per batch on a terminal (stderr), one line per host as it
/// finishes, or JSON lines (stdout) with --json.
final class ApplyProgress: Sendable {
    private struct State {
        var batchTotal = 0
        var batchDone = 0
        var label = ""
    }

    private let console: Console
    private let json: Bool
    private let style: Style
    private let state = Mutex(State())

    init(console: Console, json: Bool) {
        self.console = console
        self.json = json
        self.style = Style(terminal: console.isTerminal)
    }

    func handle(_ event: ApplyEvent) {
        if json {
            if let line = Self.jsonLine(event) { console.out(line) }
            return
        }
        switch event {
        case .runStarted(let id, let resumed):
            console.err(resumed ? "Resuming run \(id)\n" : "Run \(id)\n")
        case .playStarted(_, let name, let hosts, let batches):
            console.err(style.bold("Play '\(name)'") + ": \(hosts) host\(hosts == 1 ? "" : "s") in \(batches.count) batch\(batches.count == 1 ? "" : "es") (\(batches.map(String.init).joined(separator: ", ")))\n")
        case .batchStarted(_, let batch, let of, let hosts):
            let label = "batch \(batch)/\(of)"
            state.withLock { $0 = State(batchTotal: hosts.count, batchDone: 0, label: label) }
            console.err("  \(label): \(HostListText.compact(hosts))\n")
            console.progress("[\(label)] 0/\(hosts.count) hosts done")
        case .hostFinished(let report):
            let line = state.withLock { s -> String in
                s.batchDone += 1
                return "[\(s.label)] \(s.batchDone)/\(s.batchTotal) hosts done"
            }
            console.err("    " + ApplyRecap.outcomeLine(report, style: style) + "\n")
            console.progress(line)
        case .batchFinished:
            console.progress(nil)
        case .stopping(let reason):
            console.progress(nil)
            console.err(style.red("  Stopping: \(reason); no new batch starts\n"))
        }
    }

    func finish() { console.progress(nil) }

    static func jsonLine(_ event: ApplyEvent) -> String? {
        var object: [String: Any]
        switch event {
        case .runStarted(let id, let resumed): object = ["event": "run", "run": id, "resumed": resumed]
        case .playStarted(let index, let name, let hosts, let batches):
            object = ["event": "play", "play": name, "play_index": index, "hosts": hosts, "batches": batches]
        case .batchStarted(let play, let batch, let of, let hosts):
            object = ["event": "batch", "play_index": play, "batch": batch, "batches": of, "hosts": hosts]
        case .hostFinished(let report):
            object = ApplyRecap.jsonObject(report)
            object["event"] = "host"
        case .batchFinished(let play, let batch, let failures):
            object = ["event": "batch_finished", "play_index": play, "batch": batch, "failures": failures]
        case .stopping(let reason): object = ["event": "stopping", "reason": reason]
        }
        return JSONLine.encode(object)
    }
}

/// The final recap of an apply: one line per host, the counts, and why the run stopped.
struct ApplyRecap {
    let result: ApplyResult
    let resumeHint: String
    var retryHint = ""
    /// The run whose failed and unreachable hosts this run retried.
    var retryOf: Int64?

    func text(style: Style) -> String {
        var out = "\n" + style.bold("Recap of run \(result.runID)") + " (\(result.status.rawValue)"
            + (retryOf.map { ", a retry of run \($0)" } ?? "") + ")\n"
        let width = (result.reports + result.earlier).map(\.host.count).max() ?? 0
        let plays = Set(result.reports.map(\.playIndex)).count
        for r in result.reports {
            let name = r.host.padding(toLength: width, withPad: " ", startingAt: 0)
            out += "  " + (plays > 1 ? "[\(r.play)] " : "") + Self.outcomeLine(r, style: style, name: name) + "\n"
        }
        if !result.earlier.isEmpty {
            out += "  \(result.earlier.count) host\(result.earlier.count == 1 ? "" : "s") converged in earlier attempts, not redone: "
                + HostListText.compact(result.earlier.map(\.host)) + "\n"
        }
        let counts = HostOutcome.allCases.filter { $0 != .pending && $0 != .running }.map { "\($0.rawValue)=\(result.count($0))" }
        out += "\n" + counts.joined(separator: "  ") + "\n"
        let refused = result.reports.filter { $0.outcome == .refused }.map(\.host)
        if !refused.isEmpty {
            out += style.red("Refused, nothing changed (the saved plan does not fit them, see above): \(HostListText.compact(refused)); plan again for them") + "\n"
        }
        let guarded = result.reports.filter { $0.guardState == "applied" }.map(\.host)
        if !guarded.isEmpty { out += "Guard against returning daemons applied on \(HostListText.compact(guarded))\n" }
        switch result.status {
        case .completed where result.changedNothing && result.succeeded:
            out += style.green("No changes: every host was already converged.") + "\n"
        case .completed:
            if result.reports.contains(where: \.outcome.isFailure) {
                out += "Fix the cause, then retry the failed and unreachable hosts with: \(retryHint)\n"
            }
        case .stopped, .interrupted, .failed:
            out += style.red("Run \(result.status.rawValue): \(result.reason ?? "")") + "\n"
            out += "Fix the cause, then continue with: \(resumeHint)\n"
        case .running:
            break
        }
        return out
    }

    static func outcomeLine(_ r: HostReport, style: Style, name: String? = nil) -> String {
        let label: String
        switch r.outcome {
        case .ok: label = style.green("ok       ")
        case .changed: label = style.yellow("changed  ")
        case .failed: label = style.red("FAILED   ")
        case .unreachable: label = style.red("UNREACHABLE")
        case .skipped: label = style.dim("skipped  ")
        case .refused: label = style.red("REFUSED  ")
        case .pending: label = style.dim("pending  ")
        case .running: label = "running  "
        }
        var line = "\(name ?? r.host)  \(label)  \(r.message)"
        if r.outcome == .failed, let failing = r.steps.first(where: { !$0.succeeded }), !failing.stderrTail.isEmpty {
            let tail = failing.stderrTail.split(separator: "\n").suffix(3).map { "      | " + $0 }.joined(separator: "\n")
            line += "\n" + tail
        }
        return line
    }

    func jsonLines() -> String {
        var object: [String: Any] = ["event": "recap", "run": result.runID, "status": result.status.rawValue, "succeeded": result.succeeded]
        if let reason = result.reason { object["reason"] = reason }
        if let retryOf { object["retry_of"] = retryOf }
        var counts: [String: Int] = [:]
        for o in HostOutcome.allCases { counts[o.rawValue] = result.count(o) }
        object["counts"] = counts
        object["hosts"] = result.reports.map(Self.jsonObject)
        object["converged_earlier"] = result.earlier.map(\.host)
        return JSONLine.encode(object) ?? ""
    }

    static func jsonObject(_ r: HostReport) -> [String: Any] {
        var o: [String: Any] = [
            "host": r.host, "play": r.play, "batch": r.batch, "outcome": r.outcome.rawValue, "message": r.message, "changes": r.changes,
        ]
        if let g = r.guardState { o["guard"] = g }
        if let s = r.started { o["started"] = JSONLine.date(s) }
        if let f = r.finished { o["finished"] = JSONLine.date(f) }
        o["steps"] = r.steps.map { s -> [String: Any] in
            [
                "index": s.index, "resource": s.resource, "description": s.description, "status": s.status, "succeeded": s.succeeded,
                "stdout_tail": s.stdoutTail, "stderr_tail": s.stderrTail, "started": JSONLine.date(s.started), "finished": JSONLine.date(s.finished),
                "duration": s.duration,
            ]
        }
        return o
    }
}

/// One JSON object per line.
enum JSONLine {
    static func encode(_ object: [String: Any]) -> String? {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return nil }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func date(_ d: Date) -> String {
        d.formatted(.iso8601)
    }
}

/// `HostList.compact` from Plan, under a name that does not clash in this module.
enum HostListText {
    static func compact(_ names: [String]) -> String { PlanHostList.compact(names) }
}
