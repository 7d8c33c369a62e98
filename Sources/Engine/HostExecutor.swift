public import FlotillaCore
import Facts
public import Plan
import Foundation

/// Applies one play to one host over one connection: gathers the facts, plans (or checks a saved plan
/// against the facts), runs the plan's steps in order with the host's `become`, stops at the first failing
/// step and puts the host back as it was (see `Restore`), then passes the sync gate. Never throws: every
/// failure is data in the `HostReport`.
public struct HostExecutor: Sendable {
    public var play: Play
    public var playIndex: Int
    public var batch: Int
    /// Waits for chrony after the steps when the play has a sync gate; nil skips the gate (and says so).
    public var syncWaiter: (any SyncWaiter)?
    /// Called after each step (for the journal), before the next one starts.
    public var stepFinished: @Sendable (StepRecord) async -> Void
    /// How long apt waits for a package database lock held by another process, replacing the plan's
    /// `DPkg::Lock::Timeout` (apt 1.9.11 and later, so Debian 11+ and Ubuntu 20.04+); nil keeps the plan's.
    public var lockWaitSeconds: Int?
    /// The test hook that fails a step of the plan after it ran (see `StepFailureInjection`); nil in real use.
    public var failureInjection: StepFailureInjection?

    public init(
        play: Play, playIndex: Int, batch: Int, syncWaiter: (any SyncWaiter)?, lockWaitSeconds: Int? = nil,
        failureInjection: StepFailureInjection? = nil, stepFinished: @escaping @Sendable (StepRecord) async -> Void = { _ in }
    ) {
        self.lockWaitSeconds = lockWaitSeconds
        self.failureInjection = failureInjection
        self.play = play
        self.playIndex = playIndex
        self.batch = batch
        self.syncWaiter = syncWaiter
        self.stepFinished = stepFinished
    }

    /// `saved` is the host's plan from a saved plan file: it is run only when the facts gathered now have
    /// the digest it was made from; otherwise the host is refused (naming the facts that changed) and nothing is changed.
    public func execute(_ host: ApplyHost, over connection: any Connection, saved: HostPlan? = nil) async -> HostReport {
        var report = HostReport(host: host.name, playIndex: playIndex, play: play.name, batch: batch, outcome: .running, started: Date())
        let become = host.target.become

        // 1. Facts, in one round trip.
        let facts: HostFacts
        let request: FactRequest
        do {
            request = try play.factRequest(vars: host.vars, host: host.name)
            facts = try await FactGathering.gather(request, on: connection, become: become)
        } catch let error as PlanError {
            return finish(&report, .failed, error.description)
        } catch let error as FactsError {
            return finish(&report, .failed, "facts: \(error.description)")
        } catch {
            return finish(&report, .failed, "connection lost while gathering facts: \(error)")
        }

        // 2. The plan: the saved one when the facts are still those it was made from, else a fresh one.
        let plan: HostPlan
        if let saved {
            let digest = facts.digest
            guard digest == saved.factsDigest else {
                return finish(&report, .refused, "refused: \(saved.staleness(now: facts) ?? "its facts changed"); nothing was changed")
            }
            plan = saved
        } else {
            do {
                plan = try Planner.plan(play, host: host.name, vars: host.vars, facts: facts)
            } catch {
                return finish(&report, .failed, "cannot plan: \(error.description)")
            }
        }
        report.changes = plan.changes.map(\.resource)
        if play.timesync?.guardAgainstReturn == true {
            report.guardState = plan.changes.contains { $0.role == .timesyncGuard } ? "not applied" : "in place"
        }

        // 3. The steps, in order; the first failure ends the host, and what changed until then is put back.
        let total = plan.changes.reduce(0) { $0 + $1.steps.count }
        let injected = failureInjection?.step(for: host.name)
        var index = 0
        for change in plan.changes {
            for step in change.steps {
                index += 1
                let record = await run(
                    step, index: index, of: total, resource: change.resource, become: become, on: connection, host: host.name,
                    failAfter: index == injected)
                report.steps.append(record.record)
                await stepFinished(record.record)
                if let failure = record.failure {
                    let restored = await restore(before: facts, request: request, failedStep: index, become: become, on: connection, report: &report)
                    return finish(&report, .failed, failure + "; " + restored)
                }
            }
            if change.role == .timesyncGuard { report.guardState = "applied" }
        }

        // 4. The sync gate.
        var gateNote = ""
        if let gate = play.syncGate {
            if let syncWaiter {
                let source: String?
                do {
                    let vars = try play.variables(for: host.name, inventory: host.vars)
                    source = try gate.source?.resolve(vars, host: host.name)
                } catch {
                    return finish(&report, .failed, "sync gate: \(error.description)")
                }
                do {
                    let verdict = try await syncWaiter.waitForSync(connection, gate: gate, source: source, become: become)
                    guard verdict.passed else { return finish(&report, .failed, "sync gate: \(verdict.detail)") }
                    gateNote = "; sync gate passed: \(verdict.detail)"
                } catch {
                    return finish(&report, .failed, "sync gate: connection lost: \(error)")
                }
            } else {
                gateNote = "; sync gate not checked"
            }
        }
        let guardNote = report.guardState.map { "; guard \($0)" } ?? ""
        if plan.changes.isEmpty {
            return finish(&report, .ok, (plan.summary.isEmpty ? "converged, nothing to do" : plan.summary) + guardNote + gateNote)
        }
        let n = plan.changes.count
        return finish(&report, .changed, "\(n) change\(n == 1 ? "" : "s") applied in \(total) step\(total == 1 ? "" : "s")" + guardNote + gateNote)
    }

