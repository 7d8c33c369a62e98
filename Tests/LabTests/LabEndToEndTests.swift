import Testing
import FlotillaTesting
import Lab
import SSH
import FlotillaCore
import Inventory
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The lab end to end, on real containers (CI runs these as root). One lab for the whole suite; the tests run
/// in order and the last one tears it down and checks that nothing is left.
@Suite(.serialized, .labExclusive) struct LabEndToEndTests {
    @Test func upStartsEveryHostFromTheCachedImage() async throws {
        let record = try await LabFixture.shared.up()
        #expect(record.hosts.count == LabFixture.hostCount)
        #expect(record.phase == .ready)
        let report = try #require(await LabFixture.shared.upReport)
        // Speed is measured, not asserted: `lab up` prints it, and docs/lab.md records the figures.
        #expect(report.hostsSeconds > 0)
        #expect(Set(record.hosts.map(\.address)).count == record.hosts.count)
        #expect(record.hosts.map(\.state) == MixSpec.standard.assign(hosts: LabFixture.hostCount))
    }

    @Test func everyHostAnswersSSHWithStrictHostKeysAndItsOwnName() async throws {
        let record = try await LabFixture.shared.up()
        try await withThrowingTaskGroup(of: (String, String).self) { group in
            for host in record.hosts {
                group.addTask { (host.name, try await OnHost.output(host, "hostname")) }
            }
            for try await (name, hostname) in group { #expect(hostname == name) }
        }
        // Every host has its own host keys: no key appears under two addresses.
        let knownHosts = try String(contentsOfFile: LabFixture.paths.knownHostsFile, encoding: .utf8)
        var owners: [String: Set<String>] = [:]
        for line in knownHosts.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 3, f[0].hasPrefix("10.88.") else { continue }
            owners[String(f[2]), default: []].insert(String(f[0]))
        }
        #expect(!owners.isEmpty)
        #expect(owners.values.allSatisfy { $0.count == 1 })
        #expect(Set(owners.values.flatMap { $0 }).count == record.hosts.count)
    }

    /// Flotilla's own SSH module (libssh2), creating its sockets inside the lab's VPC namespace, with host keys
    /// checked strictly against the lab's known_hosts only.
    static func transport() -> SSHTransport {
        var options = SSHTransport.Options()
        options.networkNamespace = LabNetwork.vpcNamespace
        options.hostKeyPolicy = .strict
        options.userKnownHosts = false
        options.useAgent = false
        options.defaultIdentities = false
        return SSHTransport(options: options)
    }

    static func target(_ host: HostRecord, user: String = "root", knownHosts: String = LabFixture.paths.knownHostsFile) -> ConnectionTarget {
        ConnectionTarget(
            name: host.name, address: host.address, user: user, identityFiles: [LabFixture.paths.privateKey],
            identitiesOnly: true, knownHostsFiles: [knownHosts], hostKeyPolicy: .strict)
    }

