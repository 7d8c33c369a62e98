import Engine
import Facts
import FlotillaCore
import Foundation
import Plan
import Testing

@Suite struct HostExecutorTests {
    let chrony: Playbook
    let ntpFacts: HostFacts

    init() throws {
        chrony = try Fixtures.playbook("chrony.yml")
        ntpFacts = try FactParser.parse(stdout: Fixtures.debian12NTP)
    }

    func executor(_ play: Play, gate: (any SyncWaiter)? = nil) -> HostExecutor {
        HostExecutor(play: play, playIndex: 0, batch: 1, syncWaiter: gate)
    }

    @Test func runsThePlansCommandsInOrderWithTheHostsBecome() async throws {
        let become = Become(user: "root")
        let host = FakeHost("node01", become: become)
        let play = chrony.plays[0]
        let report = await executor(play).execute(ApplyHost(target: host.target), over: host)

        let expected = try Planner.plan(play, host: "node01", vars: [:], facts: ntpFacts)
        let expectedLines = expected.changes.flatMap(\.steps).flatMap(\.commands).map { command -> String in
            var c = command
            c.become = become
            return c.wireForm().line
        }
        #expect(report.outcome == .changed)
        #expect(!expectedLines.isEmpty)
        #expect(host.stepLines == expectedLines)
        #expect(host.commands.allSatisfy { $0.become == become })
        #expect(report.steps.map(\.index) == Array(1...expected.changes.flatMap(\.steps).count))
        #expect(report.changes == expected.changes.map(\.resource))
        // The guard is planned by the Plan module and applied here; the report says so.
        #expect(report.guardState == "applied")
        #expect(report.message.contains("guard applied"))
    }

    @Test func firstFailingStepStopsTheHost() async throws {
        let stderr = "E: Unable to locate package chrony\n"
        var script = FakeHost.Script()
        script.failures = [("apt-get", CommandResult(status: .exited(100), stdout: [], stderr: Array(stderr.utf8)))]
        let host = FakeHost("node02", script: script)
        let report = await executor(chrony.plays[0]).execute(ApplyHost(target: host.target), over: host)

        #expect(report.outcome == .failed)
        let failing = try #require(report.steps.last)
        #expect(!failing.succeeded)
        #expect(failing.status == "exit 100")
        #expect(failing.stderrTail.contains("Unable to locate package chrony"))
        #expect(report.message.contains("step \(failing.index) of"))
        #expect(report.message.contains("exit 100"))
        // Nothing after the failing command ran.
        #expect(host.stepLines.last?.contains("apt-get") == true)
        #expect(report.steps.dropLast().allSatisfy { $0.succeeded })
    }

    /// A failed step puts back what the steps before it changed, journals the undo as steps of the host
    /// (after the failed one, resource `restore: ...`) and says so; the host is checked again afterwards.
    @Test func failedStepPutsBackWhatEarlierStepsChangedAndRecordsTheUndo() async throws {
        let playbook = try Playbook.parse(yaml: """
            - name: two files
              hosts: all
              tasks:
                - file: {path: /etc/app.conf, content: "x=1\\n", mode: "0644", owner: root, group: root}
                - file: {path: /etc/app2.conf, content: "y=1\\n", mode: "0644", owner: root, group: root}
            """, file: "two.yml")
        var script = FakeHost.Script()
        script.failures = [("app2.conf", CommandResult(status: .exited(1), stdout: [], stderr: Array("No space left on device\n".utf8)))]
        let host = FakeHost("node07", files: ["/etc/app.conf": "x=0\n", "/etc/app2.conf": "y=0\n"], script: script)
        let recorded = StepLog()
        let executor = HostExecutor(play: playbook.plays[0], playIndex: 0, batch: 1, syncWaiter: nil) { await recorded.add($0) }
        let report = await executor.execute(ApplyHost(target: host.target), over: host)

        #expect(report.outcome == .failed)
        #expect(host.files["/etc/app.conf"] == "x=0\n", "not put back")
        // Each file task is two steps (mkdir -p of its directory, the write); the fourth fails.
        #expect(report.message.hasPrefix("step 4 of 4 (write /etc/app2.conf"), "\(report.message)")
        #expect(report.message.contains("; restored: /etc/app.conf written back; the host is as it was before the run"), "\(report.message)")
        let undo = try #require(report.steps.last)
        #expect(undo.index == 5 && undo.succeeded && undo.resource == "restore: file[/etc/app.conf]", "\(undo)")
        #expect(await recorded.steps.map(\.index) == [1, 2, 3, 4, 5])
        // A failure before anything changed needs no undo, and says that it checked.
        var first = FakeHost.Script()
        first.failures = [("app.conf", CommandResult(status: .exited(1), stdout: [], stderr: []))]
        let untouched = FakeHost("node08", files: ["/etc/app.conf": "x=0\n", "/etc/app2.conf": "y=0\n"], script: first)
        let same = await HostExecutor(play: playbook.plays[0], playIndex: 0, batch: 1, syncWaiter: nil).execute(ApplyHost(target: untouched.target), over: untouched)
        #expect(same.message.hasSuffix("; nothing had changed on the host (checked after the failure)"), "\(same.message)")
        #expect(same.steps.count == 2)
    }

