import Engine
import FlotillaCore
import FlotillaTesting
import Foundation
import Plan
import Testing

/// The test hook that fails step K of a host's plan after the step ran (`FLOTILLA_TEST_FAIL_STEP`), which the
/// lab's matrix test drives. Its parsing at the bounds, the command that fails on the host, and what the
/// executor does with it: the step's own commands run first, the undo covers the step itself, restore steps
/// are never failed, and other hosts are untouched.
@Suite struct StepFailureInjectionTests {
    @Test func readsHostEqualsStepListsAndRefusesAnythingElseNamingTheVariable() throws {
        let hook = try StepFailureInjection.parse("node13=1, node14=22 ,node51=100000")
        #expect(hook.steps == ["node13": 1, "node14": 22, "node51": 100_000])
        #expect(hook.step(for: "node14") == 22 && hook.step(for: "node15") == nil)
        #expect(hook.summary == "node13 at step 1, node14 at step 22, node51 at step 100000")
        // A host name with '=' in it is not a host of an inventory, but the last '=' separates the step.
        #expect(try StepFailureInjection.parse("a=b=3").steps == ["a=b": 3])
        for bad in ["", "node13", "node13=0", "node13=100001", "node13=-1", "=3", "node13=x", "node13=1,", "node13=1,,node14=2", "node13= 1e2"] {
            #expect(throws: StepFailureInjection.Invalid.self, "\(bad)") { try StepFailureInjection.parse(bad) }
            do {
                _ = try StepFailureInjection.parse(bad)
            } catch {
                #expect(error.description.hasPrefix("FLOTILLA_TEST_FAIL_STEP: "), "\(error)")
            }
        }
        #expect(throws: StepFailureInjection.Invalid.self) { try StepFailureInjection.parse("node13=1,node13=2") }
        #expect(try StepFailureInjection.from(environment: ["PATH": "/bin"]) == nil)
        #expect(try StepFailureInjection.from(environment: ["FLOTILLA_TEST_FAIL_STEP": "node02=4"])?.steps == ["node02": 4])
    }

    /// The failing command, run by a real shell as a host runs it: exit 97, the hook named on stderr.
    @Test func theFailingCommandFailsInARealShellAndSaysItIsTheHook() async throws {
        let line = StepFailureInjection.failingCommand(step: 7).wireForm().line
        let out = try await offload { try LocalProcess.run(["sh", "-c", line]) }
        #expect(out.status == StepFailureInjection.exitStatus)
        #expect(out.text == "test hook FLOTILLA_TEST_FAIL_STEP: step 7 made to fail after it ran\n")
    }

