import Engine
import FlotillaCore
import Foundation
import Plan
import Synchronization
import Testing

/// Collects the engine's events.
final class EventLog: Sendable {
    private let events = Mutex<[ApplyEvent]>([])
    func append(_ e: ApplyEvent) { events.withLock { $0.append(e) } }
    var batches: [[String]] {
        events.withLock { $0.compactMap { if case .batchStarted(_, _, _, let hosts) = $0 { return hosts } else { return nil } } }
    }
}

@Suite struct ApplyEngineTests {
    let names = (1...8).map { "node0\($0)" }

    func fleet(_ scripts: [String: FakeHost.Script] = [:], files: [String: String] = [:]) -> [FakeHost] {
        names.map { FakeHost($0, files: files, script: scripts[$0] ?? FakeHost.Script()) }
    }

    func engine(_ hosts: [FakeHost], journal: Journal, down: Set<String> = [], log: EventLog = EventLog(), stop: StopRequest = StopRequest()) -> ApplyEngine {
        ApplyEngine(
            transport: FakeTransport(hosts: Dictionary(uniqueKeysWithValues: hosts.map { ($0.target.name, $0) }), down: down),
            journal: journal, forks: 4, syncWaiter: WaitsyncGate(), stop: stop, events: { log.append($0) })
    }

    func request(_ playbook: Playbook, _ hosts: [FakeHost], override: RolloutOverride = RolloutOverride()) -> ApplyRequest {
        ApplyRequest(
            playbook: playbook, plays: [PlayHosts(playIndex: 0, hosts: FakeFleet.applyHosts(hosts))], override: override,
            inventoryDigest: "inv", commandLine: "flotilla apply test")
    }

    static let failure = CommandResult(status: .exited(1), stdout: [], stderr: Array("write failed: Read-only file system\n".utf8))

    @Test func eightHostsConvergeInBatchesOfOneThreeAndTheRestThenASecondApplyChangesNothing() async throws {
        let tmp = TemporaryJournalPath()
        defer { tmp.remove() }
        let journal = try await Journal.open(path: tmp.path)
        let hosts = fleet()
        let playbook = try FakeFleet.playbook(gate: true)
        let log = EventLog()
        let first = try await engine(hosts, journal: journal, log: log).apply(request(playbook, hosts))

        #expect(log.batches == [["node01"], ["node02", "node03", "node04"], ["node05", "node06", "node07", "node08"]])
        #expect(first.status == .completed)
        #expect(first.succeeded)
        #expect(first.reports.map(\.outcome) == Array(repeating: .changed, count: 8))
        for host in hosts {
            #expect(host.files[FakeFleet.appConf] == "x=1\n", "\(host.target.name)")
            #expect(host.closed)
        }
        let second = try await engine(hosts, journal: journal).apply(request(playbook, hosts))
        #expect(second.status == .completed)
        #expect(second.changedNothing)
        #expect(second.reports.map(\.outcome) == Array(repeating: .ok, count: 8))
        let runs = try await journal.runs()
        #expect(runs.map(\.id) == [second.runID, first.runID])
        #expect(runs[1].counts == [.changed: 8])
        #expect(runs[0].counts == [.ok: 8])
    }

    @Test func oneBadHostLeavesTheOthersAlone() async throws {
        let tmp = TemporaryJournalPath()
        defer { tmp.remove() }
        let journal = try await Journal.open(path: tmp.path)
        var bad = FakeHost.Script()
        bad.failures = [("flotilla-write", Self.failure)]
        let hosts = fleet(["node03": bad])
        let result = try await engine(hosts, journal: journal).apply(request(try FakeFleet.playbook(), hosts))

        #expect(result.status == .completed)
        #expect(!result.succeeded)
        let byHost = Dictionary(uniqueKeysWithValues: result.reports.map { ($0.host, $0) })
        #expect(byHost["node03"]?.outcome == .failed)
        #expect(byHost["node03"]?.message.contains("Read-only file system") == true)
        for name in names where name != "node03" { #expect(byHost[name]?.outcome == .changed, "\(name)") }
        #expect(hosts[2].files[FakeFleet.appConf] == nil)
    }

    @Test func budgetOfOneStopsAfterTheBatchOfTheSecondFailureAndLeavesTheRestUntouched() async throws {
        let tmp = TemporaryJournalPath()
        defer { tmp.remove() }
        let journal = try await Journal.open(path: tmp.path)
        var bad = FakeHost.Script()
        bad.failures = [("flotilla-write", Self.failure)]
        // Batches [1], [2,3], [4,5], [6,7], [8]: node02 is down (batch 2), node05 fails (batch 3): the budget of 1 is spent there.
        let hosts = fleet(["node05": bad])
        let playbook = try FakeFleet.playbook(serial: "[1, 2]", maxFailures: "1")
        let log = EventLog()
        let result = try await engine(hosts, journal: journal, down: ["node02"], log: log).apply(request(playbook, hosts))

        #expect(result.status == .stopped)
        #expect(result.reason?.contains("batch 3") == true)
        #expect(result.reason?.contains("2 hosts failed or unreachable (1 failed, 1 unreachable), more than max_failures 1 allows") == true, "\(result.reason ?? "")")
        #expect(log.batches == [["node01"], ["node02", "node03"], ["node04", "node05"]])
        let outcome = Dictionary(uniqueKeysWithValues: result.reports.map { ($0.host, $0.outcome) })
        #expect(outcome == [
            "node01": .changed, "node02": .unreachable, "node03": .changed, "node04": .changed, "node05": .failed,
            "node06": .skipped, "node07": .skipped, "node08": .skipped,
        ])
        for host in hosts[5...] { #expect(host.commands.isEmpty, "\(host.target.name) was touched") }
        let detail = try await journal.run(result.runID)
        #expect(detail.run.status == .stopped)
        #expect(detail.hosts.first { $0.report.host == "node07" }?.report.message.contains("not started") == true)
    }

