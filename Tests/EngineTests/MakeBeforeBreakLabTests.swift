import Engine
import FlotillaCore
import FlotillaTesting
import Foundation
import Testing

/// Issue 16, part 1, on the lab's real hosts: a rollout that fails anywhere leaves every host of every starting
/// state either exactly as it was (its previous time daemon as before) or running chrony converged, never in
/// between. Each host is checked on the host itself over OpenSSH (`flotilla lab ssh`: dpkg-query, systemctl,
/// checksums of the files the plan or its undo touch), not through Flotilla's facts.
///
/// One lab, brought up once, with a block of hosts per starting state (ntp, timesyncd, chrony-masked,
/// chrony-dead), and one apply over all of them at once:
/// - the first three hosts of each state get a lab fault:
///   - dpkg's lock held past `--lock-wait` (the fetch, apt's first call, cannot take it);
///   - the package mirror down (`lab fault mirror-down`: the .debs the hosts install from are gone), that is
///     the chrony package unavailable;
///   - chrony fails to start (`lab fault fail-start chrony.service`): the failure comes after apt's transaction
///     removed ntp/ntpsec or systemd-timesyncd, so those hosts must be put back by the undo;
/// - the matrix: the state's other hosts, one per step of that state's plan, host k failing at step k after the
///   step ran (the test hook `FLOTILLA_TEST_FAIL_STEP`, see `StepFailureInjection`), so every step of every
///   state's plan fails once, with the most to put back at that point.
/// Then the faults are healed (the lock released) and a second apply converges the fault hosts and, per state,
/// the matrix host that had failed at the last step; on a converged host the guard refuses systemd-timesyncd.
@Suite(.serialized, .labExclusive)
struct MakeBeforeBreakLabTests {
    static let inventory = "/var/lib/flotilla/lab/inventory.yml"
    static let playbook = Fixtures.root.appendingPathComponent("Playbooks/chrony.yml").path
    static let states = ["ntp", "timesyncd", "chrony-masked", "chrony-dead"]
    /// The number of steps of each starting state's plan on the lab (Playbooks/chrony.yml): one matrix host per
    /// step. The test fails, saying so, when a plan has another number of steps.
    static let planSteps = ["ntp": 11, "timesyncd": 10, "chrony-masked": 10, "chrony-dead": 8]
    static let faults = ["dpkg-lock", "mirror-down", "fail-start"]

    /// What one host of the lab is for.
    enum Role: Equatable {
        case fault(String)
        case step(Int)
    }

    struct LabHost {
        var name: String
        var state: String
        var role: Role
    }

    /// The lab's hosts in order: `--mix ntp:14,timesyncd:13,chrony-masked:13,chrony-dead:11`, each block its
    /// state's fault hosts, then its matrix hosts.
    static let hosts: [LabHost] = {
        var out: [LabHost] = []
        for state in states {
            for role in faults.map(Role.fault) + (1...planSteps[state]!).map(Role.step) {
                out.append(LabHost(name: String(format: "node%02d", out.count + 1), state: state, role: role))
            }
        }
        return out
    }()
    static let mix = states.map { "\($0):\(faults.count + planSteps[$0]!)" }.joined(separator: ",")

    static func host(_ state: String, _ role: Role) -> String {
        hosts.first { $0.state == state && $0.role == role }!.name
    }

    let journal = TemporaryJournalPath()
    var env: [String: String] { ["FLOTILLA_DB": journal.path] }

    func flotilla(_ args: [String], environment: [String: String] = [:]) async throws -> LocalProcess.Output {
        try await FlotillaBinary.run(args, environment: env.merging(environment) { _, new in new })
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
             /etc/apt/preferences.d/flotilla-timesync /etc/ntpsec/ntp.conf /etc/systemd/timesyncd.conf; do
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
        return Snapshot(lines: Self.probeLines(out.text))
    }

