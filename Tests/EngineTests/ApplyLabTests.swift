import Engine
import FlotillaCore
import FlotillaTesting
import Foundation
import Testing

/// `flotilla apply` end to end on the lab's real hosts (systemd-nspawn containers booted by systemd), through
/// the built `flotilla` executable. Every host is then checked on the host itself with the system ssh client
/// (`flotilla lab ssh`, OpenSSH), not through Flotilla's SSH module, facts or planner.
///
/// Each test brings up a fresh 8-host lab (about 3 s from the cached image) and takes it down at its end.
/// Needs root, as the lab does (it fails, not skips, without it). The lab is one per machine: `.labExclusive` keeps this suite and the other
/// lab suites (LabTests) from running at the same time.
@Suite(.serialized, .labExclusive)
struct ApplyLabTests {
    static let inventory = "/var/lib/flotilla/lab/inventory.yml"
    static let playbook = Fixtures.root.appendingPathComponent("Playbooks/chrony.yml").path
    static let upstream = "169.254.169.123"
    static let serverLine = "server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4"
    static let names = (1...8).map { String(format: "node%02d", $0) }

    let journal = TemporaryJournalPath()
    var env: [String: String] { ["FLOTILLA_DB": journal.path] }

    // MARK: helpers

    func flotilla(_ args: [String]) async throws -> LocalProcess.Output {
        try await FlotillaBinary.run(args, environment: env)
    }

    func freshLab() async throws {
        _ = try await flotilla(["lab", "down"])
        let up = try await flotilla(["lab", "up", "--hosts", "8"])
        try #require(up.status == 0, "lab up: \(up.text)")
    }

    func labDown() async throws {
        _ = try await flotilla(["lab", "down"])
        journal.remove()
    }

    /// `flotilla apply` from inside the lab network, JSON lines out.
    func apply(_ args: [String], inventory: String = inventory) async throws -> (status: Int32, lines: [[String: Any]], text: String) {
        let out = try await flotilla(["lab", "exec", "--", "flotilla", "apply", "-i", inventory, "--json"] + args)
        return (out.status, Self.jsonLines(out.text), out.text)
    }

    static func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("{") else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    static func recap(_ lines: [[String: Any]]) -> [String: Any]? { lines.last { $0["event"] as? String == "recap" } }

    static func outcomes(_ lines: [[String: Any]]) -> [String: String] {
        var out: [String: String] = [:]
        for h in (recap(lines)?["hosts"] as? [[String: Any]]) ?? [] {
            if let name = h["host"] as? String, let o = h["outcome"] as? String { out[name] = o }
        }
        return out
    }

    static func batches(_ lines: [[String: Any]]) -> [[String]] {
        lines.filter { $0["event"] as? String == "batch" }.compactMap { $0["hosts"] as? [String] }
    }

    /// What a host says about itself, read over OpenSSH.
    struct HostState {
        var fields: [String: String]
        var packages: [String: String]

        subscript(_ key: String) -> String { fields[key] ?? "" }

        func installed(_ package: String) -> Bool { packages[package]?.hasPrefix("ii") == true }
    }

