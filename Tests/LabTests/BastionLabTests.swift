import Foundation
import FlotillaTesting
import Lab
import Testing

/// The inventory `lab up --bastion` writes, as text (no lab needed).
@Suite struct BastionInventoryTests {
    /// Host records as a state file holds them (decoded: the type has no public initializer).
    static func hosts(_ n: Int) -> [HostRecord] {
        let items = (1...n).map { i in
            let name = LabNetwork.hostName(i)
            return """
                {"name": "\(name)", "index": \(i), "address": "\(LabNetwork.hostAddress(i))", "state": "ntp",
                 "netns": "\(LabNetwork.hostNamespace(name))", "bridgePort": "\(LabNetwork.bridgePort(name))",
                 "root": "/nonexistent/\(name)", "lowerDirs": [], "stopped": false, "partitioned": false}
                """
        }
        return try! JSONDecoder().decode([HostRecord].self, from: Data("[\(items.joined(separator: ","))]".utf8))
    }

    @Test func hostsBehindTheBastionJumpThroughItAndTheBastionDoesNot() {
        let paths = LabPaths(root: "/srv/lab-test")
        let hosts = Self.hosts(3)
        let text = LabInventory.yaml(hosts: hosts, paths: paths, bastion: hosts[0])
        #expect(text.contains("""
                bastion:
                  hosts:
                    node01:
                behind_bastion:
                  vars:
                    flotilla_jump: root@10.88.0.11
                  hosts:
                    node02:
                    node03:

            """))
        // One jump setting, on the group: the bastion itself is reached directly.
        #expect(text.components(separatedBy: "flotilla_jump: ").count == 2)
        // Nothing keeps the hosts from the agent: the lab's agent, which holds the lab key, logs them in through
        // the jump as ssh -J would.
        #expect(!text.contains("IdentitiesOnly"))
        #expect(text.contains("SSH_AUTH_SOCK to the lab's agent (/srv/lab-test/lab/ssh-agent.sock)"))
    }

    @Test func theFlatTopologyHasNoJump() {
        let text = LabInventory.yaml(hosts: Self.hosts(3), paths: LabPaths(root: "/srv/lab-test"))
        #expect(!text.contains("flotilla_jump"))
        #expect(!text.contains("behind_bastion"))
    }

    @Test func theRecordSaysWhoIsBehindTheBastionAndFromWhereEachHostIsReached() {
        var record = LabRecord(distro: .bookworm, subnet: LabNetwork.subnet, createdAt: 0)
        record.hosts = Self.hosts(3)
        #expect(record.hosts.allSatisfy { record.reachingNamespace(for: $0) == LabNetwork.vpcNamespace })
        record.bastion = "node01"
        #expect(!record.isBehindBastion(record.hosts[0]))
        #expect(record.isBehindBastion(record.hosts[1]) && record.isBehindBastion(record.hosts[2]))
        #expect(record.reachingNamespace(for: record.hosts[0]) == LabNetwork.vpcNamespace)
        #expect(record.reachingNamespace(for: record.hosts[2]) == "flotilla-node01")
    }

    @Test func aRecordWrittenBeforeTheBastionTopologyStillDecodesAsFlat() throws {
        var record = LabRecord(distro: .bookworm, subnet: LabNetwork.subnet, createdAt: 0)
        record.hosts = Self.hosts(2)
        var json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(record)) as? [String: Any])
        json.removeValue(forKey: "bastion")
        json.removeValue(forKey: "agent")
        let old = try JSONDecoder().decode(LabRecord.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.bastion == nil && old.agent == nil)
    }
}

/// `lab up --bastion` on real hosts: 3 hosts, node01 the single entry point. One lab for the suite, brought up
/// by the first test and removed by the last.
@Suite(.serialized, .labExclusive) struct BastionLabTests {
    static let lab = LabFixture.lab
    static let paths = LabFixture.paths
    static let exe = LabFixture.flotillaExecutable

    /// The logins to the bastion's sshd so far ("Accepted publickey ... port P" in its journal), by client port,
    /// and the port of the reading session itself (read over `lab ssh`, which is itself a login).
    static func bastionLogins() async throws -> (ports: Set<String>, own: String) {
        let out = try await LocalCommand.run([
            exe, "lab", "ssh", "node01", "--",
            "echo own $SSH_CONNECTION; journalctl -q -o cat -u ssh.service --no-pager",
        ])
        var ports: Set<String> = []
        var own = ""
        for line in out.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            if words.first == "own", words.count >= 3 { own = words[2] }
            if line.hasPrefix("Accepted publickey for "), let i = words.firstIndex(of: "port"), i + 1 < words.count {
                ports.insert(words[i + 1])
            }
        }
        #expect(!own.isEmpty, "\(out)")
        return (ports, own)
    }

    /// Logins between two reads, leaving out both reads' own.
    static func logins(from before: (ports: Set<String>, own: String), to after: (ports: Set<String>, own: String)) -> Int {
        after.ports.subtracting(before.ports).subtracting([before.own, after.own]).count
    }

    /// The suite's lab: a 3-host bastion lab, brought up (after removing any other lab) when none is up.
    static func up() async throws -> LabRecord {
        if let record = try lab.record(), record.bastion == "node01", record.hosts.count == 3, record.phase == .ready {
            return record
        }
        if try lab.record() != nil || !LabNetwork.existingNamespaces().isEmpty { _ = try await lab.down() }
        return try await lab.up(LabUpOptions(hosts: 3, bastion: true), progress: { _ in }).record
    }

    @Test func upMakesNode01TheOnlyEntryPoint() async throws {
        if try Self.lab.record() != nil || !LabNetwork.existingNamespaces().isEmpty { _ = try await Self.lab.down() }
        let report = try await Self.lab.up(LabUpOptions(hosts: 3, bastion: true), progress: { _ in })
        #expect(report.record.bastion == "node01")
        #expect(report.record.agent?.isAlive == true)
        // The controller's namespace has a route to the bastion only.
        let routes = try await LocalCommand.run(["ip", "-n", LabNetwork.vpcNamespace, "route"])
        #expect(routes.contains("unreachable 10.88.0.12"), "\(routes)")
        #expect(routes.contains("unreachable 10.88.0.13"), "\(routes)")
        #expect(!routes.contains("10.88.0.11"), "\(routes)")
        let status = try await LocalCommand.run([Self.exe, "lab", "status"])
        #expect(status.contains("topology: bastion node01 10.88.0.11"), "\(status)")
        #expect(status.contains("ssh-agent running"), "\(status)")
        // A second `up` keeps it; without --bastion it refuses rather than change the topology silently.
        let again = try await Self.lab.up(LabUpOptions(hosts: 3, bastion: true), progress: { _ in })
        #expect(again.alreadyUp)
        do {
            _ = try await Self.lab.up(LabUpOptions(hosts: 3), progress: { _ in })
            Issue.record("`lab up` without --bastion changed or kept a bastion lab silently")
        } catch {
            #expect("\(error)".contains("already up with topology bastion node01"), "\(error)")
        }
        #expect(try Self.lab.record()?.bastion == "node01")
    }

    @Test func hostsBehindTheBastionCannotBeReachedDirectly() async throws {
        let record = try await Self.up()
        let node02 = try record.host("node02")
        // The system ssh client, from the controller's namespace.
        let direct = try await LocalCommand.capture([
            "ip", "netns", "exec", LabNetwork.vpcNamespace, "ssh", "-F", "/dev/null", "-i", Self.paths.privateKey,
            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=\(Self.paths.knownHostsFile)", "-o", "ConnectTimeout=5",
            "root@\(node02.address)", "hostname",
        ])
        #expect(!direct.succeeded)
        #expect(direct.stderr.contains("No route to host"), "\(direct.stderr)")
        // Flotilla with the lab inventory minus its jump: node02 and node03 unreachable (exit 4), node01 fine.
        let inventory = try String(contentsOfFile: Self.paths.inventoryFile, encoding: .utf8)
        let withoutJump = inventory.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("flotilla_jump") }.joined(separator: "\n")
        #expect(withoutJump != inventory)
        let file = NSTemporaryDirectory() + "flotilla-nojump-\(getpid())-\(UUID().uuidString).yml"
        try withoutJump.write(toFile: file, atomically: true, encoding: .utf8)
        defer { unlink(file) }
        let run = try await FlotillaBinary.run(["lab", "exec", "--", "flotilla", "run", "-i", file, "--", "hostname"])
        #expect(run.status == 4, "\(run.text)")
        let text = run.text
        #expect(text.contains("No route to host"), "\(text)")
        #expect(text.contains("node01"))
    }

    @Test func theLabInventoryReachesEveryHostWithOneLoginToTheBastion() async throws {
        _ = try await Self.up()
        let before = try await Self.bastionLogins()
        // Only the hosts behind the bastion: the bastion sees exactly one login, the jump, for both.
        let behind = try await FlotillaBinary.run([
            "lab", "exec", "--", "flotilla", "run", "-i", Self.paths.inventoryFile, "--limit", "behind_bastion", "--", "hostname",
        ])
        #expect(behind.status == 0, "\(behind.text)")
        for name in ["node02", "node03"] { #expect(behind.text.contains(name), "\(behind.text)") }
        #expect(!behind.text.contains("node01"), "\(behind.text)")
        let afterBehind = try await Self.bastionLogins()
        #expect(Self.logins(from: before, to: afterBehind) == 1, "bastion logins during the run: \(Self.logins(from: before, to: afterBehind))")

        // The whole fleet, unchanged command: node01 as a host (one login) and as the jump (one more).
        let all = try await FlotillaBinary.run(["lab", "exec", "--", "flotilla", "run", "-i", Self.paths.inventoryFile, "--", "hostname"])
        #expect(all.status == 0, "\(all.text)")
        for name in ["node01", "node02", "node03"] { #expect(all.text.contains(name), "\(all.text)") }
        let afterAll = try await Self.bastionLogins()
        #expect(Self.logins(from: afterBehind, to: afterAll) == 2, "bastion logins during the run: \(Self.logins(from: afterBehind, to: afterAll))")
    }

    @Test func planGoesThroughTheBastionToo() async throws {
        _ = try await Self.up()
        let plan = try await FlotillaBinary.run([
            "lab", "exec", "--", "flotilla", "plan", "-i", Self.paths.inventoryFile,
            LabEndToEndTests.packageRoot + "/Playbooks/chrony.yml", "--detailed-exitcode",
        ])
        // 2: changes to make on reachable hosts (fresh hosts need chrony); an unreachable host would not be 2.
        #expect(plan.status == 2, "\(plan.text.suffix(3000))")
        for name in ["node01", "node02", "node03"] { #expect(plan.text.contains(name)) }
    }

    @Test func faultsWorkBehindTheBastion() async throws {
        _ = try await Self.up()
        // `fault up` waits for sshd the way the host is reached: through the bastion's namespace.
        _ = try await Self.lab.fault("node03", .down)
        let down = try await LocalCommand.capture([Self.exe, "lab", "ssh", "node03", "--", "true"])
        #expect(!down.succeeded)
        _ = try await Self.lab.fault("node03", .up)
        let up = try await LocalCommand.run([Self.exe, "lab", "ssh", "node03", "--", "hostname"])
        #expect(up.trimmingCharacters(in: .whitespacesAndNewlines) == "node03")
        // A partition cuts the host off from the bastion too; heal restores it.
        _ = try await Self.lab.fault("node02", .partition)
        let cut = try await LocalCommand.capture([Self.exe, "lab", "ssh", "node02", "--", "true"])
        #expect(!cut.succeeded)
        _ = try await Self.lab.fault("node02", .heal)
        #expect(try await LocalCommand.run([Self.exe, "lab", "ssh", "node02", "--", "hostname"]).contains("node02"))
    }

    @Test func downRemovesTheBastionLab() async throws {
        let record = try await Self.up()
        let agent = try #require(record.agent)
        let report = try await Self.lab.down()
        #expect(report.namespacesRemoved == 5)
        #expect(!agent.isAlive)
        #expect(LabNetwork.existingNamespaces().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: Self.paths.agentSocket))
        #expect(try Self.lab.record() == nil)
    }
}
