import Engine
import Facts
import FlotillaCore
import Foundation
import Plan
import Testing

/// Recovery that tells the operator what happened: retrying a run's failed and unreachable hosts, step
/// durations in the journal, and stale-plan refusals that name the facts that changed.
@Suite struct RecoveryTests {
    static let failure = CommandResult(status: .exited(1), stdout: [], stderr: Array("write failed: Read-only file system\n".utf8))
    let names = (1...6).map { "node0\($0)" }

    func engine(_ hosts: [FakeHost], journal: Journal, down: Set<String> = []) -> ApplyEngine {
        ApplyEngine(
            transport: FakeTransport(hosts: Dictionary(uniqueKeysWithValues: hosts.map { ($0.target.name, $0) }), down: down),
            journal: journal, forks: 4, syncWaiter: nil)
    }

    func request(_ playbook: Playbook, _ hosts: [FakeHost], retryOf: Int64? = nil) -> ApplyRequest {
        ApplyRequest(
            playbook: playbook, plays: [PlayHosts(playIndex: 0, hosts: FakeFleet.applyHosts(hosts))], inventoryDigest: "inv",
            commandLine: "flotilla apply test", retryOf: retryOf)
    }

    func factScriptRuns(_ host: FakeHost) -> Int {
        host.commands.filter { $0.wireForm().line.contains(FactScript.header) }.count
    }

    @Test func aRetryRedoesOnlyTheFailedAndUnreachableHostsWithFreshFactsAsANewRunLinkedToTheOld() async throws {
        let tmp = TemporaryJournalPath()
        defer { tmp.remove() }
        let journal = try await Journal.open(path: tmp.path)
        var bad = FakeHost.Script()
        bad.failures = [("flotilla-write", Self.failure)]
        let hosts = names.map { FakeHost($0, script: $0 == "node02" ? bad : FakeHost.Script()) }
        let playbook = try FakeFleet.playbook(serial: "[6]", maxFailures: "2")

        // node02 fails, node04 is down: within the budget, so the run completes, with failures.
        let first = try await engine(hosts, journal: journal, down: ["node04"]).apply(request(playbook, hosts))
        #expect(first.status == .completed)
        #expect(!first.succeeded)
        let firstRecord = try await journal.run(first.runID).run
        #expect(firstRecord.summary == "completed with failures")

        // A completed run is not resumable; `--resume` without a run says which run --retry-failed would retry.
        do {
            _ = try await engine(hosts, journal: journal).resume(nil, playbook: playbook, hosts: [:])
            Issue.record("resume found a run to resume")
        } catch {
            #expect(error.description.contains("--retry-failed \(first.runID)"), "\(error.description)")
        }

        // The causes go away; the retry takes exactly the failed and the unreachable host.
        hosts[1].setScript(FakeHost.Script())
        let before = hosts.map { $0.commands.count }
        let factsBefore = hosts.map(factScriptRuns)
        let retrying = engine(hosts, journal: journal)
        let (old, retried) = try await retrying.retrySelection(nil)
        #expect(old.id == first.runID)
        #expect(retried == ["node02", "node04"])
        let retry = try await retrying.apply(request(playbook, hosts.filter { retried.contains($0.target.name) }, retryOf: old.id))

        #expect(retry.runID != first.runID)
        #expect(retry.status == .completed)
        #expect(retry.succeeded)
        #expect(retry.reports.map(\.host).sorted() == ["node02", "node04"])
        for (i, host) in hosts.enumerated() {
            let name = host.target.name
            if retried.contains(name) {
                // Re-read: its facts were gathered again by the retry, and the plan made from them was applied.
                #expect(factScriptRuns(host) == factsBefore[i] + 1, "\(name)")
            } else {
                #expect(host.commands.count == before[i], "\(name) was contacted by the retry")
            }
            #expect(host.files[FakeFleet.appConf] == "x=1\n", "\(name)")
        }

        // Two runs, linked both ways; the first one still tells what happened in it.
        let detail = try await journal.run(retry.runID)
        #expect(detail.run.retryOf == first.runID)
        #expect(detail.run.summary == "completed")
        let original = try await journal.run(first.runID)
        #expect(original.run.retriedBy == [retry.runID])
        #expect(original.run.counts == [.changed: 4, .failed: 1, .unreachable: 1])

        // The newest run has nothing left to retry, and says so.
        do {
            _ = try await retrying.retrySelection(nil)
            Issue.record("a clean run had something to retry")
        } catch {
            #expect(error.description == "run \(retry.runID) has nothing to retry: no host of it failed or was unreachable")
        }
        // An older run can still be named; its failed hosts are the same two.
        #expect(try await retrying.retrySelection(first.runID).hosts == ["node02", "node04"])
    }