    /// Connects, retrying authentication failures until `limit` has passed; other errors fail at once.
    static func connectRetrying(_ transport: SSHTransport, _ target: ConnectionTarget, for limit: Duration) async throws -> any Connection {
        let deadline = ContinuousClock.now + limit
        while true {
            do {
                return try await transport.connect(target)
            } catch let error as SSHError {
                guard case .authentication = error, ContinuousClock.now < deadline else { throw error }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    @Test func everyHostAnswersOverFlotillasOwnSSHModuleWithStrictHostKeys() async throws {
        let record = try await LabFixture.shared.up()
        let transport = Self.transport()
        try await withThrowingTaskGroup(of: (String, String, String).self) { group in
            for host in record.hosts {
                group.addTask {
                    let connection = try await transport.connect(Self.target(host))
                    let hostname = try await connection.run(.argv(["hostname"]))
                    await connection.close()
                    // The become path: admin with passwordless sudo. Right after `up` a host may still refuse
                    // non-root logins for a moment (seen in CI on one host while its boot finished), so the
                    // admin login is retried for a bounded time; root's login above is not.
                    let admin = try await Self.connectRetrying(transport, Self.target(host, user: "admin"), for: .seconds(30))
                    let id = try await admin.run(RemoteCommand(.argv(["id", "-u"]), become: Become()))
                    await admin.close()
                    return (host.name, hostname.stdoutText, id.stdoutText)
                }
            }
            for try await (name, hostname, id) in group {
                #expect(hostname.trimmingCharacters(in: .whitespacesAndNewlines) == name)
                #expect(id.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(name): sudo as admin")
            }
        }
    }

    /// A known_hosts file (in a temporary path) that lists `other`'s keys under `host`'s address.
    static func forgedKnownHosts(vouchingFor host: HostRecord, withKeysOf other: HostRecord) throws -> String {
        let knownHosts = try String(contentsOfFile: LabFixture.paths.knownHostsFile, encoding: .utf8)
        let forged = knownHosts.split(separator: "\n")
            .filter { $0.hasPrefix(other.address + " ") }
            .map { host.address + $0.dropFirst(other.address.count) }
            .joined(separator: "\n") + "\n"
        let file = NSTemporaryDirectory() + "flotilla-forged-\(getpid())-\(UUID().uuidString)"
        try forged.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func flotillasSSHModuleRefusesKeysTheLabDidNotRecord() async throws {
        let record = try await LabFixture.shared.up()
        let host = record.hosts[0]
        let other = record.hosts[1]
        // Host 0's address vouched for with host 1's keys: a changed key.
        let forgedFile = try Self.forgedKnownHosts(vouchingFor: host, withKeysOf: other)
        defer { unlink(forgedFile) }
        do {
            _ = try await Self.transport().connect(Self.target(host, knownHosts: forgedFile))
            Issue.record("\(host.name): connected although known_hosts holds another host's keys")
        } catch let error as SSHError {
            guard case .changedHostKey = error else { Issue.record("unexpected \(error)"); return }
        }
        // An empty known_hosts: unknown under strict.
        let emptyFile = NSTemporaryDirectory() + "flotilla-empty-\(getpid())"
        try "".write(toFile: emptyFile, atomically: true, encoding: .utf8)
        defer { unlink(emptyFile) }
        do {
            _ = try await Self.transport().connect(Self.target(host, knownHosts: emptyFile))
            Issue.record("\(host.name): connected with an empty known_hosts under strict")
        } catch let error as SSHError {
            guard case .unknownHostKey = error else { Issue.record("unexpected \(error)"); return }
        }
    }

    @Test func aWrongHostKeyIsRefusedUnderStrictChecking() async throws {
        let record = try await LabFixture.shared.up()
        let host = record.hosts[0]
        let other = record.hosts[1]
        // A known_hosts that vouches for host 0's address with host 1's keys: ssh must refuse.
        let file = try Self.forgedKnownHosts(vouchingFor: host, withKeysOf: other)
        defer { unlink(file) }
        let r = try await LocalCommand.capture([
            "ip", "netns", "exec", LabNetwork.vpcNamespace, "ssh", "-F", "/dev/null", "-i", LabFixture.paths.privateKey,
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=\(file)",
            "-o", "ConnectTimeout=5", "root@\(host.address)", "true",
        ])
        #expect(!r.succeeded)
        #expect(r.stderr.contains("HOST IDENTIFICATION HAS CHANGED") || r.stderr.contains("Host key verification failed"))
    }

    @Test func adminHasPasswordlessSudoAndOperatorNeedsItsPassword() async throws {
        let record = try await LabFixture.shared.up()
        let host = record.hosts[1]
        #expect(try await OnHost.output(host, "sudo -n id -u", user: "admin") == "0")
        let noPassword = try await OnHost.run(host, "sudo -n true", user: "operator")
        #expect(!noPassword.succeeded)
        #expect(noPassword.stderr.contains("password is required"))
        let password = try String(contentsOfFile: LabFixture.paths.operatorPasswordFile, encoding: .utf8)
        let withPassword = try await OnHost.run(host, "sudo -S -p '' id -u", user: "operator", input: password)
        #expect(withPassword.succeeded)
        #expect(withPassword.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test func eachStartingStateIsWhatItClaimsOnTheHost() async throws {
        let record = try await LabFixture.shared.up()
        try await Self.checkStartingStates(record.hosts)
    }

    /// `flotilla plan` on the mixed fleet: the right changes per starting state, and nothing changed on any
    /// host (package states, unit file states and every file under /etc and dpkg's database, checked with the
    /// system ssh client before and after).
    @Test func planShowsTheRightChangesPerHostAndChangesNothing() async throws {
        let record = try await LabFixture.shared.up()
        let snapshot = """
            dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\n' | sort | sha256sum
            systemctl list-unit-files --no-legend --no-pager | sort | sha256sum
            find /etc /var/lib/dpkg /var/lib/apt -xdev -printf '%p %s %m %T@\n' 2>/dev/null | sort | sha256sum
            """
        var before: [String: String] = [:]
        for host in record.hosts { before[host.name] = try await OnHost.output(host, snapshot) }

        let result = try await FlotillaBinary.run([
            "plan", "--netns", LabNetwork.vpcNamespace, "-i", LabFixture.paths.inventoryFile,
            Self.packageRoot + "/Playbooks/chrony.yml", "--json", "--detailed-exitcode",
        ])
        #expect(result.status == 2, "changes are planned: \(result.text.suffix(2000))")
        let json = String(result.text[result.text.firstIndex(of: "{")!...])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let plans = try #require(document["plans"] as? [[String: Any]])
        #expect((document["failures"] as? [Any])?.isEmpty == true)
        for host in record.hosts {
            let plan = try #require(plans.first { $0["host"] as? String == host.name }, "no plan for \(host.name)")
            let changes = (plan["changes"] as? [[String: Any]] ?? []).map { ($0["action"] as! String, $0["resource"] as! String) }
            func has(_ action: String, _ resource: String) -> Bool { changes.contains { $0 == (action, resource) } }
            let dropIn = "file[/etc/systemd/system/chrony.service.d/flotilla-no-cap-sys-time.conf]"
            // Every host is a container without CAP_SYS_TIME: the drop-in and -x are always planned.
            #expect(has("create", dropIn), "\(host.name): \(changes)")
            switch host.state {
            case .ntp:
                #expect(has("delete", "package[ntp]") && has("delete", "package[ntpsec]"), "\(host.name): \(changes)")
                #expect(has("create", "package[chrony]"), "\(host.name): \(changes)")
            case .timesyncd:
                // apt's transaction that installs chrony removes timesyncd; its mask comes after chrony runs.
                #expect(has("create", "unit[systemd-timesyncd.service]"), "\(host.name): \(changes)")
                #expect(has("create", "package[chrony]"), "\(host.name): \(changes)")
            case .chronyMasked:
                #expect(!has("create", "package[chrony]"), "\(host.name): \(changes)")
                #expect(changes.contains { $0.1 == "unit[chrony.service]" }, "\(host.name): \(changes)")
            case .chronyDead:
                #expect(!has("create", "package[chrony]"), "\(host.name): \(changes)")
                #expect(changes.contains { $0.1 == "unit[chrony.service]" }, "\(host.name): \(changes)")
            }
        }
        for host in record.hosts {
            let after = try await OnHost.output(host, snapshot)
            #expect(after == before[host.name], "\(host.name) changed during plan")
        }
    }

    /// The repository root, for the shipped playbooks.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Checks on each host that its packages and units are in its starting state, and that it lacks CAP_SYS_TIME.
    static func checkStartingStates(_ hosts: [HostRecord]) async throws {
        let script = """
            for p in ntpsec chrony systemd-timesyncd; do
              printf '%s=%s\\n' "$p" "$(dpkg-query -W -f='${db:Status-Status}' $p 2>/dev/null || echo absent)"
            done
            for u in ntpsec chrony systemd-timesyncd; do
              printf '%s.enabled=%s\\n' "$u" "$(systemctl is-enabled $u 2>/dev/null || true)"
              printf '%s.active=%s\\n' "$u" "$(systemctl is-active $u 2>/dev/null || true)"
              printf '%s.%s\\n' "$u" "$(systemctl show -p ConditionResult $u)"
            done
            """
        // One ssh session per host, all hosts at once.
        let outputs = try await withThrowingTaskGroup(of: (HostRecord, String).self) { group in
            for host in hosts {
                group.addTask { (host, try await OnHost.output(host, script + "\necho \"capbnd=$(grep CapBnd /proc/1/status | cut -f2)\"")) }
            }
            var out: [(HostRecord, String)] = []
            for try await item in group { out.append(item) }
            return out.sorted { $0.0.index < $1.0.index }
        }
        for (host, text) in outputs {
            var facts: [String: String] = [:]
            for line in text.split(separator: "\n") {
                let kv = line.split(separator: "=", maxSplits: 1).map(String.init)
                facts[kv[0]] = kv.count > 1 ? kv[1] : ""
            }
            let installed = { (p: String) in facts[p] == "installed" }
            switch host.state {
            case .ntp:
                #expect(installed("ntpsec"), "\(host.name): \(facts)")
                #expect(!installed("chrony") && !installed("systemd-timesyncd"), "\(host.name): \(facts)")
                #expect(facts["ntpsec.enabled"] == "enabled", "\(host.name): \(facts)")
            case .timesyncd:
                #expect(installed("systemd-timesyncd") && !installed("ntpsec") && !installed("chrony"), "\(host.name): \(facts)")
                #expect(facts["systemd-timesyncd.enabled"] == "enabled", "\(host.name): \(facts)")
            case .chronyMasked:
                #expect(installed("chrony") && !installed("ntpsec"), "\(host.name): \(facts)")
                #expect(facts["chrony.enabled"] == "masked", "\(host.name): \(facts)")
                #expect(facts["chrony.active"] == "inactive", "\(host.name): \(facts)")
            case .chronyDead:
                #expect(installed("chrony") && !installed("ntpsec"), "\(host.name): \(facts)")
                #expect(facts["chrony.enabled"] == "enabled", "\(host.name): \(facts)")
                #expect(facts["chrony.active"] == "inactive", "\(host.name): \(facts)")
                // Dead because its start condition (CAP_SYS_TIME) failed, not because it is broken.
                #expect(facts["chrony.ConditionResult"] == "no", "\(host.name): \(facts)")
            }
            // Never CAP_SYS_TIME (capability 25) in any container.
            let capBnd = facts["capbnd"] ?? ""
            let mask = try #require(UInt64(capBnd, radix: 16))
            #expect(mask & (1 << 25) == 0, "\(host.name) has CAP_SYS_TIME in \(capBnd)")
        }
    }

    @Test func theUpstreamAnswersNTPFromEveryHost() async throws {
        let record = try await LabFixture.shared.up()
        for host in record.hosts {
            let sample = try await NTPClient.query(server: LabNetwork.upstream, netns: host.netns, timeout: 2)
            #expect(abs(sample.offset) < 0.5, "\(host.name): offset \(sample.offset)")
            #expect(sample.reply.stratum == 3, "\(host.name): the lab time server runs `local stratum 3`")
        }
        // And a real time daemon on a host syncs against it (chronyd -Q measures without touching the clock).
        let chronyHost = try #require(record.hosts.first { $0.state == .chronyDead })
        let out = try await OnHost.output(
            chronyHost, "chronyd -Q -t 10 'server \(LabNetwork.upstream) iburst maxsamples 1' 2>&1")
        #expect(out.contains("System clock wrong by"), "\(out)")
    }

    @Test func inventoryHasStateGroupsRolesZonesAndVars() async throws {
        let record = try await LabFixture.shared.up()
        let yaml = try String(contentsOfFile: LabFixture.paths.inventoryFile, encoding: .utf8)
        for needle in [
            "ntp_hosts:", "timesyncd_hosts:", "chrony_masked_hosts:", "chrony_dead_hosts:", "timemaster:", "clients:",
            "zone_a:", "zone_b:", "ansible_user: root", "flotilla_host_key_policy: strict",
            "flotilla_known_hosts_file: \(LabFixture.paths.knownHostsFile)", "vpc_subnet: 10.88.0.0/24",
            "time_upstream: 169.254.169.123", "timemaster_address: \(record.hosts[0].address)",
        ] {
            #expect(yaml.contains(needle), "inventory lacks \(needle)")
        }
        for host in record.hosts {
            #expect(yaml.contains("ansible_host: \(host.address)\n              lab_state: \(host.state.rawValue)"))
        }
    }

    @Test func theInventoryLoadsAndItsTargetsConnectOverFlotillasSSH() async throws {
        let record = try await LabFixture.shared.up()
        let inventory = try Inventory.load(path: LabFixture.paths.inventoryFile)
        #expect(inventory.warnings.isEmpty, "\(inventory.warnings)")
        for state in StartingState.allCases {
            #expect(Set(inventory.hosts(inGroup: state.groupName)) == Set(record.hosts.filter { $0.state == state }.map(\.name)))
        }
        #expect(inventory.hosts(inGroup: "timemaster") == [record.hosts[0].name])
        #expect(Set(inventory.hosts(inGroup: "clients")) == Set(record.hosts.dropFirst().map(\.name)))
        #expect(Set(inventory.hosts(inGroup: "zone_a")).isDisjoint(with: inventory.hosts(inGroup: "zone_b")))
        #expect(Set(inventory.hosts(inGroup: "zone_a") + inventory.hosts(inGroup: "zone_b")) == Set(record.hosts.map(\.name)))
        let transport = Self.transport()
        for host in record.hosts {
            let target = try inventory.connectionVars(for: host.name).connectionTarget()
            #expect(target.address == host.address)
            #expect(target.user == "root")
            #expect(target.hostKeyPolicy == .strict)
            #expect(target.knownHostsFiles == [LabFixture.paths.knownHostsFile])
            #expect(target.identityFiles == [LabFixture.paths.privateKey])
            let connection = try await transport.connect(target)
            let state = try await connection.run(.argv(["hostname"]))
            await connection.close()
            #expect(state.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == host.name)
        }
    }

    @Test func skewFaultMakesTheHostsUpstreamAnswerOffByThatMuch() async throws {
        let record = try await LabFixture.shared.up()
        let host = try #require(record.hosts.first { $0.state == .chronyDead })
        let neighbour = try #require(record.hosts.first { $0.name != host.name })
        try await LabFixture.lab.fault(host.name, .skew(3.25))
        let skewed = try await NTPClient.query(server: LabNetwork.upstream, netns: host.netns)
        #expect(abs(skewed.offset - 3.25) < 0.1, "offset \(skewed.offset)")
        #expect(skewed.reply.stratum == 2)
        // chronyd on the host sees the same.
        let out = try await OnHost.output(host, "chronyd -Q -t 10 'server \(LabNetwork.upstream) iburst maxsamples 1' 2>&1")
        let wrong = out.split(separator: "\n").first { $0.contains("System clock wrong by") }
        let value = try #require(wrong.flatMap { Double($0.split(separator: " ").first { Double($0) != nil } ?? "") })
        #expect(abs(value - 3.25) < 0.1, "\(out)")
        // Other hosts keep the true upstream.
        let other = try await NTPClient.query(server: LabNetwork.upstream, netns: neighbour.netns)
        #expect(abs(other.offset) < 0.1)
        #expect(try LabFixture.lab.status()?.hosts.first { $0.record.name == host.name }?.faults.contains("skew 3.25s") == true)

        try await LabFixture.lab.fault(host.name, .skew(0))
        let healed = try await NTPClient.query(server: LabNetwork.upstream, netns: host.netns)
        #expect(abs(healed.offset) < 0.1)
        #expect(healed.reply.stratum == 3)
    }

    @Test func partitionCutsTheLinkAndHealRestoresIt() async throws {
        let record = try await LabFixture.shared.up()
        let host = record.hosts[2]
        try await LabFixture.lab.fault(host.name, .partition)
        let cut = try await OnHost.run(host, "true")
        #expect(!cut.succeeded)
        await #expect(throws: LabError.self) {
            _ = try await NTPClient.query(server: LabNetwork.upstream, netns: host.netns, timeout: 1)
        }
        try await LabFixture.lab.fault(host.name, .heal)
        #expect(try await OnHost.output(host, "hostname") == host.name)
    }

    @Test func downStopsTheContainerAndUpStartsItAgain() async throws {
        let record = try await LabFixture.shared.up()
        let host = record.hosts[3]
        let before = try #require(try LabFixture.lab.record()?.host(host.name).container)
        try await LabFixture.lab.fault(host.name, .down)
        #expect(!before.isAlive)
        let stopped = try await OnHost.run(host, "true")
        #expect(!stopped.succeeded)
        #expect(try LabFixture.lab.status()?.hosts.first { $0.record.name == host.name }?.running == false)
        try await LabFixture.lab.fault(host.name, .up)
        #expect(try await OnHost.output(host, "hostname") == host.name)
    }

    @Test func dpkgLockMakesAptFailUntilItIsReleased() async throws {
        let record = try await LabFixture.shared.up()
        let host = try #require(record.hosts.first { $0.state == .timesyncd })
        try await LabFixture.lab.fault(host.name, .dpkgLock(seconds: 6))
        let start = Date()
        let held = try await OnHost.run(
            host, "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-download --reinstall systemd-timesyncd")
        #expect(!held.succeeded)
        #expect(held.stderr.contains("Could not get lock /var/lib/dpkg/lock-frontend"), "\(held.stderr)")
        // Released after its time, even though nothing asks it to.
        while DpkgLock.isHeld(root: host.root) && Date().timeIntervalSince(start) < 15 {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(!DpkgLock.isHeld(root: host.root))
        let free = try await OnHost.run(
            host, "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-download --reinstall systemd-timesyncd")
        #expect(free.succeeded, "\(free.stderr)")
    }

    @Test func rebootKeepsTheDiskButStartsAFreshSystem() async throws {
        let record = try await LabFixture.shared.up()
        let host = record.hosts[4]
        _ = try await OnHost.output(host, "echo kept > /root/flotilla-marker && echo gone > /run/flotilla-marker")
        let initStart = "awk '{print $22}' /proc/1/stat"
        let initBefore = try await OnHost.output(host, initStart)
        try await LabFixture.lab.reboot(host.name)
        #expect(try await OnHost.output(host, "cat /root/flotilla-marker") == "kept")
        #expect(try await OnHost.output(host, "test -e /run/flotilla-marker && echo present || echo absent") == "absent")
        // A new init: its start time (clock ticks since boot) is later.
        let initAfter = try await OnHost.output(host, initStart)
        #expect((UInt64(initAfter) ?? 0) > (UInt64(initBefore) ?? UInt64.max))
    }

    @Test func cliStatusSSHAndExecWorkAgainstTheLab() async throws {
        let record = try await LabFixture.shared.up()
        let exe = LabFixture.flotillaExecutable
        let status = try await LocalCommand.run([exe, "lab", "status"])
        #expect(status.contains("\(record.hosts.count) hosts"))
        for host in record.hosts { #expect(status.contains("\(host.name)  \(host.address)  \(host.state.rawValue)  running")) }
        let ssh = try await LocalCommand.run([exe, "lab", "ssh", record.hosts[0].name, "--", "hostname"])
        #expect(ssh.trimmingCharacters(in: .whitespacesAndNewlines) == record.hosts[0].name)
        let admin = try await LocalCommand.run([exe, "lab", "ssh", "--user", "admin", record.hosts[1].name, "--", "sudo", "-n", "id", "-u"])
        #expect(admin.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        // exec runs inside the lab network with the inventory at hand.
        let exec = try await LocalCommand.run([
            exe, "lab", "exec", "--", "sh", "-c", "echo $FLOTILLA_LAB_INVENTORY; ip -4 -o addr show dev br0",
        ])
        #expect(exec.contains(LabFixture.paths.inventoryFile))
        #expect(exec.contains("10.88.0.1/24"))
        // `flotilla` inside exec is this executable, running in the lab network.
        let nested = try await LocalCommand.run([exe, "lab", "exec", "--", "flotilla", "lab", "ssh", record.hosts[2].name, "--", "hostname"])
        #expect(nested.trimmingCharacters(in: .whitespacesAndNewlines) == record.hosts[2].name)
    }

    @Test func rebuildingTheImageIsRefusedWhileTheLabRunsOnIt() async throws {
        let record = try await LabFixture.shared.up()
        await #expect(throws: LabError.imageInUse(distro: record.distro.rawValue)) {
            _ = try await LabFixture.lab.image(record.distro, rebuild: true, progress: { _ in })
        }
        // Without --rebuild it is just the cached image.
        let cached = try await LabFixture.lab.image(record.distro, rebuild: false, progress: { _ in })
        #expect(cached.builtSeconds == nil)
        #expect(cached.image.isComplete)
    }

    @Test func upAgainIsANoOpForTheSameLabAndAnErrorForAnother() async throws {
        _ = try await LabFixture.shared.up()
        let same = try await LabFixture.lab.up(LabUpOptions(hosts: LabFixture.hostCount), progress: { _ in })
        #expect(same.alreadyUp)
        await #expect(throws: LabError.alreadyUp(hosts: LabFixture.hostCount)) {
            _ = try await LabFixture.lab.up(LabUpOptions(hosts: 3), progress: { _ in })
        }
    }

    @Test func downLeavesNoNamespacesMountsOrProcessesBehind() async throws {
        let record = try await LabFixture.shared.up()
        var processes = record.processes + record.hosts.compactMap(\.container)
        if let current = try LabFixture.lab.record() {
            processes += current.processes + current.hosts.compactMap(\.container)
            processes += current.hosts.flatMap { [$0.skewResponder, $0.dpkgLock].compactMap { $0 } }
        }
        #expect(processes.contains { $0.isAlive })
        let report = try await LabFixture.lab.down()
        await LabFixture.shared.forget()
        #expect(report.namespacesRemoved == LabFixture.hostCount + 2)
        #expect(report.lazyUnmounts.isEmpty)

        let netns = try await LocalCommand.run(["ip", "netns", "list"])
        #expect(!netns.contains("flotilla-"), "\(netns)")
        let mounts = try String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)
        #expect(!mounts.contains(LabFixture.paths.labDir), "\(mounts)")
        for p in processes { #expect(!p.isAlive, "\(p.role) (pid \(p.pid)) survived") }
        #expect(!FileManager.default.fileExists(atPath: LabFixture.paths.labDir))
        #expect(try LabFixture.lab.status() == nil)
        // The root namespace got nothing: no lab addresses or routes.
        let addresses = try await LocalCommand.run(["ip", "-4", "addr"])
        #expect(!addresses.contains("10.88.0.") && !addresses.contains("169.254.169.123"))
        // And again: nothing to do.
        let again = try await LabFixture.lab.down()
        #expect(again.nothingToDo)
    }

    @Test func downCleansUpAfterACrashedUp() async throws {
        // What a crash halfway through `up` leaves: a namespace with a process in it and a mounted overlay
        // directory, with an intent log that lists only what was about to be created.
        let paths = LabFixture.paths
        var record = LabRecord(distro: .bookworm, subnet: LabNetwork.subnet, createdAt: Date().timeIntervalSince1970)
        record.namespaces = [LabNetwork.vpcNamespace, "flotilla-node01"]
        let root = paths.hostDir("node01") + "/root"
        record.mounts = [root]
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        try encoder.encode(record).write(to: URL(fileURLWithPath: paths.stateFile))
        try await LocalCommand.run(["ip", "netns", "add", "flotilla-node01"])
        try await LocalCommand.run(["mount", "-t", "tmpfs", "flotilla-test", root])
        let sleeper = try await LocalCommand.run([
            "sh", "-c", "ip netns exec flotilla-node01 setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $!",
        ]).trimmingCharacters(in: .whitespacesAndNewlines)
        try await Task.sleep(for: .milliseconds(300))
        let sleeperPID = try #require(Int32(sleeper))

        let report = try await LabFixture.lab.down()
        #expect(report.namespacesRemoved == 1)
        #expect(report.mountsRemoved == 1)
        #expect(report.processesKilled >= 1)
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/flotilla-node01"))
        #expect(!(try String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)).contains(paths.labDir))
        #expect(kill(sleeperPID, 0) != 0 || (try? String(contentsOfFile: "/proc/\(sleeperPID)/stat", encoding: .utf8))?.contains(") Z") == true)
        #expect(!FileManager.default.fileExists(atPath: paths.labDir))
    }

    @Test func trixieHostsComeUpInTheirStartingStates() async throws {
        // Runs after the bookworm lab is down: its own small lab on the trixie image (built here if not cached).
        #expect(try LabFixture.lab.record() == nil)
        let report = try await LabFixture.lab.up(LabUpOptions(hosts: 4, distro: .trixie), progress: { _ in })
        do {
            for host in report.record.hosts {
                #expect(try await OnHost.output(host, ". /etc/os-release; echo $VERSION_CODENAME") == "trixie")
            }
            try await Self.checkStartingStates(report.record.hosts)
            let sample = try await NTPClient.query(server: LabNetwork.upstream, netns: report.record.hosts[0].netns)
            #expect(sample.reply.stratum == 3)
        } catch {
            _ = try? await LabFixture.lab.down()
            throw error
        }
        let down = try await LabFixture.lab.down()
        #expect(down.namespacesRemoved == 6)
        #expect(LabNetwork.existingNamespaces().isEmpty)
    }
}