    private func finish(_ report: inout HostReport, _ outcome: HostOutcome, _ message: String) -> HostReport {
        report.outcome = outcome
        report.message = message
        report.finished = Date()
        return report
    }

    /// The resource of a step that puts a host back (`restore: package[ntpsec]`) in reports and the journal.
    public static let restorePrefix = "restore: "

    /// After a failed step: gathers the facts again, puts back what changed since `before` (see `Restore`),
    /// records each restore step as a step of the host (numbered after the failed one, resource `restore: ...`),
    /// gathers the facts once more and says what the host is left with. Not after an interruption (resume
    /// redoes the host), nor when the host cannot be reached any more (then it says so).
    private func restore(
        before: HostFacts, request: FactRequest, failedStep: Int, become: Become?, on connection: any Connection, report: inout HostReport
    ) async -> String {
        if Task.isCancelled { return "not restored: the run was interrupted (--resume redoes the host)" }
        var index = failedStep
        var done: [String] = []
        var failed: [String] = []
        var records: [StepRecord] = []
        func phase(_ steps: [RestoreStep]) async {
            for r in steps {
                index += 1
                let result = await run(r.step, index: index, of: index, resource: Self.restorePrefix + r.resource, become: become, on: connection, host: report.host)
                records.append(result.record)
                await stepFinished(result.record)
                if result.failure == nil { done.append(r.summary) } else { failed.append("\(r.summary) (\(result.record.status))") }
            }
        }
        defer { report.steps += records }
        do {
            let now = try await FactGathering.gather(request, on: connection, become: become)
            if Restore.differences(before: before, now: now).isEmpty {
                return "nothing had changed on the host (checked after the failure)"
            }
            await phase(Restore.firstPhase(before: before, now: now))
            let middle = try await FactGathering.gather(request, on: connection, become: become)
            await phase(Restore.secondPhase(before: before, now: middle))
            let after = try await FactGathering.gather(request, on: connection, become: become)
            let left = Restore.differences(before: before, now: after)
            var text = "restored: " + (done.isEmpty ? "nothing could be put back" : done.joined(separator: ", "))
            if !failed.isEmpty { text += "; failed to restore: " + failed.joined(separator: ", ") }
            if left.isEmpty {
                let daemons = Restore.daemons(before: before, now: after)
                text += "; the host is as it was before the run" + (daemons.isEmpty ? "" : " (" + daemons.joined(separator: "; ") + ")")
            } else {
                text += "; NOT restored, the host is left with: " + left.joined(separator: "; ")
            }
            return text
        } catch {
            return "not restored: the host could not be checked after the failure (\(error)); it may be left part-way through step \(failedStep)"
        }
    }

    /// Runs one step's commands in order; the step fails at its first failing command. With `failAfter` (the
    /// test hook, `StepFailureInjection`), a command that fails on the host runs after the step's own commands.
    private func run(
        _ step: Step, index: Int, of total: Int, resource: String, become: Become?, on connection: any Connection, host: String,
        failAfter: Bool = false
    ) async -> (record: StepRecord, failure: String?) {
        let step = lockWaitSeconds.map { step.withLockWait(seconds: $0) } ?? step
        let description = step.description
        let started = Date(), clock = ContinuousClock.now
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var status = "exit 0"
        var failure: String?
        let commands = step.commands + (failAfter ? [StepFailureInjection.failingCommand(step: index)] : [])
        for var command in commands {
            command.become = become
            do {
                let result = try await connection.run(command)
                stdout += result.stdout
                stderr += result.stderr
                status = result.status.description
                if !result.status.isSuccess {
                    failure = Self.failureMessage(description: description, index: index, of: total, result: result, timeout: command.timeout, host: host)
                    break
                }
            } catch {
                status = "not run"
                failure = "step \(index) of \(total) (\(description)): connection lost: \(error)"
                break
            }
        }
        let record = StepRecord(
            index: index, resource: resource, description: description, status: status, succeeded: failure == nil,
            stdoutTail: OutputTail.of(stdout), stderrTail: OutputTail.of(stderr), started: started, finished: Date(), duration: (ContinuousClock.now - clock).seconds)
        return (record, failure)
    }

