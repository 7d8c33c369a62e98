public import Foundation

/// How a run stands, as the journal shows it.
public enum RunStatus: String, Sendable, Codable, Hashable, CaseIterable {
    /// A controller is working on it now.
    case running
    /// Every batch ran (some hosts may have failed within the budget).
    case completed
    /// The failure budget stopped it: no new batch started.
    case stopped
    /// The run itself failed (the journal or the inventory, not a host).
    case failed
    /// Ctrl-C, or the controller died (a run left "running" by a process that is gone).
    case interrupted

    /// `--resume` may continue it.
    public var isResumable: Bool { self == .stopped || self == .interrupted || self == .failed }
}

/// A run's row in the journal.
public struct RunRecord: Sendable, Codable, Hashable {
    public var id: Int64
    public var started: Date
    public var finished: Date?
    public var status: RunStatus
    /// Why it stopped, failed or was interrupted.
    public var reason: String?
    public var playbookPath: String
    public var playbookDigest: String
    public var inventoryDigest: String
    /// The saved plan file it applied, if any.
    public var planFile: String?
    /// The rollout of each play, in words (`serial 1,30%,100%; max_failures 1`).
    public var rollout: String
    /// The command-line overrides of the rollout, kept so that `--resume` uses them again.
    public var rolloutOverride: RolloutOverride
    public var commandLine: String
    /// How many times a controller worked on it (1, plus one per resume).
    public var attempts: Int
    /// Hosts per outcome.
    public var counts: [HostOutcome: Int]
    /// The run whose failed and unreachable hosts this one retried (`apply --retry-failed`).
    public var retryOf: Int64?
    /// The runs that retried this one's failed and unreachable hosts.
    public var retriedBy: [Int64]

    public init(
        id: Int64, started: Date, finished: Date?, status: RunStatus, reason: String?, playbookPath: String, playbookDigest: String,
        inventoryDigest: String, planFile: String?, rollout: String, rolloutOverride: RolloutOverride, commandLine: String,
        attempts: Int, counts: [HostOutcome: Int], retryOf: Int64? = nil, retriedBy: [Int64] = []
    ) {
        self.retryOf = retryOf
        self.retriedBy = retriedBy
        self.id = id
        self.started = started
        self.finished = finished
        self.status = status
        self.reason = reason
        self.playbookPath = playbookPath
        self.playbookDigest = playbookDigest
        self.inventoryDigest = inventoryDigest
        self.planFile = planFile
        self.rollout = rollout
        self.rolloutOverride = rolloutOverride
        self.commandLine = commandLine
        self.attempts = attempts
        self.counts = counts
    }
}

extension RunRecord {
    /// The status as `flotilla runs` shows it: a run that completed with hosts failed, unreachable or refused
    /// says so (`completed with refusals`) rather than a bare `completed`.
    public var summary: String {
        guard status == .completed else { return status.rawValue }
        var what: [String] = []
        if (counts[.failed] ?? 0) + (counts[.unreachable] ?? 0) > 0 { what.append("failures") }
        if (counts[.refused] ?? 0) > 0 { what.append("refusals") }
        return what.isEmpty ? "completed" : "completed with " + what.joined(separator: " and ")
    }

    /// Hosts failed or unreachable (per play): what `apply --retry-failed` retries.
    public var failedOrUnreachable: Int { (counts[.failed] ?? 0) + (counts[.unreachable] ?? 0) }
}

/// One host of a run as the journal holds it, with every step of every attempt.
public struct JournalHost: Sendable, Codable, Hashable {
    public var report: HostReport
    /// How many times a controller started this host (resumes redo hosts that did not converge).
    public var attempts: Int
    /// Steps of every attempt, in order: (attempt, step).
    public var history: [JournalStep]

    public init(report: HostReport, attempts: Int, history: [JournalStep]) {
        self.report = report
        self.attempts = attempts
        self.history = history
    }
}

/// A step as the journal holds it.
public struct JournalStep: Sendable, Codable, Hashable {
    public var attempt: Int
    public var step: StepRecord

    public init(attempt: Int, step: StepRecord) {
        self.attempt = attempt
        self.step = step
    }
}

/// What `flotilla runs show` needs.
public struct RunDetail: Sendable, Codable, Hashable {
    public var run: RunRecord
    /// Hosts in play order, then batch order, then name.
    public var hosts: [JournalHost]

    public init(run: RunRecord, hosts: [JournalHost]) {
        self.run = run
        self.hosts = hosts
    }

    /// The hosts `apply --retry-failed` retries: failed or unreachable in any play, in the run's order.
    public var failedHosts: [String] {
        var seen: Set<String> = []
        return hosts.filter(\.report.outcome.isFailure).map(\.report.host).filter { seen.insert($0).inserted }
    }
}
