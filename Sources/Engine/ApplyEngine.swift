public import FlotillaCore
public import Plan
import Foundation
import Synchronization

/// Runs a playbook across the fleet: plays in order, each in batches (a canary first), hosts of a batch in
/// parallel (at most `forks`), one connection per host; the failure budget checked after every batch, the
/// journal written as things happen. A host's failure is data; the only errors are the journal's.
public struct ApplyEngine: Sendable {
    public var transport: any Transport
    public var journal: Journal
    public var forks: Int
    public var syncWaiter: (any SyncWaiter)?
    public var stop: StopRequest
    public var events: @Sendable (ApplyEvent) -> Void
    /// apt's wait for a package database lock, replacing the plan's (see `HostExecutor.lockWaitSeconds`).
    public var lockWaitSeconds: Int?
    /// The test hook that fails a host's step after it ran (`StepFailureInjection`); nil in real use.
    public var failureInjection: StepFailureInjection?

    public init(
        transport: any Transport, journal: Journal, forks: Int = 20, syncWaiter: (any SyncWaiter)?, stop: StopRequest = StopRequest(),
        lockWaitSeconds: Int? = nil, events: @escaping @Sendable (ApplyEvent) -> Void = { _ in }
    ) {
        self.lockWaitSeconds = lockWaitSeconds
        self.transport = transport
        self.journal = journal
        self.forks = max(1, forks)
        self.syncWaiter = syncWaiter
        self.stop = stop
        self.events = events
    }

    /// One play's part of a run: its rollout and its batches (numbered from 1).
    struct PlaySchedule: Sendable {
        var playIndex: Int
        var play: Play
        var rollout: Rollout
        /// Hosts in the play over the whole run (for budget percentages).
        var total: Int
        var batches: [(number: Int, hosts: [ApplyHost])]
    }

    // MARK: a new run

