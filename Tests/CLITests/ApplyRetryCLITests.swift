import Foundation
import Testing
import FlotillaCore
import FlotillaTesting

/// `apply --retry-failed` and `runs` end to end: the real binary, a real sshd on loopback, a journal of its own.
@Suite struct ApplyRetryCLITests {
    @Test func aCompletedRunsUnreachableHostIsRetriedAloneAsANewRunAndRunsShowsBothLinked() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let dir = server.directory
        let env = ["FLOTILLA_DB": dir + "/state/flotilla.sqlite"]
        let inventory = dir + "/hosts.ini"
        let playbook = dir + "/app.yml"
        // The file the play manages lives in the server's own directory, never on the machine's /etc.
        try """
            - name: app config
              hosts: all
              tasks:
                - file: {path: \(dir)/app.conf, content: "x=1\\n", mode: "0644", owner: root, group: root}
            """.write(toFile: playbook, atomically: true, encoding: .utf8)
        func writeInventory(web02Port: Int) throws {
            let key = "ansible_ssh_private_key_file=\(server.userKeyPath)"
            try """
                [web]
                web01 ansible_host=127.0.0.1 ansible_port=\(server.port) \(key)
                web02 ansible_host=127.0.0.1 ansible_port=\(web02Port) \(key)
                [all:vars]
                ansible_user=root
                flotilla_known_hosts_file=\(server.knownHostsPath)
                """.write(toFile: inventory, atomically: true, encoding: .utf8)
        }
        // web02 is down: nothing listens on its port.
        try writeInventory(web02Port: TestSSHServer.freePort())

        // The play allows no failure; the command line allows one, so the run completes.
        let first = try await FlotillaBinary.run(
            ["apply", "-i", inventory, playbook, "--yes", "--connect-timeout", "5s", "--max-failures", "1"], environment: env)
        #expect(first.status == 2, "\(first.text)")
        #expect(first.text.contains("Recap of run 1 (completed)"), "\(first.text)")
        #expect(first.text.contains("unreachable=1"), "\(first.text)")
        #expect(first.text.contains("retry the failed and unreachable hosts with: flotilla apply --retry-failed 1 -i \(inventory)"), "\(first.text)")

        let list = try await FlotillaBinary.run(["runs"], environment: env)
        #expect(list.text.contains("completed with failures"), "\(list.text)")
        // A completed run is not resumed by a bare --resume; the refusal says what does retry it.
        let resume = try await FlotillaBinary.run(["apply", "-i", inventory, "--resume", "--yes"], environment: env)
        #expect(resume.status == 1)
        #expect(resume.text.contains("`flotilla apply --retry-failed 1 -i INVENTORY` retries them"), "\(resume.text)")

        // web02 comes back (at the same sshd); the retry takes it alone.
        try writeInventory(web02Port: server.port)
        let retry = try await FlotillaBinary.run(["apply", "-i", inventory, "--retry-failed", "--yes", "--json"], environment: env)
        #expect(retry.status == 0, "\(retry.text)")
        #expect(retry.text.contains("Retrying the failed and unreachable hosts of run 1 (completed with failures): web02"), "\(retry.text)")
        let recapLine = try #require(retry.text.split(separator: "\n").last { $0.contains("\"event\":\"recap\"") })
        let recap = try #require(try JSONSerialization.jsonObject(with: Data(recapLine.utf8)) as? [String: Any])
        #expect(recap["run"] as? Int == 2)
        #expect(recap["retry_of"] as? Int == 1)
        let hosts = try #require(recap["hosts"] as? [[String: Any]])
        #expect(hosts.map { $0["host"] as? String } == ["web02"])
        // Fresh facts: web01 wrote the shared file in run 1, so web02's new plan finds nothing to do.
        #expect(hosts.first?["outcome"] as? String == "ok", "\(hosts)")

        let shown = try await FlotillaBinary.run(["runs", "show", "2"], environment: env)
        #expect(shown.text.contains("Run 2: completed\n"), "\(shown.text)")
        #expect(shown.text.contains("retry of run 1"), "\(shown.text)")
        // The retry keeps the run's command-line failure budget.
        #expect(shown.text.contains("rollout   app config: serial all; max_failures 1"), "\(shown.text)")
        let original = try await FlotillaBinary.run(["runs", "show", "1"], environment: env)
        #expect(original.text.contains("Run 1: completed with failures"), "\(original.text)")
        #expect(original.text.contains("retried by run 2"), "\(original.text)")
        // Each step shows how long it took.
        let stepLines = original.text.split(separator: "\n").filter { $0.contains("] step ") }
        #expect(!stepLines.isEmpty, "\(original.text)")
        for line in stepLines {
            #expect(line.range(of: #": exit 0, [0-9.]+ (s|ms|µs)$"#, options: .regularExpression) != nil, "\(line)")
        }
        let listed = try await FlotillaBinary.run(["runs"], environment: env)
        #expect(listed.text.contains("(retry of run 1)"), "\(listed.text)")

        // --retry-failed takes a run number, and is not --resume.
        let mixed = try await FlotillaBinary.run(["apply", "-i", inventory, "--retry-failed", "--resume", "--yes"], environment: env)
        #expect(mixed.status != 0)
        #expect(mixed.text.contains("give one of them"), "\(mixed.text)")
        let named = try await FlotillaBinary.run(["apply", "-i", inventory, "--retry-failed", playbook, "--yes"], environment: env)
        #expect(named.status != 0)
        #expect(named.text.contains("--retry-failed takes a run number"), "\(named.text)")

        // Nothing left to retry: the newest run is clean.
        let again = try await FlotillaBinary.run(["apply", "-i", inventory, "--retry-failed", "--yes"], environment: env)
        #expect(again.status == 1)
        #expect(again.text.contains("run 2 has nothing to retry: no host of it failed or was unreachable"), "\(again.text)")
    }
}
