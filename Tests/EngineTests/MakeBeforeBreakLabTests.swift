import Engine
import FlotillaCore
import FlotillaTesting
import Foundation
import Testing

/// Issue 16, part 1, on the lab's real hosts: a rollout whose install fails leaves every host of every starting
/// state either exactly as it was (its previous time daemon as before) or running chrony converged, never in
/// between. Each host is checked on the host itself over OpenSSH (`flotilla lab ssh`: dpkg-query, systemctl,
/// checksums of the files the plan touches), not through Flotilla's facts.
///
/// One lab of 12 hosts (the lab cycles ntp, timesyncd, chrony-masked, chrony-dead), three faults, one of each
/// starting state per fault, one apply over all of them at once:
/// - node01-04: dpkg's lock held past `--lock-wait` (the fetch, apt's first call, cannot take it);
/// - node05-08: the package mirror down (`lab fault mirror-down`: the .debs the hosts install from are gone);
/// - node09-12: chrony fails to start (`lab fault fail-start chrony.service`): the failure comes after apt's
///   transaction removed ntp/ntpsec or systemd-timesyncd, so those hosts must be put back by the undo.
/// Then the faults are healed (the lock released) and a second apply converges all twelve.
@Suite(.serialized, .labExclusive)
struct MakeBeforeBreakLabTests {
    static let inventory = "/var/lib/flotilla/lab/inventory.yml"
    static let playbook = Fixtures.root.appendingPathComponent("Playbooks/chrony.yml").path
    static let names = (1...12).map { String(format: "node%02d", $0) }
    static let states = ["ntp", "timesyncd", "chrony-masked", "chrony-dead"]

    let journal = TemporaryJournalPath()
    var env: [String: String] { ["FLOTILLA_DB": journal.path] }

    func flotilla(_ args: [String]) async throws -> LocalProcess.Output {
        try await FlotillaBinary.run(args, environment: env)
    }