    @Test func aStepMadeToFailRanFirstAndIsUndoneWithTheStepsBeforeIt() async throws {
        let playbook = try Playbook.parse(yaml: """
            - name: two files
              hosts: all
              tasks:
                - file: {path: /etc/app.conf, content: "x=1\\n", mode: "0644", owner: root, group: root}
                - file: {path: /etc/app2.conf, content: "y=1\\n", mode: "0644", owner: root, group: root}
            """, file: "two.yml")
        let said = "test hook FLOTILLA_TEST_FAIL_STEP: step 4 made to fail after it ran\n"
        var script = FakeHost.Script()
        // FakeHost runs no shell: it answers the hook's command as a host does (see the test above).
        script.failures = [("flotilla-test-hook", CommandResult(status: .exited(97), stdout: [], stderr: Array(said.utf8)))]
        let host = FakeHost("node13", files: ["/etc/app.conf": "x=0\n", "/etc/app2.conf": "y=0\n"], script: script)
        let other = FakeHost("node14", files: ["/etc/app.conf": "x=0\n", "/etc/app2.conf": "y=0\n"], script: script)
        let hook = StepFailureInjection(steps: ["node13": 4])
        let recorded = StepLog()
        let executor = HostExecutor(play: playbook.plays[0], playIndex: 0, batch: 1, syncWaiter: nil, failureInjection: hook) { await recorded.add($0) }
        let report = await executor.execute(ApplyHost(target: host.target), over: host)

        #expect(report.outcome == .failed)
        #expect(report.message.hasPrefix("step 4 of 4 (write /etc/app2.conf"), "\(report.message)")
        #expect(report.message.contains("failed (exit 97): test hook FLOTILLA_TEST_FAIL_STEP: step 4 made to fail after it ran; restored: "), "\(report.message)")
        // Step 4 wrote app2.conf before the hook failed it; both files are put back.
        #expect(report.message.contains("/etc/app.conf written back") && report.message.contains("/etc/app2.conf written back"), "\(report.message)")
        #expect(report.message.contains("; the host is as it was before the run"), "\(report.message)")
        #expect(host.files["/etc/app.conf"] == "x=0\n" && host.files["/etc/app2.conf"] == "y=0\n")
        let lines = host.stepLines
        let hookAt = try #require(lines.firstIndex { $0.contains("flotilla-test-hook") })
        #expect(lines[hookAt - 1].contains("flotilla-write") && lines[hookAt - 1].contains("app2.conf"), "\(lines)")
        #expect(lines.filter { $0.contains("flotilla-test-hook") }.count == 1, "a restore step was failed too: \(lines)")
        let failing = try #require(report.steps.first { !$0.succeeded })
        #expect(failing.index == 4 && failing.status == "exit 97" && failing.stderrTail.contains("FLOTILLA_TEST_FAIL_STEP"))
        #expect(report.steps.filter { $0.resource.hasPrefix(HostExecutor.restorePrefix) }.allSatisfy { $0.succeeded })
        #expect(await recorded.steps.map(\.index) == Array(1...report.steps.count))

        // A host the hook does not name runs as usual.
        let untouched = await executor.execute(ApplyHost(target: other.target), over: other)
        #expect(untouched.outcome == .changed, "\(untouched.message)")
        #expect(!other.stepLines.contains { $0.contains("flotilla-test-hook") })
        // A step past the end of the plan never fails anything.
        let past = HostExecutor(play: playbook.plays[0], playIndex: 0, batch: 1, syncWaiter: nil, failureInjection: StepFailureInjection(steps: ["node15": 5]))
        let node15 = FakeHost("node15", files: ["/etc/app.conf": "x=0\n", "/etc/app2.conf": "y=0\n"], script: script)
        #expect(await past.execute(ApplyHost(target: node15.target), over: node15).outcome == .changed)
    }

    /// `flotilla apply` refuses a malformed hook before it journals anything, and is never silent about one that is set.
    @Test func applyRefusesAMalformedHookAndWarnsWhenOneIsSet() async throws {
        let journal = TemporaryJournalPath()
        defer { journal.remove() }
        try FileManager.default.createDirectory(atPath: journal.directory, withIntermediateDirectories: true)
        let inventory = journal.directory + "/hosts.ini"
        try "[web]\nweb01 ansible_host=127.0.0.1 ansible_port=1\n".write(toFile: inventory, atomically: true, encoding: .utf8)
        let playbook = journal.directory + "/app.yml"
        try """
            - name: app config
              hosts: all
              tasks:
                - file: {path: /etc/app.conf, content: "x=1\\n", mode: "0644", owner: root, group: root}
            """.write(toFile: playbook, atomically: true, encoding: .utf8)
        let args = ["apply", "-i", inventory, playbook, "--yes", "--connect-timeout", "2s"]
        let bad = try await FlotillaBinary.run(args, environment: ["FLOTILLA_DB": journal.path, "FLOTILLA_TEST_FAIL_STEP": "web01"])
        #expect(bad.status != 0 && bad.status != 2, "\(bad.text)")
        #expect(bad.text.contains("FLOTILLA_TEST_FAIL_STEP: 'web01' is not HOST=STEP"), "\(bad.text)")
        let runs = try await FlotillaBinary.run(["runs"], environment: ["FLOTILLA_DB": journal.path])
        #expect(runs.text.contains("No runs"), "\(runs.text)")

        let set = try await FlotillaBinary.run(args, environment: ["FLOTILLA_DB": journal.path, "FLOTILLA_TEST_FAIL_STEP": "web01=1"])
        #expect(set.text.contains("flotilla apply: test hook FLOTILLA_TEST_FAIL_STEP is set: steps made to fail after they ran on web01 at step 1"), "\(set.text)")
        // The help never mentions it.
        let help = try await FlotillaBinary.run(["apply", "--help"], environment: [:])
        #expect(help.status == 0 && !help.text.contains("FLOTILLA_TEST") && !help.text.contains("test hook"))
    }
}