    @Test func dpkgLockIsReportedWithTheHostAndTheLock() async throws {
        let stderr = "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)\n"
            + "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?\n"
        var script = FakeHost.Script()
        script.failures = [("apt-get", CommandResult(status: .exited(100), stdout: [], stderr: Array(stderr.utf8)))]
        let host = FakeHost("node03", script: script)
        let report = await executor(chrony.plays[0]).execute(ApplyHost(target: host.target), over: host)

        #expect(report.outcome == .failed)
        #expect(report.steps.last?.succeeded == false)
        #expect(report.message.contains("the package database is locked"))
        #expect(report.message.contains("node03"))
        #expect(report.message.contains("/var/lib/dpkg/lock-frontend"))
        #expect(report.message.contains("process 4242 (apt-get)"))
        #expect(DpkgLock.held(in: stderr) == DpkgLock.Held(path: "/var/lib/dpkg/lock-frontend", holder: "process 4242 (apt-get)"))
        #expect(DpkgLock.held(in: "E: Unable to locate package x") == nil)
        // apt 2.6 with DPkg::Lock::Timeout, captured on a lab host whose lock was held from outside its PID namespace.
        let waited = DpkgLock.held(
            in: "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?\n",
            stdout: "Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 0...\n")
        #expect(waited == DpkgLock.Held(path: "/var/lib/dpkg/lock-frontend", holder: nil))
    }

    @Test func aHostThatDoesNotSyncFailsTheGate() async throws {
        var script = FakeHost.Script()
        script.unsynced = true
        let host = FakeHost("node04", script: script)
        let report = await executor(chrony.plays[0], gate: WaitsyncGate()).execute(ApplyHost(target: host.target), over: host)
        #expect(report.outcome == .failed)
        #expect(report.message.hasPrefix("sync gate:"))
        #expect(report.message.contains("60 tries"))
        #expect(host.stepLines.last?.contains("'chronyc' 'waitsync' '60'") == true || host.stepLines.last?.contains("chronyc waitsync 60") == true)
    }

    /// The playbook's max_skew used to stop at the plan: the waitsync line carried a hard-coded 0. Both gates build
    /// the line with ChronyWaitsync, from the playbook's values.
    @Test func thePlaybooksMaxSkewReachesTheWaitsyncLineSent() async throws {
        let yaml = """
            - hosts: all
              sync_gate: {tries: 7, interval: 2, max_correction: 0.02, max_skew: 3.5}
              timesync: {servers: ["169.254.169.123"]}
            """
        let play = try Playbook.parse(yaml: yaml, file: "skew.yml").plays[0]
        let gate = try #require(play.syncGate)
        #expect(DriftSyncWaiter.check(for: gate, source: nil, become: nil).maxSkew == 3.5)
        var script = FakeHost.Script()
        script.unsynced = true
        let host = FakeHost("node06", script: script)
        _ = await executor(play, gate: WaitsyncGate()).execute(ApplyHost(target: host.target), over: host)
        let line = try #require(host.stepLines.last { $0.contains("waitsync") })
        #expect(line.contains("chronyc waitsync 7 0.020000 3.500 2.000"), "\(line)")
    }