    @Test func resumeRedoesExactlyTheHostsThatDidNotConverge() async throws {
        let tmp = TemporaryJournalPath()
        defer { tmp.remove() }
        let journal = try await Journal.open(path: tmp.path)
        var bad = FakeHost.Script()
        bad.failures = [("flotilla-write", Self.failure)]
        let hosts = fleet(["node02": bad, "node03": bad])
        let playbook = try FakeFleet.playbook(maxFailures: "1")
        let first = try await engine(hosts, journal: journal).apply(request(playbook, hosts))
        #expect(first.status == .stopped)
        let before = Dictionary(uniqueKeysWithValues: hosts.map { ($0.target.name, $0.commands.count) })

        // The cause is fixed; resume the latest resumable run.
        hosts[1].setScript(FakeHost.Script())
        hosts[2].setScript(FakeHost.Script())
        let byName = Dictionary(uniqueKeysWithValues: FakeFleet.applyHosts(hosts).map { ($0.name, $0) })
        let resumed = try await engine(hosts, journal: journal).resume(nil, playbook: playbook, hosts: byName)

        #expect(resumed.runID == first.runID)
        #expect(resumed.status == .completed)
        #expect(Set(resumed.reports.map(\.host)) == ["node02", "node03", "node05", "node06", "node07", "node08"])
        #expect(resumed.earlier.map(\.host).sorted() == ["node01", "node04"])
        #expect(hosts[0].commands.count == before["node01"])
        #expect(hosts[3].commands.count == before["node04"])
        for host in hosts { #expect(host.files[FakeFleet.appConf] == "x=1\n", "\(host.target.name)") }

        let detail = try await journal.run(first.runID)
        #expect(detail.run.attempts == 2)
        #expect(detail.run.counts == [.changed: 8])
        let node02 = try #require(detail.hosts.first { $0.report.host == "node02" })
        #expect(node02.attempts == 2)
        #expect(Set(node02.history.map(\.attempt)) == [1, 2])
        #expect(node02.history.last { $0.attempt == 1 }?.step.succeeded == false)
        #expect(node02.history.filter { $0.attempt == 2 }.allSatisfy { $0.step.succeeded })
        #expect(node02.report.steps.allSatisfy { $0.succeeded })
        await #expect(throws: EngineError.self) {
            try await engine(hosts, journal: journal).resume(first.runID, playbook: playbook, hosts: byName)
        }
    }

    @Test func operatorStopFinishesTheBatchInFlightAndResumeDoesTheRest() async throws {
        let tmp = TemporaryJournalPath()
        defer { tmp.remove() }
        let journal = try await Journal.open(path: tmp.path)
        let hosts = fleet()
        let playbook = try FakeFleet.playbook()
        let stop = StopRequest()
        let log = EventLog()
        let stopping = ApplyEngine(
            transport: FakeTransport(hosts: Dictionary(uniqueKeysWithValues: hosts.map { ($0.target.name, $0) })), journal: journal, forks: 4,
            syncWaiter: nil, stop: stop,
            events: { event in
                log.append(event)
                if case .batchStarted(_, 1, _, _) = event { stop.request("stopped by the operator (Ctrl-C)") }
            })
        let result = try await stopping.apply(request(playbook, hosts))
        #expect(result.status == .interrupted)
        #expect(log.batches == [["node01"]])
        #expect(result.reports.first?.outcome == .changed)
        #expect(result.reports.dropFirst().allSatisfy { $0.outcome == .skipped })

        let byName = Dictionary(uniqueKeysWithValues: FakeFleet.applyHosts(hosts).map { ($0.name, $0) })
        let before = hosts[0].commands.count
        let resumed = try await engine(hosts, journal: journal).resume(result.runID, playbook: playbook, hosts: byName)
        #expect(resumed.status == .completed)
        #expect(resumed.reports.map(\.host) == Array(names.dropFirst()))
        #expect(hosts[0].commands.count == before)
    }

    @Test func cancellationCutsTheBatchShortAndLeavesItsHostsPendingForResume() async throws {
        let tmp = TemporaryJournalPath()
        defer { tmp.remove() }
        let journal = try await Journal.open(path: tmp.path)
        var slow = FakeHost.Script()
        slow.stepDelay = .seconds(30)
        let hosts = fleet(Dictionary(uniqueKeysWithValues: names.map { ($0, slow) }))
        let playbook = try FakeFleet.playbook(serial: "[8]")
        let log = EventLog()
        let engine = engine(hosts, journal: journal, log: log)
        let task = Task { try await engine.apply(request(playbook, hosts)) }
        while log.batches.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let result = try await task.value
        #expect(result.status == .interrupted)
        #expect(result.reports.allSatisfy { $0.outcome == .pending })
        let detail = try await journal.run(result.runID)
        #expect(detail.run.status == .interrupted)
        #expect(detail.hosts.allSatisfy { $0.report.outcome == .pending })
    }
}