    /// What the host says about its time daemons, line by line; everything the plan or its undo can touch.
    static let probe = #"""
    for p in ntp ntpsec chrony systemd-timesyncd; do
      s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | cut -c1-2)
      case "$s" in un|pn|'') s=absent ;; esac
      echo "package $p $s"
    done
    for u in chrony.service ntpsec.service systemd-timesyncd.service; do
      echo "unit $u $(systemctl is-enabled "$u" 2>/dev/null | head -n 1) $(systemctl is-active "$u" 2>/dev/null)"
    done
    for f in /etc/chrony/chrony.conf /etc/default/chrony /etc/systemd/system/chrony.service.d/flotilla-no-cap-sys-time.conf \
             /etc/apt/preferences.d/flotilla-timesync; do
      if [ -e "$f" ]; then echo "file $f $(md5sum < "$f" | cut -c1-32)"; else echo "file $f absent"; fi
    done
    echo "firstsource $(grep -E '^(server|pool) ' /etc/chrony/chrony.conf 2>/dev/null | head -n 1)"
    echo "tracking $(chronyc -n -c tracking 2>/dev/null | cut -d, -f2,14)"
    """#

    struct Snapshot: Equatable, CustomStringConvertible {
        var lines: [String]
        /// The lines about packages, units and files: what "as it was" compares.
        var state: [String] { lines.filter { $0.hasPrefix("package ") || $0.hasPrefix("unit ") || $0.hasPrefix("file ") } }
        func value(_ prefix: String) -> String {
            lines.first { $0.hasPrefix(prefix + " ") }.map { String($0.dropFirst(prefix.count + 1)) } ?? ""
        }
        var description: String { lines.joined(separator: " | ") }

        /// chrony installed, enabled and running, following the lab's upstream, the competing daemons gone,
        /// timesyncd masked or absent, the guard written.
        var isConverged: Bool {
            value("package chrony") == "ii" && value("unit chrony.service") == "enabled active"
                && value("package ntp") != "ii" && value("package ntpsec") != "ii"
                && (value("unit systemd-timesyncd.service").hasPrefix("masked") || value("package systemd-timesyncd") != "ii")
                && value("firstsource") == "server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4"
                && value("tracking") == "169.254.169.123,Normal"
                && value("file /etc/apt/preferences.d/flotilla-timesync") != "absent"
        }
    }

    func snapshot(_ host: String) async throws -> Snapshot {
        let out = try await flotilla(["lab", "ssh", host, "--", "sh", "-c", ShellQuote.quote(Self.probe)])
        try #require(out.status == 0, "\(host): \(out.text)")
        return Snapshot(lines: out.text.split(separator: "\n").map(String.init).filter {
            ["package ", "unit ", "file ", "firstsource ", "tracking "].contains(where: $0.hasPrefix)
        })
    }

    func apply(_ args: [String]) async throws -> (status: Int32, hosts: [String: [String: Any]], text: String) {
        let out = try await flotilla(["lab", "exec", "--", "flotilla", "apply", "-i", Self.inventory, "--json", Self.playbook] + args)
        var hosts: [String: [String: Any]] = [:]
        let recap = ApplyLabTests.recap(ApplyLabTests.jsonLines(out.text))
        for h in (recap?["hosts"] as? [[String: Any]]) ?? [] {
            if let name = h["host"] as? String { hosts[name] = h }
        }
        return (out.status, hosts, out.text)
    }

    @Test func aFailedInstallLeavesEveryStartingStateAsItWasOrConvergedAndTheUndoIsJournaled() async throws {
        let started = ContinuousClock.now
        _ = try await flotilla(["lab", "down"])
        let up = try await flotilla(["lab", "up", "--hosts", "12"])
        try #require(up.status == 0, "lab up: \(up.text)")
        defer { journal.remove() }

        var before: [String: Snapshot] = [:]
        for host in Self.names { before[host] = try await snapshot(host) }
        // The lab's starting states, as the hosts themselves show them.
        #expect(before["node01"]?.value("package ntpsec") == "ii")
        #expect(before["node02"]?.value("unit systemd-timesyncd.service").hasPrefix("enabled") == true)
        #expect(before["node03"]?.value("unit chrony.service").hasPrefix("masked") == true)
        #expect(before["node04"]?.value("unit chrony.service") == "enabled inactive")

        for host in Self.names[0..<4] { #expect(try await flotilla(["lab", "fault", host, "dpkg-lock", "600"]).status == 0) }
        for host in Self.names[4..<8] { #expect(try await flotilla(["lab", "fault", host, "mirror-down"]).status == 0) }
        for host in Self.names[8..<12] { #expect(try await flotilla(["lab", "fault", host, "fail-start", "chrony.service"]).status == 0) }

        let run = try await apply(["--serial", "100%", "--max-failures", "100%", "--lock-wait", "2s", "--yes"])
        #expect(run.status == 2, "\(run.text)")
        for (i, host) in Self.names.enumerated() {
            let state = Self.states[i % 4]
            let b = try #require(before[host])
            let after = try await snapshot(host)
            let asBefore = after.state == b.state
            // The rule, for every host: as it was, or chrony converged.
            #expect(asBefore || after.isConverged, "\(host) (\(state)): neither as before nor converged:\nbefore \(b)\nafter  \(after)")
            let report = run.hosts[host] ?? [:]
            let outcome = report["outcome"] as? String ?? ""
            let message = report["message"] as? String ?? ""
            let installs = state == "ntp" || state == "timesyncd"
            switch i / 4 {
            case 0, 1:
                // Lock or mirror: the hosts that install chrony fail at the fetch, step 1, having changed nothing;
                // the others have nothing for apt to do and converge.
                if installs {
                    #expect(outcome == "failed" && message.hasPrefix("step 1 of ") && message.contains("nothing had changed on the host"), "\(host): \(message)")
                    #expect(asBefore, "\(host)")
                } else {
                    #expect(outcome == "changed" && after.isConverged, "\(host): \(outcome) \(message) \(after)")
                }
            default:
                // chrony cannot start: every host failed after changing things, and was put back as it was.
                #expect(outcome == "failed", "\(host): \(outcome)")
                #expect(message.contains("(systemctl start chrony.service) failed"), "\(host): \(message)")
                #expect(message.contains("restored: ") && message.contains("the host is as it was before the run"), "\(host): \(message)")
                #expect(asBefore, "\(host) (\(state)) not put back:\nbefore \(b)\nafter  \(after)")
                let steps = (report["steps"] as? [[String: Any]]) ?? []
                #expect(steps.contains { ($0["resource"] as? String)?.hasPrefix("restore: ") == true }, "\(host): no restore step reported")
                if installs {
                    // apt's transaction had removed the old daemon: it came back from apt's cache, chrony went.
                    #expect(message.contains(state == "ntp" ? "ntp and ntpsec reinstalled" : "systemd-timesyncd reinstalled"), "\(host): \(message)")
                    #expect(message.contains("chrony purged again"), "\(host): \(message)")
                }
            }
        }
        // The brief's own example, on the timesyncd host whose chrony could not start.
        #expect((run.hosts["node10"]?["message"] as? String)?.contains("(systemd-timesyncd.service enabled, inactive (dead, start condition failed))") == true)

        // The undo is in the journal, as steps of the host.
        let runID = try #require((ApplyLabTests.recap(ApplyLabTests.jsonLines(run.text))?["run"] as? Int))
        let reader = try await Journal.open(path: journal.path)
        let detail = try await reader.run(Int64(runID))
        let node09 = try #require(detail.hosts.first { $0.report.host == "node09" })
        let restoreSteps = node09.report.steps.filter { $0.resource.hasPrefix(HostExecutor.restorePrefix) }
        #expect(restoreSteps.contains { $0.resource == "restore: package[ntp], package[ntpsec], package[chrony]" && $0.succeeded }, "\(restoreSteps.map(\.resource))")
        #expect(node09.report.steps.first { !$0.succeeded }?.description == "systemctl start chrony.service")

        // The causes go away (heal releases the lock too): a second apply converges every host, restored ones included.
        for host in Self.names { #expect(try await flotilla(["lab", "fault", host, "heal"]).status == 0) }
        #expect(!(try await flotilla(["lab", "status"])).text.contains("dpkg-lock"))
        let second = try await apply(["--serial", "100%", "--yes"])
        #expect(second.status == 0, "\(second.text)")
        for host in Self.names {
            let s = try await snapshot(host)
            #expect(s.isConverged, "\(host): \(s)")
        }
        // Issue 16, part 2, on a converged host: installing systemd-timesyncd (what an image build or another
        // tool's role does) is refused by the guard's pin, and chrony stays installed and running.
        let reinstall = try await flotilla([
            "lab", "ssh", "node02", "--", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q", "install", "systemd-timesyncd",
        ])
        #expect(reinstall.status != 0, "\(reinstall.text)")
        #expect(reinstall.text.contains("has no installation candidate"), "\(reinstall.text)")
        let guarded = try await snapshot("node02")
        #expect(guarded.isConverged && guarded.value("package systemd-timesyncd") != "ii", "\(guarded)")

        _ = try await flotilla(["lab", "down"])
        print("MakeBeforeBreakLabTests: \(ContinuousClock.now - started) for 12 hosts, 3 faults, 2 applies")
    }
}
