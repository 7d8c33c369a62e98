public import ArgumentParser
import Engine
import Foundation
import FlotillaCore
import Inventory
import Plan
import SSH

/// `flotilla apply`: rolls a playbook (or a saved plan) out across the fleet in batches, with a failure
/// budget, sync gates and a journal that `--resume` continues from.
public struct ApplyCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a playbook or a saved plan across the fleet, batch by batch.",
        discussion: """
            Each host gets one connection: its facts are gathered, its plan computed (or a saved plan checked \
            against the facts it was made from), the plan's steps run in order (when one fails, the host is \
            put back as it was before the run and the report says so), and the play's sync gate \
            waits for chrony. Batches follow the play's rollout (a canary first); once the failure budget is \
            spent no new batch starts. Every run is journaled: `flotilla runs` lists them and \
            `flotilla apply --resume [RUN] -i INV` continues one without redoing converged hosts.

            A run that ended with failed or unreachable hosts: `flotilla apply --retry-failed [RUN] -i INV` \
            (the latest run by default) starts a new run, linked to that one, over those hosts alone, with \
            fresh facts and a fresh plan from the playbook (as Ansible's `--limit @playbook.retry`); it keeps \
            that run's --serial and --max-failures unless given again. --resume instead continues the same \
            run with its saved plan, and also starts the hosts a stopped run never reached.

            Without --yes, apply shows the plan and asks on a terminal, and refuses to run without one.
            Ctrl-C once: the batch in flight finishes and no new batch starts; twice: the hosts in flight \
            are cut short (resume redoes them); three times: exit at once.

            Exit status: 0 when every host is ok or changed, 2 when a host failed, was unreachable or \
            refused, or the budget stopped the run, 130 when interrupted, 1 on errors of Flotilla itself.

            Examples:
              flotilla apply -i Inventories/vpc.ini Playbooks/chrony.yml
              flotilla apply -i lab.yml Playbooks/chrony.yml --serial 1,3,100% --max-failures 1 --yes
              flotilla plan -i lab.yml Playbooks/chrony.yml --out chrony.plan && flotilla apply -i lab.yml chrony.plan
              flotilla apply --resume -i lab.yml --yes
              flotilla apply --retry-failed -i lab.yml --yes
            """)

    @OptionGroup public var inventory: InventoryOptions
    @OptionGroup public var fleet: FleetOptions

    @Argument(
        help: ArgumentHelp(
            "A playbook (YAML), a plan saved by `flotilla plan --out` (read as one when it starts with '{' or is named *.plan, or *.json and not a list), or with --resume or --retry-failed the run (default: the latest).",
            valueName: "playbook|planfile|run"))
    public var source: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Batch sizes, overriding the playbook's: hosts (1 or more) and percentages (1% to 100%), e.g. 1,10%,50%,100%.",
            valueName: "sizes"))
    public var serial: String?

    @Option(
        name: .customLong("max-failures"), parsing: .unconditional,
        help: ArgumentHelp("Failure budget, overriding the playbook's: hosts (N, 0 or more) or a share (P%, 0% to 100%).", valueName: "N|P%"))
    public var maxFailures: String?

    @Option(
        name: .customLong("lock-wait"), parsing: .unconditional,
        help: ArgumentHelp(
            "How long apt waits for the package database lock when another process holds it, e.g. 30s, 0 to 30d (default: the plan's 120s).",
            valueName: "duration"))
    public var lockWait: String?

    @Flag(help: "Continue an interrupted or stopped run (the latest, or the one given), without redoing converged hosts.")
    public var resume = false

    @Flag(
        name: .customLong("retry-failed"),
        help: "Retry the failed and unreachable hosts of a run (the latest, or the one given) as a new run, with a fresh plan.")
    public var retryFailed = false

    @Flag(help: "Apply without showing the plan and asking.")
    public var yes = false

    @Flag(help: "Print one JSON object per line: each host as it finishes, then the recap.")
    public var json = false

    public init() {}

    public func validate() throws {
        if retryFailed {
            if resume { throw ValidationError("--resume continues a run and --retry-failed starts a new one: give one of them.") }
            if let source, Int64(source) == nil {
                throw ValidationError("--retry-failed takes a run number (see `flotilla runs`), not '\(source)'.")
            }
        } else if resume {
            if let source, Int64(source) == nil {
                throw ValidationError("--resume takes a run number (see `flotilla runs`), not '\(source)'.")
            }
            if serial != nil || maxFailures != nil {
                throw ValidationError("--serial and --max-failures cannot change a run being resumed; it keeps its own.")
            }
        } else if source == nil {
            throw ValidationError("Give a playbook or a saved plan: flotilla apply -i INVENTORY PLAYBOOK")
        }
        if let lockWait { _ = try OptionRange.duration(lockWait, option: "--lock-wait", OptionRange.lockWait) }
        do {
            _ = try StepFailureInjection.from(environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        do {
            _ = try serial.map(RolloutOverride.parseSerial)
            _ = try maxFailures.map(RolloutOverride.parseBudget)
        } catch {
            throw ValidationError(error.description)
        }
    }

    public func run() async throws {
        let console = Console.shared
        do {
            let code = try await apply(console: console)
            await console.flush()
            if code != 0 { throw ExitCode(code) }
        } catch let error as ExitCode {
            throw error
        } catch is CancellationError {
            await console.flush()
            throw ExitCode(130)
        } catch {
            console.err("flotilla apply: \(describe(error))\n")
            await console.flush()
            throw ExitCode.failure
        }
    }

    private func describe(_ error: any Error) -> String {
        switch error {
        case let e as EngineError: e.description
        case let e as PlanError: e.description
        case let e as InventoryError: e.description
        default: "\(error)"
        }
    }

    // MARK: the run

    private func apply(console: Console) async throws -> Int32 {
        let journal = try await Journal.open()
        let override = RolloutOverride(
            serial: try serial.map(RolloutOverride.parseSerial), maxFailures: try maxFailures.map(RolloutOverride.parseBudget))
        let commandLine = CommandLine.arguments.map { ShellQuote.quote($0) }.joined(separator: " ")
        let progress = ApplyProgress(console: console, json: json)
        let stop = StopRequest()
        var configured = ApplyEngine(
            transport: fleet.transport(), journal: journal, forks: fleet.forks, syncWaiter: ApplyGate.waiter(), stop: stop,
            lockWaitSeconds: try lockWait.map { Int(try OptionRange.duration($0, option: "--lock-wait", OptionRange.lockWait).seconds.rounded(.up)) }, events: { progress.handle($0) })
        // The lab's test hook (see StepFailureInjection): never silent.
        if let injection = try StepFailureInjection.from(environment: ProcessInfo.processInfo.environment) {
            console.err("flotilla apply: test hook \(StepFailureInjection.variable) is set: steps made to fail after they ran on \(injection.summary)\n")
            configured.failureInjection = injection
        }
        let engine = configured

        let result: ApplyResult
        var retryOf: Int64?
        if retryFailed {
            let (old, names) = try await engine.retrySelection(source.flatMap { Int64($0) })
            retryOf = old.id
            let setup = try await ApplySetup.load(playbookPath: old.playbookPath, inventory: inventory, fleet: fleet)
            let wanted = Set(names)
            let found = names.filter { setup.hostsByName[$0] != nil }
            let absent = names.filter { setup.hostsByName[$0] == nil }
            if !absent.isEmpty {
                // Without --limit every host of the run must still be there; with it, --limit narrows the retry.
                guard inventory.limit != nil else { throw EngineError.unknownHosts(id: old.id, hosts: absent) }
                console.err("Left out by --limit: \(HostListText.compact(absent))\n")
            }
            guard !found.isEmpty else {
                throw EngineError.nothingToRetry(id: old.id, path: journal.path, reason: "--limit leaves none of its failed or unreachable hosts")
            }
            let plays = setup.plays.map { PlayHosts(playIndex: $0.playIndex, hosts: $0.hosts.filter { wanted.contains($0.name) }) }.filter { !$0.hosts.isEmpty }
            if setup.playbook.digest != old.playbookDigest {
                console.err("warning: \(old.playbookPath) changed since run \(old.id); the retry plans from it as it is now\n")
            }
            if let planFile = old.planFile {
                console.err("Run \(old.id) applied the saved plan \(planFile); the retry plans afresh from \(old.playbookPath)\n")
            }
            console.err("Retrying the failed and unreachable hosts of run \(old.id) (\(old.summary)): \(HostListText.compact(found))\n")
            if !yes {
                guard Self.canAsk(console) else { return refuseWithoutTerminal(console) }
                let planned = try await PlanningRun.plan(playbookPath: old.playbookPath, inventory: inventory, fleet: fleet, console: console, only: Set(found))
                let preview = PlanRenderer.text(planned.outcome.plans, failures: planned.outcome.failures, colour: Style(terminal: console.isTerminal).enabled)
                guard try await confirm(console: console, preview: preview) else { return 1 }
            }
            let retryOverride = RolloutOverride(serial: override.serial ?? old.rolloutOverride.serial, maxFailures: override.maxFailures ?? old.rolloutOverride.maxFailures)
            let request = ApplyRequest(
                playbook: setup.playbook, plays: plays, override: retryOverride, inventoryDigest: setup.inventoryDigest, commandLine: commandLine,
                retryOf: old.id)
            result = try await interruptible(stop: stop, console: console) { try await engine.apply(request) }
        } else if resume {
            var chosen = source.flatMap { Int64($0) }
            if chosen == nil { chosen = try await journal.latestResumable() }
            guard let runID = chosen else { throw EngineError.nothingToResume(path: journal.path, retriable: try await journal.latestRetriable()) }
            let detail = try await journal.run(runID)
            var saved: PlanFile?
            if let path = detail.run.planFile { saved = try await offload { try PlanFile.load(path: path) } }
            let setup = try await ApplySetup.load(playbookPath: detail.run.playbookPath, inventory: inventory, fleet: fleet)
            let left = detail.hosts.filter { !$0.report.outcome.isConverged }
            if !yes {
                let names = Array(Set(left.map(\.report.host))).sorted()
                guard try await confirm(
                    console: console,
                    preview: "Run \(runID) (\(detail.run.playbookPath), \(detail.run.status.rawValue)): \(names.count) host\(names.count == 1 ? "" : "s") left to apply: \(HostList.compact(names))\n")
                else { return 1 }
            }
            let savedPlan = saved
            result = try await interruptible(stop: stop, console: console) {
                try await engine.resume(runID, playbook: setup.playbook, hosts: setup.hostsByName, savedPlan: savedPlan)
            }
        } else {
            let path = source!
            let savedPlan = try await ApplySetup.readPlanFile(path)
            let setup = try await ApplySetup.load(
                playbookPath: savedPlan?.playbookFile ?? path, inventory: inventory, fleet: fleet, savedPlan: savedPlan, planPath: savedPlan == nil ? nil : path)
            for warning in setup.warnings { console.err("warning: \(warning)\n") }
            if !yes {
                let preview: String
                if let savedPlan {
                    preview = PlanRenderer.text(savedPlan.plans, colour: Style(terminal: console.isTerminal).enabled)
                } else {
                    guard Self.canAsk(console) else { return refuseWithoutTerminal(console) }
                    let planned = try await PlanningRun.plan(playbookPath: path, inventory: inventory, fleet: fleet, console: console)
                    preview = PlanRenderer.text(planned.outcome.plans, failures: planned.outcome.failures, colour: Style(terminal: console.isTerminal).enabled)
                    if !planned.outcome.summary.hasChanges && planned.outcome.failures.isEmpty {
                        console.err(preview + "No changes to make; apply checks every host again (and its sync gate) and changes nothing.\n")
                    } else if !(try await confirm(console: console, preview: preview)) {
                        return 1
                    }
                }
                if savedPlan != nil, !(try await confirm(console: console, preview: preview)) { return 1 }
            }
            let request = ApplyRequest(
                playbook: setup.playbook, plays: setup.plays, override: override, savedPlan: savedPlan, planFilePath: savedPlan == nil ? nil : path,
                inventoryDigest: setup.inventoryDigest, commandLine: commandLine)
            result = try await interruptible(stop: stop, console: console) { try await engine.apply(request) }
        }
        progress.finish()
        let recap = ApplyRecap(result: result, resumeHint: hint("--resume", result.runID), retryHint: hint("--retry-failed", result.runID), retryOf: retryOf)
        console.out(json ? recap.jsonLines() : recap.text(style: Style(terminal: console.stdoutIsTerminal)))
        if result.status == .interrupted { return 130 }
        return result.succeeded ? 0 : 2
    }

    private func hint(_ option: String, _ id: Int64) -> String {
        (["flotilla apply \(option) \(id)"] + inventory.inventory.flatMap { ["-i", ShellQuote.quote($0)] }).joined(separator: " ")
    }

    static func canAsk(_ console: Console) -> Bool { isatty(0) == 1 && console.isTerminal }

    private func refuseWithoutTerminal(_ console: Console) -> Int32 {
        console.err(
            "flotilla apply: changes hosts and asks first, but there is no terminal to ask on; "
                + "review the changes with `flotilla plan` and run apply again with --yes\n")
        return 1
    }

    /// Shows `preview` and asks; only "yes" goes ahead.
    private func confirm(console: Console, preview: String) async throws -> Bool {
        guard Self.canAsk(console) else {
            _ = refuseWithoutTerminal(console)
            return false
        }
        console.err(preview + "\nApply? Only 'yes' is accepted: ")
        await console.flush()
        let answer = await BlockingPool.shared.run { readLine(strippingNewline: true) }
        guard answer?.trimmingCharacters(in: .whitespaces) == "yes" else {
            console.err("Nothing applied.\n")
            return false
        }
        return true
    }

    /// Runs the engine so that Ctrl-C first stops new batches, then cuts the hosts in flight short, then exits.
    private func interruptible<T: Sendable>(
        stop: StopRequest, console: Console, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let task = Task { try await body() }
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let count = Counter()
        source.setEventHandler {
            switch count.increment() {
            case 1:
                stop.request("stopped by the operator (Ctrl-C)")
                console.err("\nCtrl-C: the batch in flight finishes, no new batch starts (Ctrl-C again to cut the hosts in flight short)\n")
            case 2:
                console.err("\nCtrl-C: cutting the hosts in flight short; `flotilla apply --resume` redoes them (Ctrl-C again to quit at once)\n")
                task.cancel()
            default:
                console.flushSync()
                Foundation.exit(130)
            }
        }
        source.resume()
        defer {
            source.cancel()
            signal(SIGINT, SIG_DFL)
        }
        return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
    }
}