    static func probeLines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter {
            ["package ", "unit ", "file ", "firstsource ", "tracking "].contains(where: $0.hasPrefix)
        }
    }

    /// Snapshots of many hosts at once: one `lab exec` runs the system ssh to each host (eight at a time) with
    /// the lab's key and known_hosts, as `lab ssh` does, without a `flotilla` process per host.
    func snapshots(_ names: [String], at addresses: [String: String]) async throws -> [String: Snapshot] {
        let lab = "/var/lib/flotilla/lab"
        let script = #"""
            set -u
            dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
            export dir
            printf '%s\n' "$@" | xargs -P 8 -I{} sh -c '
              name=${1%%=*}; addr=${1#*=}
              ssh -i "$KEY" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KH" \
                -o ConnectTimeout=20 "root@$addr" "$REMOTE" > "$dir/$name" 2>&1
              echo "status $?" >> "$dir/$name"' sh {}
            for f in "$dir"/*; do sed "s|^|$(basename "$f") |" "$f"; done
            """#
        let pairs = try names.map { name in "\(name)=\(try #require(addresses[name], "no address for \(name)"))" }
        let out = try await flotilla(["lab", "exec", "--", "sh", "-c", script, "sh"] + pairs, environment: [
            "KEY": lab + "/id_ed25519", "KH": lab + "/known_hosts", "REMOTE": "sh -c " + ShellQuote.quote(Self.probe),
        ])
        try #require(out.status == 0, "snapshots: \(out.text)")
        var byHost: [String: [Substring]] = [:]
        for line in out.text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            byHost[String(line[..<space]), default: []].append(line[line.index(after: space)...])
        }
        var result: [String: Snapshot] = [:]
        for name in names {
            let lines = byHost[name] ?? []
            try #require(lines.last == "status 0", "\(name): \(lines.joined(separator: "\n"))")
            result[name] = Snapshot(lines: Self.probeLines(lines.joined(separator: "\n")))
        }
        return result
    }

    func apply(_ args: [String], environment: [String: String] = [:]) async throws -> (status: Int32, hosts: [String: [String: Any]], text: String) {
        let out = try await flotilla(["lab", "exec", "--", "flotilla", "apply", "-i", Self.inventory, "--json", Self.playbook] + args, environment: environment)
        var hosts: [String: [String: Any]] = [:]
        let recap = ApplyLabTests.recap(ApplyLabTests.jsonLines(out.text))
        for h in (recap?["hosts"] as? [[String: Any]]) ?? [] {
            if let name = h["host"] as? String { hosts[name] = h }
        }
        return (out.status, hosts, out.text)
    }

    @Test func aFailureAtAnyStepOrFromAnyFaultLeavesEveryStartingStateAsItWasOrConvergedAndTheUndoIsJournaled() async throws {
        let started = ContinuousClock.now
        _ = try await flotilla(["lab", "down"])
        let up = try await flotilla(["lab", "up", "--hosts", "\(Self.hosts.count)", "--mix", Self.mix])
        try #require(up.status == 0, "lab up: \(up.text)")
        defer { journal.remove() }
        var addresses: [String: String] = [:]
        // `lab up` lists each host as `  node01  10.88.0.11  ntp`.
        for line in up.text.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 3, words[0].hasPrefix("node"), words[1].hasPrefix("10.") { addresses[String(words[0])] = String(words[1]) }
        }
        try #require(addresses.count == Self.hosts.count, "lab up listed \(addresses.count) hosts: \(up.text)")
        let upTook = ContinuousClock.now - started

        var clock = ContinuousClock.now
        var timings: [String] = ["lab up \(upTook)"]
        func lap(_ what: String) {
            timings.append("\(what) \(ContinuousClock.now - clock)")
            clock = ContinuousClock.now
        }
        let before = try await snapshots(Self.hosts.map(\.name), at: addresses)
        lap("snapshots")
        // The lab's starting states, as the hosts themselves show them.
        for h in Self.hosts {
            let s = try #require(before[h.name])
            switch h.state {
            case "ntp": #expect(s.value("package ntpsec") == "ii" && s.value("package chrony") == "absent", "\(h.name): \(s)")
            case "timesyncd": #expect(s.value("unit systemd-timesyncd.service").hasPrefix("enabled") && s.value("package chrony") == "absent", "\(h.name): \(s)")
            case "chrony-masked": #expect(s.value("unit chrony.service").hasPrefix("masked"), "\(h.name): \(s)")
            default: #expect(s.value("unit chrony.service") == "enabled inactive", "\(h.name): \(s)")
            }
        }

        for h in Self.hosts {
            guard case .fault(let fault) = h.role else { continue }
            let words = fault == "dpkg-lock" ? ["dpkg-lock", "600"] : fault == "fail-start" ? ["fail-start", "chrony.service"] : [fault]
            #expect(try await flotilla(["lab", "fault", h.name] + words).status == 0)
        }
        let hook = Self.hosts.compactMap { h -> String? in
            guard case .step(let k) = h.role else { return nil }
            return "\(h.name)=\(k)"
        }.joined(separator: ",")

        lap("faults")
        let run = try await apply(["--serial", "100%", "--max-failures", "100%", "--lock-wait", "2s", "--yes"], environment: [StepFailureInjection.variable: hook])
        lap("first apply")
        #expect(run.status == 2, "\(run.text)")
        #expect(run.text.contains("test hook FLOTILLA_TEST_FAIL_STEP is set"), "the hook was not announced")
        let after = try await snapshots(Self.hosts.map(\.name), at: addresses)
        lap("snapshots")
        var totals: [String: Set<String>] = [:]

        for h in Self.hosts {
            let (host, state) = (h.name, h.state)
            let b = try #require(before[host])
            let a = try #require(after[host])
            let asBefore = a.state == b.state
            // The rule, for every host: as it was, or chrony converged.
            #expect(asBefore || a.isConverged, "\(host) (\(state), \(h.role)): neither as before nor converged:\nbefore \(b)\nafter  \(a)")
            let report = run.hosts[host] ?? [:]
            let outcome = report["outcome"] as? String ?? ""
            let message = report["message"] as? String ?? ""
            let steps = (report["steps"] as? [[String: Any]]) ?? []
            let restoreSteps = steps.filter { ($0["resource"] as? String)?.hasPrefix(HostExecutor.restorePrefix) == true }
            let installs = state == "ntp" || state == "timesyncd"
            // What Flotilla says it left is what the host shows.
            if message.contains("the host is as it was before the run") || message.contains("nothing had changed on the host") {
                #expect(asBefore, "\(host) (\(state), \(h.role)): the report says as before, the host differs:\nbefore \(b)\nafter  \(a)\n\(message)")
            }
            switch h.role {
            case .step(let k):
                #expect(outcome == "failed", "\(host): \(outcome) \(message)")
                #expect(message.hasPrefix("step \(k) of "), "\(host): \(message)")
                #expect(message.contains("failed (exit 97): test hook FLOTILLA_TEST_FAIL_STEP: step \(k) made to fail after it ran; "), "\(host): \(message)")
                if let of = message.range(of: "step \(k) of ") {
                    totals[state, default: []].insert(String(message[of.upperBound...].prefix { $0.isNumber }))
                }
                #expect(asBefore, "\(host) (\(state)) failed at step \(k), not put back:\nbefore \(b)\nafter  \(a)\n\(message)")
                if installs && k == 1 {
                    // The fetch changes nothing but apt's cache.
                    #expect(message.hasSuffix("; nothing had changed on the host (checked after the failure)"), "\(host): \(message)")
                    #expect(restoreSteps.isEmpty, "\(host): \(restoreSteps)")
                } else {
                    #expect(message.contains("; restored: ") && message.contains("; the host is as it was before the run"), "\(host): \(message)")
                    #expect(!message.contains("failed to restore") && !message.contains("NOT restored"), "\(host): \(message)")
                    #expect(!restoreSteps.isEmpty && restoreSteps.allSatisfy { $0["succeeded"] as? Bool == true }, "\(host): \(restoreSteps)")
                }
                if installs && k >= 2 {
                    // apt's transaction had removed the old daemon (and at step 10 on ntp hosts purged it): it
                    // came back from apt's cache, and chrony went.
                    #expect(message.contains(state == "ntp" ? "ntp and ntpsec reinstalled" : "systemd-timesyncd reinstalled"), "\(host): \(message)")
                    #expect(message.contains("chrony purged again"), "\(host): \(message)")
                }
            case .fault("dpkg-lock"), .fault("mirror-down"):
                // Lock or mirror: the hosts that install chrony fail at the fetch, step 1, having changed nothing;
                // the others have nothing for apt to do and converge.
                if installs {
                    #expect(outcome == "failed" && message.hasPrefix("step 1 of ") && message.contains("nothing had changed on the host"), "\(host): \(message)")
                    #expect(asBefore, "\(host)")
                } else {
                    #expect(outcome == "changed" && a.isConverged, "\(host): \(outcome) \(message) \(a)")
                }
            case .fault:
                // chrony cannot start: every host failed after changing things, and was put back as it was.
                #expect(outcome == "failed", "\(host): \(outcome)")
                #expect(message.contains("(systemctl start chrony.service) failed"), "\(host): \(message)")
                #expect(message.contains("restored: ") && message.contains("the host is as it was before the run"), "\(host): \(message)")
                #expect(asBefore, "\(host) (\(state)) not put back:\nbefore \(b)\nafter  \(a)")
                #expect(!restoreSteps.isEmpty, "\(host): no restore step reported")
                if installs {
                    #expect(message.contains(state == "ntp" ? "ntp and ntpsec reinstalled" : "systemd-timesyncd reinstalled"), "\(host): \(message)")
                    #expect(message.contains("chrony purged again"), "\(host): \(message)")
                }
            }
        }
        // Every step of every state's plan was failed once: the plans have as many steps as the lab has hosts for them.
        for state in Self.states {
            #expect(totals[state] == [String(Self.planSteps[state]!)],
                    "\(state): the plan has \(totals[state] ?? []) steps, the lab has \(Self.planSteps[state]!) matrix hosts for it (update planSteps)")
        }
        // Issue 16's "done when": with the chrony package unavailable (mirror down), the host keeps its previous
        // daemon installed, enabled and not masked.
        for (state, package, unit) in [("ntp", "ntpsec", "ntpsec.service"), ("timesyncd", "systemd-timesyncd", "systemd-timesyncd.service")] {
            let host = Self.host(state, .fault("mirror-down"))
            let a = try #require(after[host])
            #expect(a.value("package \(package)") == "ii" && a.value("unit \(unit)").hasPrefix("enabled "), "\(host): \(a)")
            #expect(a.value("package chrony") == "absent", "\(host): \(a)")
        }
        // The brief's own example, on the timesyncd host whose chrony could not start.
        let timesyncdFailStart = Self.host("timesyncd", .fault("fail-start"))
        #expect((run.hosts[timesyncdFailStart]?["message"] as? String)?.contains("(systemd-timesyncd.service enabled, inactive (dead, start condition failed))") == true)

        // The undo is in the journal, as steps of the host, as the report has it.
        let runID = try #require((ApplyLabTests.recap(ApplyLabTests.jsonLines(run.text))?["run"] as? Int))
        let reader = try await Journal.open(path: journal.path)
        let detail = try await reader.run(Int64(runID))
        for h in Self.hosts {
            let journaled = try #require(detail.hosts.first { $0.report.host == h.name }, "\(h.name) is not in the journal")
            let reported = ((run.hosts[h.name]?["steps"] as? [[String: Any]]) ?? []).compactMap { $0["resource"] as? String }
            #expect(journaled.report.steps.map(\.resource) == reported, "\(h.name): the journal's steps differ from the report's")
        }
        let ntpFailStart = try #require(detail.hosts.first { $0.report.host == Self.host("ntp", .fault("fail-start")) })
        let restoreSteps = ntpFailStart.report.steps.filter { $0.resource.hasPrefix(HostExecutor.restorePrefix) }
        #expect(restoreSteps.contains { $0.resource == "restore: package[ntp], package[ntpsec], package[chrony]" && $0.succeeded }, "\(restoreSteps.map(\.resource))")
        #expect(ntpFailStart.report.steps.first { !$0.succeeded }?.description == "systemctl start chrony.service")

        // The causes go away (heal releases the lock too): a second apply converges the fault hosts and, per
        // state, the matrix host that had failed at its last step.
        let retried = Self.hosts.filter { if case .fault = $0.role { true } else { $0.role == .step(Self.planSteps[$0.state]!) } }.map(\.name)
        for h in Self.hosts { if case .fault = h.role { #expect(try await flotilla(["lab", "fault", h.name, "heal"]).status == 0) } }
        #expect(!(try await flotilla(["lab", "status"])).text.contains("dpkg-lock"))
        lap("checks and heal")
        let second = try await apply(["--serial", "100%", "--limit", retried.joined(separator: ":"), "--yes"])
        #expect(second.status == 0, "\(second.text)")
        #expect(Set(second.hosts.keys) == Set(retried), "\(second.hosts.keys.sorted())")
        lap("second apply")
        let converged = try await snapshots(retried, at: addresses)
        for host in retried { #expect(converged[host]?.isConverged == true, "\(host): \(converged[host]?.description ?? "no snapshot")") }

        // Issue 16, part 2, on a converged host: installing systemd-timesyncd (what an image build or another
        // tool's role does) is refused by the guard's pin, and chrony stays installed and running.
        let guardedHost = Self.host("timesyncd", .fault("fail-start"))
        let reinstall = try await flotilla([
            "lab", "ssh", guardedHost, "--", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q", "install", "systemd-timesyncd",
        ])
        #expect(reinstall.status != 0, "\(reinstall.text)")
        #expect(reinstall.text.contains("has no installation candidate"), "\(reinstall.text)")
        let guarded = try await snapshot(guardedHost)
        #expect(guarded.isConverged && guarded.value("package systemd-timesyncd") != "ii", "\(guarded)")

        lap("guard")
        _ = try await flotilla(["lab", "down"])
        lap("lab down")
        print("MakeBeforeBreakLabTests: \(ContinuousClock.now - started) for \(Self.hosts.count) hosts, 3 faults and \(Self.planSteps.values.reduce(0, +)) failed steps, 2 applies (\(timings.joined(separator: ", ")))")
    }
}