    /// Starts a new run: batches computed, the run and all its hosts journaled, then executed.
    public func apply(_ request: ApplyRequest) async throws(EngineError) -> ApplyResult {
        var schedule: [PlaySchedule] = []
        var journaled: [(playIndex: Int, play: String, host: String, batch: Int)] = []
        for p in request.plays where request.playbook.plays.indices.contains(p.playIndex) {
            let play = request.playbook.plays[p.playIndex]
            let rollout = request.override.applied(to: play.rollout)
            let byName = Dictionary(p.hosts.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            let groups = Dictionary(p.hosts.map { ($0.name, $0.groups) }, uniquingKeysWith: { a, _ in a })
            let batches = BatchScheduler.batches(p.hosts.map(\.name), rollout: rollout, groups: groups)
            schedule.append(
                PlaySchedule(
                    playIndex: p.playIndex, play: play, rollout: rollout, total: p.hosts.count,
                    batches: batches.enumerated().map { (number: $0.offset + 1, hosts: $0.element.compactMap { byName[$0] }) }))
            for (k, batch) in batches.enumerated() {
                for host in batch { journaled.append((p.playIndex, play.name, host, k + 1)) }
            }
        }
        let rolloutText = schedule.map { "\($0.play.name): \(Self.describe($0.rollout))" }.joined(separator: " | ")
        let id = try await journal.start(
            Journal.NewRun(
                playbookPath: request.playbook.file, playbookDigest: request.playbook.digest, inventoryDigest: request.inventoryDigest,
                planFile: request.planFilePath, rollout: rolloutText, rolloutOverride: request.override, commandLine: request.commandLine,
                hosts: journaled, retryOf: request.retryOf))
        events(.runStarted(id: id, resumed: false))
        return try await execute(id, schedule: schedule, savedPlan: request.savedPlan, earlier: [])
    }

    // MARK: resuming

    /// Continues run `id` (or the newest resumable run): hosts that converged are not redone; every other
    /// host runs again in its batch, in the batches' order. `hosts` must hold every host of the run (by name).
    public func resume(
        _ id: Int64?, playbook: Playbook, hosts: [String: ApplyHost], savedPlan: PlanFile? = nil
    ) async throws(EngineError) -> ApplyResult {
        var chosen = id
        if chosen == nil { chosen = try await journal.latestResumable() }
        guard let runID = chosen else { throw .nothingToResume(path: journal.path, retriable: try await journal.latestRetriable()) }
        let detail = try await journal.run(runID)
        if detail.run.status == .running {
            throw .notResumable(id: runID, reason: "it is still running (controller \(detail.run.commandLine.isEmpty ? "" : "of '\(detail.run.commandLine)' ")is alive)")
        }
        guard detail.run.playbookDigest == playbook.digest else { throw .playbookChanged(id: runID, file: playbook.file) }
        let left = detail.hosts.filter { !$0.report.outcome.isConverged }
        guard !left.isEmpty else {
            throw .notResumable(id: runID, reason: "every host of it converged; there is nothing left to do")
        }
        let missing = Set(left.map(\.report.host)).filter { hosts[$0] == nil }.sorted()
        guard missing.isEmpty else { throw .unknownHosts(id: runID, hosts: missing) }

        var schedule: [PlaySchedule] = []
        for playIndex in Set(detail.hosts.map(\.report.playIndex)).sorted() where playbook.plays.indices.contains(playIndex) {
            let play = playbook.plays[playIndex]
            let all = detail.hosts.filter { $0.report.playIndex == playIndex }
            let mine = left.filter { $0.report.playIndex == playIndex }
            guard !mine.isEmpty else { continue }
            let numbers = Set(mine.map(\.report.batch)).sorted()
            schedule.append(
                PlaySchedule(
                    playIndex: playIndex, play: play, rollout: detail.run.rolloutOverride.applied(to: play.rollout), total: all.count,
                    batches: numbers.map { n in (number: n, hosts: mine.filter { $0.report.batch == n }.compactMap { hosts[$0.report.host] }) }))
        }
        try await journal.resume(runID)
        events(.runStarted(id: runID, resumed: true))
        let earlier = detail.hosts.map(\.report).filter(\.outcome.isConverged)
        return try await execute(runID, schedule: schedule, savedPlan: savedPlan, earlier: earlier)
    }

    // MARK: retrying

    /// What `apply --retry-failed` retries: run `id` (or the newest run) and its hosts that failed or were
    /// unreachable, in the run's order. The retry itself is a new run (`apply` with `ApplyRequest.retryOf`)
    /// over those hosts alone, with fresh facts and a fresh plan, as Ansible's `--limit @playbook.retry` does.
    public func retrySelection(_ id: Int64?) async throws(EngineError) -> (run: RunRecord, hosts: [String]) {
        var chosen = id
        if chosen == nil { chosen = try await journal.latestRun() }
        guard let runID = chosen else { throw .nothingToRetry(id: nil, path: journal.path, reason: "it holds no run yet") }
        let detail = try await journal.run(runID)
        if detail.run.status == .running {
            throw .nothingToRetry(id: runID, path: journal.path, reason: "it is still running (its controller is alive)")
        }
        let hosts = detail.failedHosts
        guard !hosts.isEmpty else {
            let refused = (detail.run.counts[.refused] ?? 0) > 0
            throw .nothingToRetry(
                id: runID, path: journal.path,
                reason: "no host of it failed or was unreachable"
                    + (refused ? "; its refused hosts need a new plan (flotilla plan --out FILE, then flotilla apply FILE)" : ""))
        }
        return (detail.run, hosts)
    }

    // MARK: execution

    private func execute(_ id: Int64, schedule: [PlaySchedule], savedPlan: PlanFile?, earlier: [HostReport]) async throws(EngineError) -> ApplyResult {
        var reports: [HostReport] = []
        var failedHosts: Set<String> = []
        var budgetStop: String?
        var operatorStop: String?
        let journalError = FirstError()

        for p in schedule {
            events(.playStarted(index: p.playIndex, name: p.play.name, hosts: p.batches.reduce(0) { $0 + $1.hosts.count }, batches: p.batches.map(\.hosts.count)))
            let budget = FailureBudget(p.rollout.maxFailures, total: p.total)
            var runSpent = FailureBudget.Spent()
            for (k, batch) in p.batches.enumerated() {
                if operatorStop == nil, let reason = stop.reason { operatorStop = reason; events(.stopping(reason: reason)) }
                if let why = budgetStop ?? operatorStop ?? (Task.isCancelled ? "interrupted" : nil) {
                    let skipped = batch.hosts.map {
                        HostReport(host: $0.name, playIndex: p.playIndex, play: p.play.name, batch: batch.number, outcome: .skipped, message: "not started: \(why)")
                    }
                    reports += skipped
                    try await journal.skip(id, hosts: skipped.map { ($0.playIndex, $0.host) }, reason: "not started: \(why)")
                    continue
                }
                let earlierFailures = batch.hosts.filter { failedHosts.contains($0.name) }
                if !earlierFailures.isEmpty {
                    let skipped = earlierFailures.map {
                        HostReport(host: $0.name, playIndex: p.playIndex, play: p.play.name, batch: batch.number, outcome: .skipped, message: "not started: it failed in an earlier play")
                    }
                    reports += skipped
                    try await journal.skip(id, hosts: skipped.map { ($0.playIndex, $0.host) }, reason: "not started: it failed in an earlier play")
                }
                let eligible = batch.hosts.filter { !failedHosts.contains($0.name) }
                guard !eligible.isEmpty else { continue }
                events(.batchStarted(playIndex: p.playIndex, batch: batch.number, of: (p.batches.last?.number ?? batch.number), hosts: eligible.map(\.name)))

                let saved = savedPlan.map { file in
                    Dictionary(file.plans.filter { $0.play == p.play.name }.map { ($0.host, $0) }, uniquingKeysWith: { a, _ in a })
                }
                let batchReports = await Fleet.map(eligible, forks: forks) { host in
                    await self.runHost(host, play: p, batch: batch.number, runID: id, saved: saved, journalError: journalError)
                }
                reports += batchReports
                if let error = journalError.value { throw error }
                let failures = batchReports.filter(\.outcome.isFailure)
                failedHosts.formUnion(failures.map(\.host))
                let batchSpent = FailureBudget.Spent(failures.map(\.outcome))
                runSpent = runSpent + batchSpent
                events(.batchFinished(playIndex: p.playIndex, batch: batch.number, failures: failures.count))
                if Task.isCancelled { continue }
                if let verdict = budget.verdict(batchSize: eligible.count, batch: batchSpent, run: runSpent) {
                    let more = k + 1 < p.batches.count || schedule.last?.playIndex != p.playIndex
                    budgetStop = "the failure budget of play '\(p.play.name)' is spent after batch \(batch.number): \(verdict)"
                    if more { events(.stopping(reason: budgetStop!)) }
                }
            }
        }

        let status: RunStatus
        let reason: String?
        if Task.isCancelled {
            (status, reason) = (.interrupted, "interrupted: the hosts in flight were cut short and will be redone by --resume")
        } else if let budgetStop {
            (status, reason) = (.stopped, budgetStop)
        } else if let operatorStop, reports.contains(where: { $0.outcome == .skipped && $0.message.hasPrefix("not started: \(operatorStop)") }) {
            (status, reason) = (.interrupted, operatorStop)
        } else {
            (status, reason) = (.completed, nil)
        }
        try await journal.finish(id, status: status, reason: reason)
        return ApplyResult(runID: id, status: status, reason: reason, reports: reports, earlier: earlier)
    }

    /// One host: connect, execute, journal; a cancelled run leaves the host pending for resume.
    private func runHost(
        _ host: ApplyHost, play p: PlaySchedule, batch: Int, runID: Int64, saved: [String: HostPlan]?, journalError: FirstError
    ) async -> HostReport {
        func note(_ body: () async throws(EngineError) -> Void) async {
            do { try await body() } catch { journalError.keep(error) }
        }
        var attempt = 1
        await note { () throws(EngineError) in attempt = try await journal.hostStarted(runID, playIndex: p.playIndex, host: host.name) }
        let started = Date()
        var report: HostReport
        if let saved, saved[host.name] == nil {
            report = HostReport(
                host: host.name, playIndex: p.playIndex, play: p.play.name, batch: batch, outcome: .refused,
                message: "refused: the saved plan has no plan for this host", started: started, finished: Date())
        } else {
            do {
                let connection = try await transport.connect(host.target)
                let journal = self.journal
                let executor = HostExecutor(
                    play: p.play, playIndex: p.playIndex, batch: batch, syncWaiter: syncWaiter, lockWaitSeconds: lockWaitSeconds,
                    failureInjection: failureInjection
                ) { [attempt] step in
                    do throws(EngineError) {
                        try await journal.recordStep(runID, playIndex: p.playIndex, host: host.name, attempt: attempt, step)
                    } catch {
                        journalError.keep(error)
                    }
                }
                report = await executor.execute(host, over: connection, saved: saved?[host.name])
                await connection.close()
            } catch {
                report = HostReport(
                    host: host.name, playIndex: p.playIndex, play: p.play.name, batch: batch, outcome: .unreachable,
                    message: "unreachable: \(error)", started: started, finished: Date())
            }
        }
        if Task.isCancelled && !report.outcome.isConverged {
            report.outcome = .pending
            report.message = "interrupted in its batch (\(report.message)); --resume redoes it"
        }
        let final = report
        await note { () throws(EngineError) in try await journal.hostFinished(runID, final) }
        events(.hostFinished(final))
        return final
    }

    static func describe(_ r: Rollout) -> String {
        var parts = ["serial " + (r.serial.isEmpty ? "all" : r.serial.map(\.description).joined(separator: ","))]
        parts.append("max_failures " + (r.maxFailures?.description ?? "0"))
        for g in r.maxPerGroup { parts.append("max \(g.limit) per group \(g.prefixes.joined(separator: ","))*") }
        return parts.joined(separator: "; ")
    }
}

/// The first journal error of a batch's hosts (they run concurrently; the batch reports it when it ends).
final class FirstError: Sendable {
    private let state = Mutex<EngineError?>(nil)
    func keep(_ error: EngineError) { state.withLock { if $0 == nil { $0 = error } } }
    var value: EngineError? { state.withLock { $0 } }
}