    static let probe = #"""
    dpkg-query -W -f='pkg ${Package} ${db:Status-Abbrev}\n' ntp ntpsec chrony systemd-timesyncd 2>/dev/null
    echo "enabled=$(systemctl is-enabled chrony.service 2>&1)"
    echo "active=$(systemctl is-active chrony.service 2>&1)"
    echo "timesyncd=$(systemctl is-enabled systemd-timesyncd.service 2>&1 | head -n 1)"
    echo "ntpsec=$(systemctl is-active ntpsec.service 2>&1)"
    echo "firstsource=$(grep -E '^(server|pool) ' /etc/chrony/chrony.conf 2>/dev/null | head -n 1)"
    echo "tracking=$(chronyc -n -c tracking 2>&1)"
    echo "pin=$(cat /etc/apt/preferences.d/flotilla-timesync 2>/dev/null | grep -c 'Pin-Priority: -1')"
    echo "marker=$(cat /etc/flotilla-lab-marker 2>/dev/null)"
    """#

    func state(_ host: String) async throws -> HostState {
        let out = try await flotilla(["lab", "ssh", host, "--", "sh", "-c", ShellQuote.quote(Self.probe)])
        var fields: [String: String] = [:]
        var packages: [String: String] = [:]
        for line in out.text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("pkg ") {
                let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
                if parts.count == 3 { packages[parts[1]] = parts[2] }
            } else if let eq = line.firstIndex(of: "=") {
                fields[String(line[..<eq])] = String(line[line.index(after: eq)...])
            }
        }
        return HostState(fields: fields, packages: packages)
    }

    /// The issue's definition of converged, checked on the host.
    func expectConverged(_ host: String) async throws {
        let s = try await state(host)
        #expect(!s.installed("ntp") && !s.installed("ntpsec"), "\(host): \(s.packages)")
        #expect(s.installed("chrony"), "\(host): \(s.packages)")
        #expect(s["enabled"] == "enabled", "\(host): chrony is \(s["enabled"])")
        #expect(s["active"] == "active", "\(host): chrony is \(s["active"])")
        #expect(s["timesyncd"] == "masked" || s["timesyncd"].contains("No such file") || s["timesyncd"].contains("not-found")
            || !s.installed("systemd-timesyncd") && s["timesyncd"] != "enabled", "\(host): timesyncd \(s["timesyncd"])")
        #expect(s["firstsource"] == Self.serverLine, "\(host): first source line '\(s["firstsource"])'")
        let tracking = s["tracking"].split(separator: ",").map(String.init)
        #expect(tracking.count >= 14, "\(host): tracking '\(s["tracking"])'")
        if tracking.count >= 14 {
            #expect(tracking[1] == Self.upstream, "\(host): follows \(tracking[1])")
            #expect(tracking[13] == "Normal", "\(host): leap status \(tracking[13])")
        }
        // ntp, ntpsec, openntpd and systemd-timesyncd.
        #expect(s["pin"] == "4", "\(host): guard pin lines \(s["pin"])")
    }

    // MARK: tests

    @Test func eightMixedHostsConvergeInBatchesOfOneThreeAndTheRestAndASecondApplyChangesNothing() async throws {
        try await freshLab()
        let first = try await apply([Self.playbook, "--serial", "1,3,100%", "--yes"])
        #expect(first.status == 0, "\(first.text)")
        #expect(Self.batches(first.lines).map(\.count) == [1, 3, 4])
        #expect(Set(Self.outcomes(first.lines).values) == ["changed"], "\(Self.outcomes(first.lines))")
        for host in Self.names { try await expectConverged(host) }

        let second = try await apply([Self.playbook, "--yes"])
        #expect(second.status == 0, "\(second.text)")
        #expect(Self.outcomes(second.lines) == Dictionary(uniqueKeysWithValues: Self.names.map { ($0, "ok") }))
        // After a reboot the hosts are still converged (chrony not masked again, ntp not back).
        for host in ["node01", "node04"] {
            let reboot = try await flotilla(["lab", "reboot", host])
            #expect(reboot.status == 0, "\(reboot.text)")
        }
        for host in ["node01", "node04"] {
            // chronyd starts with the host and needs a few polls (iburst) to synchronise again.
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline, !(try await state(host))["tracking"].hasSuffix(",Normal") {
                try await Task.sleep(for: .seconds(1))
            }
            try await expectConverged(host)
        }
        try await labDown()
    }

    @Test func dpkgLockAndADownHostSpendABudgetOfOneAndTheUntouchedHostsStayUntouched() async throws {
        try await freshLab()
        // Inventory order: node01 | node05 node02 node06 | node03 node07 node04 node08.
        // Held until healed below (it would end by itself after 600 s): batch 1 may take long on a loaded machine.
        #expect(try await flotilla(["lab", "fault", "node02", "dpkg-lock", "600"]).status == 0)
        #expect(try await flotilla(["lab", "fault", "node05", "down"]).status == 0)
        let before = try await state("node07")
        let run = try await apply([Self.playbook, "--serial", "1,3,100%", "--max-failures", "1", "--lock-wait", "3s", "--connect-timeout", "3s", "--yes"])
        #expect(run.status == 2, "\(run.text)")
        let recap = try #require(Self.recap(run.lines))
        #expect(recap["status"] as? String == "stopped")
        #expect((recap["reason"] as? String)?.contains("after batch 2") == true)
        let outcomes = Self.outcomes(run.lines)
        #expect(outcomes["node01"] == "changed")
        #expect(outcomes["node05"] == "unreachable")
        #expect(outcomes["node02"] == "failed")
        let node02 = ((recap["hosts"] as? [[String: Any]]) ?? []).first { $0["host"] as? String == "node02" }
        let message = node02?["message"] as? String ?? ""
        #expect(message.contains("node02") && message.contains("/var/lib/dpkg/lock-frontend"), "\(message)")
        for host in ["node03", "node07", "node04", "node08"] { #expect(outcomes[host] == "skipped", "\(host)") }
        // The hosts of the batch that never started are as they were: chrony still masked on node07, no pin.
        let after = try await state("node07")
        #expect(after.packages == before.packages)
        #expect(after["enabled"] == before["enabled"])
        #expect(after["pin"] == "0")

        // The causes go away; resume finishes the run without redoing node01.
        #expect(try await flotilla(["lab", "fault", "node05", "up"]).status == 0)
        let healed = try await flotilla(["lab", "fault", "node02", "heal"])
        #expect(healed.status == 0 && healed.text.contains("dpkg lock released"), "\(healed.text)")
        let runID = try #require(recap["run"] as? Int)
        let resumed = try await apply(["--resume", String(runID), "--yes"])
        #expect(resumed.status == 0, "\(resumed.text)")
        #expect(Self.outcomes(resumed.lines)["node01"] == nil)
        #expect(Set(Self.outcomes(resumed.lines).keys) == Set(Self.names).subtracting(["node01", "node06"]))
        for host in Self.names { try await expectConverged(host) }
        try await labDown()
    }

    @Test func controllerKilledMidBatchIsResumedWithoutRedoingFinishedHostsAsAdminWithBecome() async throws {
        try await freshLab()
        // The non-root path: user admin, sudo through become.
        let adminInventory = journal.directory + "/admin.yml"
        try FileManager.default.createDirectory(atPath: journal.directory, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: Self.inventory, encoding: .utf8)
            .replacingOccurrences(of: "ansible_user: root", with: "ansible_user: admin\n        ansible_become: true")
        try text.write(toFile: adminInventory, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: FlotillaBinary.path)
        process.arguments = ["apply", "-i", adminInventory, Self.playbook, "--serial", "1,3,100%", "--yes", "--json", "--netns", "flotilla-vpc"]
        process.environment = ProcessInfo.processInfo.environment.merging(env) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier

        // Wait until batch 2 is under way, then kill the controller outright.
        let reader = try await Journal.open(path: journal.path)
        var runID: Int64?
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let run = try await reader.runs().first {
                runID = run.id
                let detail = try await reader.run(run.id)
                if detail.hosts.contains(where: { $0.report.batch == 2 && $0.report.outcome == .running }) { break }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        kill(pid, SIGKILL)
        while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        let id = try #require(runID)

        let killed = try await reader.run(id)
        #expect(killed.run.status == .interrupted)
        let batch1 = try #require(killed.hosts.first { $0.report.batch == 1 })
        #expect(batch1.report.outcome == .changed)
        #expect(killed.hosts.contains { $0.report.outcome == .running || $0.report.outcome == .pending })

        let listed = try await flotilla(["runs"])
        #expect(listed.text.contains("interrupted"), "\(listed.text)")

        let resumed = try await apply(["--resume", String(id), "--yes"], inventory: adminInventory)
        #expect(resumed.status == 0, "\(resumed.text)")
        #expect(Self.outcomes(resumed.lines)[batch1.report.host] == nil, "the canary was redone")
        for host in Self.names { try await expectConverged(host) }

        let story = try await reader.run(id)
        #expect(story.run.status == .completed)
        #expect(story.run.attempts == 2)
        #expect(story.hosts.allSatisfy { $0.report.outcome.isConverged })
        #expect(story.hosts.first { $0.report.host == batch1.report.host }?.attempts == 1)
        let shown = try await flotilla(["runs", "show", String(id)])
        #expect(shown.text.contains("attempts  2"), "\(shown.text)")
        try await labDown()
    }

    @Test func staleSavedPlanIsRefusedForTheChangedHostOnly() async throws {
        try await freshLab()
        let planFile = journal.directory + "/chrony.plan"
        try FileManager.default.createDirectory(atPath: journal.directory, withIntermediateDirectories: true)
        let plan = try await flotilla(["lab", "exec", "--", "flotilla", "plan", "-i", Self.inventory, Self.playbook, "--out", planFile])
        #expect(plan.status == 0, "\(plan.text)")
        // node03 changes after the plan was made: someone unmasks chrony by hand.
        let poke = try await flotilla(["lab", "ssh", "node03", "--", "systemctl", "unmask", "chrony.service"])
        #expect(poke.status == 0, "\(poke.text)")
        let before = try await state("node03")

        let run = try await apply([planFile, "--yes"])
        #expect(run.status == 2, "\(run.text)")
        let outcomes = Self.outcomes(run.lines)
        #expect(outcomes["node03"] == "refused")
        let node03 = ((Self.recap(run.lines)?["hosts"] as? [[String: Any]]) ?? []).first { $0["host"] as? String == "node03" }
        // The refusal names what changed: the unit that was unmasked.
        #expect((node03?["message"] as? String)?.contains("unit[chrony.service]") == true, "\(node03 ?? [:])")
        #expect((node03?["message"] as? String)?.contains("changed since the plan was made") == true)
        for host in Self.names where host != "node03" {
            #expect(outcomes[host] == "changed", "\(host)")
            try await expectConverged(host)
        }
        let after = try await state("node03")
        #expect(after.packages == before.packages)
        #expect(after["firstsource"] == before["firstsource"])
        #expect(after["pin"] == "0")
        try await labDown()
    }

    @Test func timeMasterServesItsClientsWithAtMostTwoHostsOfAZonePerBatch() async throws {
        try await freshLab()
        let master = Fixtures.root.appendingPathComponent("Playbooks/chrony-master.yml").path
        let run = try await apply([master, "--yes"])
        #expect(run.status == 0, "\(run.text)")
        // Clients' batches: the lab puts odd-numbered hosts in zone_a and even ones in zone_b; at most 2 of a zone each.
        let batches = Self.batches(run.lines)
        #expect(batches.first == ["node01"])
        for batch in batches.dropFirst() {
            let odd = batch.filter { Int($0.suffix(2))! % 2 == 1 }.count
            #expect(odd <= 2 && batch.count - odd <= 2, "batch \(batch)")
        }
        #expect(Set(batches.dropFirst().flatMap { $0 }) == Set(Self.names.dropFirst()))

        // On the hosts: the master follows the upstream and allows the VPC; every client follows the master.
        let conf = try await flotilla(["lab", "ssh", "node01", "--", "cat", "/etc/chrony/chrony.conf"])
        #expect(conf.text.contains("allow 10.88.0.0/24"), "\(conf.text)")
        let m = try await state("node01")
        #expect(m["tracking"].split(separator: ",").dropFirst().first == "169.254.169.123", "\(m["tracking"])")
        for host in Self.names.dropFirst() {
            let s = try await state(host)
            #expect(s["firstsource"] == "server 10.88.0.11 iburst", "\(host): \(s["firstsource"])")
            let tracking = s["tracking"].split(separator: ",").map(String.init)
            #expect(tracking.count >= 14 && tracking[1] == "10.88.0.11" && tracking[13] == "Normal", "\(host): \(s["tracking"])")
            #expect(s["active"] == "active" && !s.installed("ntp") && !s.installed("ntpsec"), "\(host)")
        }
        try await labDown()
    }
}
