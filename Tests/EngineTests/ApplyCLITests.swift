import FlotillaCore
import FlotillaTesting
import Foundation
import Testing

/// `flotilla apply` and `flotilla runs` as a user runs them, where no host is needed.
@Suite struct ApplyCLITests {
    let journal = TemporaryJournalPath()
    var env: [String: String] { ["FLOTILLA_DB": journal.path] }

    func files() throws -> (inventory: String, playbook: String) {
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
        return (inventory, playbook)
    }

    @Test func applyWithoutYesAndWithoutATerminalRefusesAndTouchesNothing() async throws {
        defer { journal.remove() }
        let (inventory, playbook) = try files()
        let out = try await FlotillaBinary.run(["apply", "-i", inventory, playbook], environment: env)
        #expect(out.status == 1)
        #expect(out.text.contains("no terminal to ask on"), "\(out.text)")
        #expect(out.text.contains("--yes"))
        let runs = try await FlotillaBinary.run(["runs"], environment: env)
        #expect(runs.text.contains("No runs"), "\(runs.text)")
    }

    @Test func unreachableHostFailsTheRunWhichTheJournalShows() async throws {
        defer { journal.remove() }
        let (inventory, playbook) = try files()
        let out = try await FlotillaBinary.run(["apply", "-i", inventory, playbook, "--yes", "--json", "--connect-timeout", "2s"], environment: env)
        #expect(out.status == 2, "\(out.text)")
        let recap = try #require(out.text.split(separator: "\n").last { $0.contains("\"event\":\"recap\"") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(recap.utf8)) as? [String: Any])
        #expect(object["status"] as? String == "stopped")
        // The budget's verdict calls the host what the tally calls it.
        #expect((object["reason"] as? String)?.contains("1 host unreachable and the play allows no failure") == true, "\(recap)")
        let hosts = try #require(object["hosts"] as? [[String: Any]])
        #expect(hosts.first?["outcome"] as? String == "unreachable")

        let list = try await FlotillaBinary.run(["runs"], environment: env)
        #expect(list.text.contains("stopped") && list.text.contains("1 unreachable"), "\(list.text)")
        let show = try await FlotillaBinary.run(["runs", "show", "1"], environment: env)
        #expect(show.text.contains("web01") && show.text.contains("UNREACHABLE"), "\(show.text)")
        let missing = try await FlotillaBinary.run(["runs", "show", "42"], environment: env)
        #expect(missing.status == 1)
        #expect(missing.text.contains("no run 42"), "\(missing.text)")
    }

    @Test func badRolloutOverridesAreRefusedWithTheExpectedForm() async throws {
        defer { journal.remove() }
        let (inventory, playbook) = try files()
        let serial = try await FlotillaBinary.run(["apply", "-i", inventory, playbook, "--serial", "1,0", "--yes"], environment: env)
        #expect(serial.status != 0)
        #expect(serial.text.contains("--serial 1,0"), "\(serial.text)")
        let budget = try await FlotillaBinary.run(["apply", "-i", inventory, playbook, "--max-failures", "lots", "--yes"], environment: env)
        #expect(budget.status != 0)
        #expect(budget.text.contains("--max-failures lots"), "\(budget.text)")
        let resume = try await FlotillaBinary.run(["apply", "-i", inventory, "--resume", "--yes"], environment: env)
        #expect(resume.status == 1)
        #expect(resume.text.contains("no interrupted or stopped run"), "\(resume.text)")
    }
}