    @Test func eachStepsDurationIsJournaledAndIsAtLeastWhatTheStepTook() async throws {
        let tmp = TemporaryJournalPath()
        defer { tmp.remove() }
        let journal = try await Journal.open(path: tmp.path)
        var slow = FakeHost.Script()
        slow.stepDelay = .milliseconds(400)
        let host = FakeHost("node01", script: slow)
        let result = try await engine([host], journal: journal).apply(request(try FakeFleet.playbook(serial: "[1]"), [host]))
        #expect(result.status == .completed)

        let steps = try await journal.run(result.runID).hosts[0].history.map(\.step)
        #expect(!steps.isEmpty)
        for step in steps {
            // Every command of a step waited 0.4 s here; the duration (on a monotonic clock) can only be longer.
            #expect(step.duration >= 0.4, "step \(step.index): \(step.duration)")
        }
        #expect(steps.map(\.duration) == result.reports[0].steps.map(\.duration))
    }

    // MARK: stale plans

    func savedPlan(facts: HostFacts, stripPerFactDigests: Bool = false) throws -> HostPlan {
        let playbook = try FakeFleet.playbook()
        let plan = try Planner.plan(playbook.plays[0], host: "node06", vars: [:], facts: facts)
        var data = PlanFile(playbook: playbook, inventoryDigest: "inv", plans: [plan], facts: ["node06": facts]).encoded()
        if stripPerFactDigests {
            // As Flotilla wrote plan files before it kept a digest per fact.
            var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            object["plans"] = (object["plans"] as? [[String: Any]])?.map { $0.filter { $0.key != "factDigests" } }
            data = try JSONSerialization.data(withJSONObject: object)
            #expect(!String(decoding: data, as: UTF8.self).contains("factDigests"))
        }
        return try PlanFile.decode(data, file: "app.plan").plans[0]
    }

    @Test func aStalePlanIsRefusedNamingTheFactThatChanged() async throws {
        let facts = try FactParser.parse(stdout: FakeHost.facts(files: [:]))
        let saved = try savedPlan(facts: facts)
        #expect(saved.factDigests?["file[/etc/app.conf]"] != nil)

        // Someone edits the file after the plan was made.
        let edited = FakeHost("node06", files: [FakeFleet.appConf: "x=2\n"])
        let play = try FakeFleet.playbook().plays[0]
        let report = await HostExecutor(play: play, playIndex: 0, batch: 1, syncWaiter: nil).execute(ApplyHost(target: edited.target), over: edited, saved: saved)
        #expect(report.outcome == .refused)
        #expect(report.message == "refused: file[/etc/app.conf] changed since the plan was made (plan again); nothing was changed")
        #expect(edited.stepLines.isEmpty)
        #expect(edited.files[FakeFleet.appConf] == "x=2\n")
    }

    @Test func aPlanFileFromBeforePerFactDigestsStillAppliesAndItsRefusalSaysItCannotTellWhich() async throws {
        let facts = try FactParser.parse(stdout: FakeHost.facts(files: [:]))
        let saved = try savedPlan(facts: facts, stripPerFactDigests: true)
        #expect(saved.factDigests == nil)
        let play = try FakeFleet.playbook().plays[0]
        let executor = HostExecutor(play: play, playIndex: 0, batch: 1, syncWaiter: nil)

        let same = FakeHost("node06")
        #expect(await executor.execute(ApplyHost(target: same.target), over: same, saved: saved).outcome == .changed)

        let edited = FakeHost("node06", files: [FakeFleet.appConf: "x=2\n"])
        let report = await executor.execute(ApplyHost(target: edited.target), over: edited, saved: saved)
        #expect(report.outcome == .refused)
        #expect(report.message.contains("facts changed since the plan was made (this plan file does not record which; plan again)"), "\(report.message)")
        #expect(edited.stepLines.isEmpty)
    }