    static func failureMessage(description: String, index: Int, of total: Int, result: CommandResult, timeout: Duration?, host: String) -> String {
        let prefix = "step \(index) of \(total) (\(description))"
        if let lock = DpkgLock.held(in: result.stderrText, stdout: result.stdoutText) {
            return "\(prefix): \(host): the package database is locked: \(lock.path) is held by \(lock.holder ?? "another process") "
                + "and was not released within the step's wait (\(result.status)); nothing was installed or removed"
        }
        let limit = timeout.map { " (limit \(DurationText.format($0)))" } ?? ""
        if result.status == .timedOut || result.status == .exited(124) {
            return "\(prefix) timed out\(limit): " + lastLine(result.stderr, or: result.stdout)
        }
        // apt's own last line ("E: Sub-process /usr/bin/dpkg returned an error code (1)") does not say why; dpkg's does.
        if let dpkg = dpkgError(result.stdoutText) ?? dpkgError(result.stderrText) {
            return "\(prefix) failed (\(result.status)): " + dpkg
        }
        return "\(prefix) failed (\(result.status)): " + lastLine(result.stderr, or: result.stdout)
    }

    /// dpkg's first error with its reason, from apt's or dpkg's output (dpkg prints it on stdout under apt):
    /// `dpkg: error processing archive /var/cache/apt/archives/chrony_4.3-2_amd64.deb (--unpack):` and, indented on
    /// the next line, ` trying to overwrite '/usr/sbin/chronyd', which is also in package local-chronyd 1.0`.
    static func dpkgError(_ text: String) -> String? {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard let at = lines.firstIndex(where: { $0.hasPrefix("dpkg: error") }) else { return nil }
        var said = lines[at].trimmingCharacters(in: .whitespaces)
        if at + 1 < lines.count, lines[at + 1].hasPrefix(" ") {
            said += " " + lines[at + 1].trimmingCharacters(in: .whitespaces)
        }
        return String(said.prefix(1000))
    }

    static func lastLine(_ primary: [UInt8], or secondary: [UInt8]) -> String {
        for bytes in [primary, secondary] {
            let lines = String(decoding: bytes.suffix(4096), as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if let last = lines.last { return last }
        }
        return "no output"
    }
}

/// apt's and dpkg's messages about a package database lock held by another process, recognised in a
/// step's output. apt 2.x with `DPkg::Lock::Timeout` prints, while waiting, on stdout
/// `Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)...`
/// and when it gives up, on stderr `E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is
/// another process using it?`; without a timeout, `E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by ...`.
public enum DpkgLock {
    public struct Held: Sendable, Hashable {
        /// `/var/lib/dpkg/lock-frontend`.
        public var path: String
        /// `process 1234 (apt-get)`, when apt could tell (a holder in another PID namespace shows as process 0).
        public var holder: String?

        public init(path: String, holder: String?) {
            self.path = path
            self.holder = holder
        }
    }

    public static func held(in stderr: String, stdout: String = "") -> Held? {
        var path: String?
        var holder: String?
        for text in [stderr, stdout] {
            for line in text.split(whereSeparator: \.isNewline) {
                if let r = line.range(of: "Could not get lock ") {
                    var p = String(line[r.upperBound...].prefix { $0 != " " && $0 != "," })
                    while p.hasSuffix(".") { p.removeLast() }
                    path = path ?? p
                    if let h = line.range(of: "held by ") {
                        var who = line[h.upperBound...].trimmingCharacters(in: .whitespaces)
                        while who.hasSuffix(".") { who.removeLast() }
                        if !who.hasPrefix("process 0") { holder = holder ?? who }
                    }
                } else if let r = line.range(of: "Unable to acquire the dpkg frontend lock (") ?? line.range(of: "Unable to lock the administration directory (") {
                    path = path ?? String(line[r.upperBound...].prefix { $0 != ")" })
                }
            }
        }
        return path.map { Held(path: $0, holder: holder) }
    }
}
