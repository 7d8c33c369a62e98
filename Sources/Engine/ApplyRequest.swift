public import Plan

/// The hosts one play applies to, in inventory order (after `--limit`).
public struct PlayHosts: Sendable {
    public var playIndex: Int
    public var hosts: [ApplyHost]

    public init(playIndex: Int, hosts: [ApplyHost]) {
        self.playIndex = playIndex
        self.hosts = hosts
    }
}

/// Everything a new run needs besides the engine's own settings.
public struct ApplyRequest: Sendable {
    public var playbook: Playbook
    public var plays: [PlayHosts]
    public var override: RolloutOverride
    /// A saved plan: hosts run its changes when their facts are unchanged, and are refused otherwise.
    public var savedPlan: PlanFile?
    public var planFilePath: String?
    public var inventoryDigest: String
    public var commandLine: String
    /// The run whose failed and unreachable hosts this one retries (`apply --retry-failed`).
    public var retryOf: Int64?

    public init(
        playbook: Playbook, plays: [PlayHosts], override: RolloutOverride = RolloutOverride(), savedPlan: PlanFile? = nil,
        planFilePath: String? = nil, inventoryDigest: String, commandLine: String, retryOf: Int64? = nil
    ) {
        self.retryOf = retryOf
        self.playbook = playbook
        self.plays = plays
        self.override = override
        self.savedPlan = savedPlan
        self.planFilePath = planFilePath
        self.inventoryDigest = inventoryDigest
        self.commandLine = commandLine
    }
}

/// How a run ended.
public struct ApplyResult: Sendable {
    public var runID: Int64
    public var status: RunStatus
    /// Why it stopped or was interrupted.
    public var reason: String?
    /// Every host of every play handled by this controller, in play and batch order, skipped ones included.
    public var reports: [HostReport]
    /// Hosts that converged in earlier attempts of a resumed run (not redone).
    public var earlier: [HostReport]

    public init(runID: Int64, status: RunStatus, reason: String?, reports: [HostReport], earlier: [HostReport] = []) {
        self.runID = runID
        self.status = status
        self.reason = reason
        self.reports = reports
        self.earlier = earlier
    }

    public func count(_ outcome: HostOutcome) -> Int { reports.filter { $0.outcome == outcome }.count }

    /// Apply's verdict: false when a host failed, could not be reached or was refused, or the run did not complete.
    public var succeeded: Bool {
        status == .completed && !reports.contains { $0.outcome.isFailure || [.skipped, .refused, .pending].contains($0.outcome) }
    }

    /// True when nothing was changed on any host.
    public var changedNothing: Bool { !reports.contains { $0.outcome == .changed || $0.outcome == .failed } }
}