    @Test func aRunWithARefusedHostDoesNotSucceedAndTheJournalSaysItCompletedWithRefusals() async throws {
        let tmp = TemporaryJournalPath()
        defer { tmp.remove() }
        let journal = try await Journal.open(path: tmp.path)
        let playbook = try FakeFleet.playbook(serial: "[2]", maxFailures: "0")
        let facts = try FactParser.parse(stdout: FakeHost.facts(files: [:]))
        let plans = try ["node01", "node02"].map { try Planner.plan(playbook.plays[0], host: $0, vars: [:], facts: facts) }
        let file = try PlanFile.decode(
            PlanFile(playbook: playbook, inventoryDigest: "inv", plans: plans, facts: ["node01": facts, "node02": facts]).encoded(), file: "app.plan")
        // node02's file was edited after the plan was made.
        let hosts = [FakeHost("node01"), FakeHost("node02", files: [FakeFleet.appConf: "x=2\n"])]
        var req = request(playbook, hosts)
        req.savedPlan = file
        req.planFilePath = "app.plan"
        let result = try await engine(hosts, journal: journal).apply(req)

        #expect(result.status == .completed)
        #expect(!result.succeeded)
        #expect(result.reports.map(\.outcome) == [.changed, .refused])
        #expect(result.reports[1].message == "refused: file[/etc/app.conf] changed since the plan was made (plan again); nothing was changed")
        let record = try await journal.run(result.runID).run
        #expect(record.counts == [.changed: 1, .refused: 1])
        #expect(record.summary == "completed with refusals")
        // A refusal is not a failure: it spends no budget (max_failures 0 here) and --retry-failed does not take it.
        do {
            _ = try await engine(hosts, journal: journal).retrySelection(result.runID)
            Issue.record("a refused host was offered for retry")
        } catch {
            #expect(error.description.contains("its refused hosts need a new plan"), "\(error.description)")
        }
    }

    @Test func perFactDigestsNameEachKindOfFactAndOnlyTheOnesThatChanged() throws {
        let facts = try FactParser.parse(stdout: FakeHost.facts(files: [:]))
        let saved = FactsDigest.perFact(facts)
        #expect(FactsDigest.changed(saved: saved, now: FactsDigest.perFact(facts)).isEmpty)
        let unit = try #require(facts.units.keys.sorted().first)
        let package = try #require(facts.packages.keys.sorted().first)

        var changed = facts
        changed.chronyVersion = "9.9"
        #expect(FactsDigest.changed(saved: saved, now: FactsDigest.perFact(changed)) == ["chrony version"])
        changed = facts
        changed.units[unit]?.activeState = facts.units[unit]?.activeState == .failed ? .active : .failed
        #expect(FactsDigest.changed(saved: saved, now: FactsDigest.perFact(changed)) == ["unit[\(unit)]"])
        changed = facts
        changed.packages[package]?.version = "0.0-test"
        changed.hasCapSysTime.toggle()
        changed.systemdRunning.toggle()
        #expect(FactsDigest.changed(saved: saved, now: FactsDigest.perFact(changed)) == ["CAP_SYS_TIME", "package[\(package)]", "systemd"])
        // A fact that appears or disappears counts as changed.
        changed = facts
        changed.files["/etc/new.conf"] = .absent("/etc/new.conf")
        #expect(FactsDigest.changed(saved: saved, now: FactsDigest.perFact(changed)) == ["file[/etc/new.conf]"])

        // Every field HostFacts encodes (and so its overall digest covers) has per-fact digests: a field added
        // later without them would change the digest with no fact to name.
        var full = facts
        full.chronyVersion = "4.3"
        let object = try #require(try JSONSerialization.jsonObject(with: Data(FactsDigest.canonicalJSON(full).utf8)) as? [String: Any])
        #expect(Set(object.keys) == FactsDigest.perFactFields)
    }
}
