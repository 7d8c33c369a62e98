public import Foundation

/// How a host ended in a run (the recap's columns), or where it stands while the run is under way.
public enum HostOutcome: String, Sendable, Codable, CodingKeyRepresentable, Hashable, CaseIterable {
    /// Waiting for its batch.
    case pending
    /// Its batch is under way.
    case running
    /// Nothing to do: the host was converged (and passed the sync gate).
    case ok
    /// Every step ran and the sync gate passed.
    case changed
    /// A step failed, the facts could not be read or planned, or the sync gate did not pass.
    case failed
    /// No connection.
    case unreachable
    /// Not touched: the budget or the operator stopped the run first, or it failed in an earlier play.
    case skipped
    /// Not touched: the saved plan being applied was made from other facts than the host has now (the message
    /// names them), or has no plan for the host.
    case refused

    /// Finished for good: resume does not redo it.
    public var isConverged: Bool { self == .ok || self == .changed }
    /// Counts against the failure budget.
    public var isFailure: Bool { self == .failed || self == .unreachable }
}

/// One step as it ran on a host.
public struct StepRecord: Sendable, Codable, Hashable {
    /// Position among the host's steps, from 1.
    public var index: Int
    /// The change it belongs to (`package[ntpsec]`).
    public var resource: String
    public var description: String
    /// `exit 0`, `exit 100`, `timed out`, or why no status came back.
    public var status: String
    public var succeeded: Bool
    public var stdoutTail: String
    public var stderrTail: String
    public var started: Date
    public var finished: Date
    /// How long the step took, in seconds, on a monotonic clock: a step that steps the host's or the
    /// controller's clock (chrony's `makestep`) still shows its real length. Journals written before it was
    /// kept give `finished - started`.
    public var duration: TimeInterval

    public init(
        index: Int, resource: String, description: String, status: String, succeeded: Bool, stdoutTail: String,
        stderrTail: String, started: Date, finished: Date, duration: TimeInterval? = nil
    ) {
        self.duration = max(0, duration ?? finished.timeIntervalSince(started))
        self.index = index
        self.resource = resource
        self.description = description
        self.status = status
        self.succeeded = succeeded
        self.stdoutTail = stdoutTail
        self.stderrTail = stderrTail
        self.started = started
        self.finished = finished
    }
}

/// What happened on one host in one play of a run.
public struct HostReport: Sendable, Codable, Hashable {
    public var host: String
    public var playIndex: Int
    public var play: String
    /// Batch number within the play, from 1.
    public var batch: Int
    public var outcome: HostOutcome
    /// A sentence: why it failed, was skipped or is converged; what the gate saw.
    public var message: String
    /// Changes the plan had for the host (resources), in order.
    public var changes: [String]
    public var steps: [StepRecord]
    /// The guard against returning daemons: "applied" (written in this run), "in place", or nil (no guard).
    public var guardState: String?
    public var started: Date?
    public var finished: Date?

    public init(
        host: String, playIndex: Int, play: String, batch: Int, outcome: HostOutcome, message: String = "",
        changes: [String] = [], steps: [StepRecord] = [], guardState: String? = nil, started: Date? = nil, finished: Date? = nil
    ) {
        self.host = host
        self.playIndex = playIndex
        self.play = play
        self.batch = batch
        self.outcome = outcome
        self.message = message
        self.changes = changes
        self.steps = steps
        self.guardState = guardState
        self.started = started
        self.finished = finished
    }
}

/// The last bytes of a command's output, as text, for reports and the journal.
public enum OutputTail {
    public static let limit = 2048

    public static func of(_ bytes: [UInt8], limit: Int = OutputTail.limit) -> String {
        let cut = bytes.count > limit ? Array(bytes.suffix(limit)) : bytes
        let text = String(decoding: cut, as: UTF8.self)
        return (bytes.count > limit ? "…" : "") + text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