    @Test func convergedHostIsOkAndRunsNoStep() async throws {
        let playbook = try FakeFleet.playbook()
        let host = FakeHost("node05", files: [FakeFleet.appConf: "x=1\n"])
        let report = await executor(playbook.plays[0]).execute(ApplyHost(target: host.target), over: host)
        #expect(report.outcome == .ok, "\(report.message)")
        #expect(report.steps.isEmpty)
        #expect(host.stepLines.isEmpty)
    }

    @Test func staleSavedPlanIsRefusedAndChangesNothing() async throws {
        let playbook = try FakeFleet.playbook()
        let play = playbook.plays[0]
        let host = FakeHost("node06")
        let facts = try FactParser.parse(stdout: FakeHost.facts(files: [:]))
        let saved = try Planner.plan(play, host: "node06", vars: [:], facts: facts)

        // Unchanged facts: the saved plan runs.
        let fresh = await executor(play).execute(ApplyHost(target: host.target), over: host, saved: saved)
        #expect(fresh.outcome == .changed)
        #expect(host.files[FakeFleet.appConf] == "x=1\n")

        // Someone edits the file afterwards: the same saved plan is now stale for this host.
        let edited = FakeHost("node06", files: [FakeFleet.appConf: "x=2\n"])
        let stale = await executor(play).execute(ApplyHost(target: edited.target), over: edited, saved: saved)
        #expect(stale.outcome == .refused)
        #expect(stale.message.contains("facts changed since the plan was made"))
        #expect(edited.stepLines.isEmpty)
        #expect(edited.files[FakeFleet.appConf] == "x=2\n")
    }
}

/// `apply --lock-wait` sets apt's wait for a package lock, a typed field of the package step, never by editing a
/// command line.
@Suite struct LockWaitTests {
    @Test func lockWaitSetsAptsLockTimeoutAndNothingElse() {
        let apt = Step.package(call: PackageCall(manager: .apt, verb: "install", names: ["chrony"], lockWaitSeconds: 120))
        let changed = apt.withLockWait(seconds: 5)
        #expect(changed == .package(call: PackageCall(manager: .apt, verb: "install", names: ["chrony"], lockWaitSeconds: 5)))
        #expect(changed.argv?.filter { $0.hasPrefix("DPkg::Lock::Timeout=") } == ["DPkg::Lock::Timeout=5"])
        #expect(changed.commands.map(\.timeout) == apt.commands.map(\.timeout))
        // Negative waits are apt's "forever"; Flotilla never sends one.
        #expect(apt.withLockWait(seconds: -3).argv?.contains("DPkg::Lock::Timeout=0") == true)
        let dnf = Step.package(call: PackageCall(manager: .dnf, verb: "install", names: ["chrony"]))
        #expect(dnf.withLockWait(seconds: 5) == dnf)
        let unit = Step.systemctl(verb: .restart, unit: "chrony.service")
        #expect(unit.withLockWait(seconds: 5) == unit)
        let exec = Step.exec(argv: ["sh", "-c", "echo DPkg::Lock::Timeout=120"], timeoutSeconds: 30)
        #expect(exec.withLockWait(seconds: 5) == exec)
    }

    /// The command line the host receives, and the step the journal records, both carry the wait asked for.
    @Test func theExecutorSendsTheWaitToTheHost() async throws {
        let host = FakeHost("node01")
        let play = try Fixtures.playbook("chrony.yml").plays[0]
        let executor = HostExecutor(play: play, playIndex: 0, batch: 1, syncWaiter: nil, lockWaitSeconds: 7)
        let report = await executor.execute(ApplyHost(target: host.target), over: host)
        #expect(report.outcome == .changed, "\(report.message)")
        let aptLines = host.stepLines.filter { $0.contains("apt-get") }
        #expect(aptLines.count >= 2, "\(host.stepLines)")
        #expect(aptLines.allSatisfy { $0.contains("DPkg::Lock::Timeout=7") && !$0.contains("DPkg::Lock::Timeout=120") }, "\(aptLines)")
        let aptSteps = report.steps.filter { $0.description.contains("apt-get") }
        #expect(!aptSteps.isEmpty && aptSteps.allSatisfy { $0.description.contains("DPkg::Lock::Timeout=7") })
    }
}

/// The steps an executor reported, in order.
actor StepLog {
    private(set) var steps: [StepRecord] = []
    func add(_ step: StepRecord) { steps.append(step) }
}
