import Foundation
import FlotillaTesting
import Lab
import Testing

/// `flotilla audit` on a lab after a real rollout: healthy hosts are ok, and each injected fault is found on
/// exactly the hosts it was injected on. Hosts are changed with the system ssh client and `flotilla lab
/// fault`, never through the code under test.
@Suite(.serialized, .labExclusive) struct AuditLabTests {
    static let lab = LabFixture.lab
    static let inventory = LabFixture.paths.inventoryFile
    static let playbook = LabEndToEndTests.packageRoot + "/Playbooks/chrony.yml"

    /// One audit as JSON: host name to (verdict, finding kinds, chrony offset, the selected source's last sample:
    /// the smaller of its measured and adjusted offsets in magnitude).
    struct Audit {
        var exitStatus: Int32
        var hosts: [String: (verdict: String, kinds: [String], offset: Double?, sample: Double?)]
    }

    static func audit(_ extra: [String] = []) async throws -> Audit {
        let result = try await FlotillaBinary.run([
            "audit", "--netns", LabNetwork.vpcNamespace, "-i", inventory, playbook, "--json",
        ] + extra)
        let json = String(result.text[try #require(result.text.firstIndex(of: "{"))...])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        var hosts: [String: (String, [String], Double?, Double?)] = [:]
        for host in try #require(document["hosts"] as? [[String: Any]]) {
            let findings = (host["findings"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            let chrony = host["chrony"] as? [String: Any]
            let offset = chrony?["clockOffset"] as? Double
            let selected = (chrony?["sources"] as? [[String: Any]] ?? []).first { $0["state"] as? String == "*" }
            let sample = selected.flatMap { s -> Double? in
                guard let m = s["measuredOffset"] as? Double, let a = s["offset"] as? Double else { return nil }
                return min(abs(m), abs(a))
            }
            hosts[host["host"] as! String] = (host["verdict"] as! String, findings, offset, sample)
        }
        return Audit(exitStatus: result.status, hosts: hosts)
    }

    /// Audits until `done` holds (chrony needs a poll or two to see a change), at most `attempts` times.
    static func audit(_ extra: [String] = [], until done: (Audit) -> Bool, attempts: Int = 20) async throws -> Audit {
        var last = try await audit(extra)
        for _ in 1..<attempts where !done(last) {
            try await Task.sleep(for: .seconds(3))
            last = try await audit(extra)
        }
        return last
    }

    @Test func afterARolloutEveryHostIsOkAndEachFaultIsFoundWhereItWasInjected() async throws {
        if try Self.lab.record() != nil || !LabNetwork.existingNamespaces().isEmpty { _ = try await Self.lab.down() }
        let record = try await Self.lab.up(LabUpOptions(hosts: 6), progress: { _ in }).record
        let names = record.hosts.map(\.name)

        let apply = try await FlotillaBinary.run([
            "apply", "--netns", LabNetwork.vpcNamespace, "-i", Self.inventory, Self.playbook, "--yes",
        ])
        #expect(apply.status == 0, "\(apply.text.suffix(3000))")

        // After the rollout: every host ok.
        let healthy = try await Self.audit { audit in names.allSatisfy { audit.hosts[$0]?.verdict == "ok" } }
        for name in names { #expect(healthy.hosts[name]?.verdict == "ok", "\(name): \(String(describing: healthy.hosts[name]))") }
        #expect(healthy.exitStatus == 0)

        // Skew on zone_b's upstream (node02, node04, node06): exactly those are flagged, at the injected offset.
        let skewed = ["node02", "node04", "node06"]
        let skew = 0.4
        for name in skewed {
            _ = try await Self.lab.fault(name, .skew(skew))
            let host = try #require(record.hosts.first { $0.name == name })
            _ = try await OnHost.output(host, "systemctl restart chrony")
        }
        let drifted = try await Self.audit { audit in
            skewed.allSatisfy { audit.hosts[$0].flatMap(\.offset).map { abs(abs($0) - skew) <= 0.2 * skew } ?? false }
        }
        for name in names {
            let host = try #require(drifted.hosts[name])
            if skewed.contains(name) {
                #expect(host.verdict != "ok", "\(name) should be flagged: \(host)")
                let offset = try #require(host.offset, "\(name) has no offset")
                #expect(abs(abs(offset) - skew) <= 0.2 * skew, "\(name): offset \(offset) vs injected \(skew)")
            } else {
                #expect(host.verdict == "ok", "\(name) should stay ok: \(host)")
            }
        }
        #expect(drifted.exitStatus == 2)
        for name in skewed { _ = try await Self.lab.fault(name, .skew(0)) }

        // chrony stopped on node01: not synchronised (its daemon is not running).
        let node01 = try #require(record.hosts.first { $0.name == "node01" })
        _ = try await OnHost.output(node01, "systemctl stop chrony")
        // ntp back on node03 (the guard pin removed first, as an operator might): a competing daemon.
        let node03 = try #require(record.hosts.first { $0.name == "node03" })
        _ = try await OnHost.output(node03, """
            rm -f /etc/apt/preferences.d/flotilla-timesync
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-download ntpsec >/dev/null 2>&1 || \
              DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-download ntp
            """)
        // node05 down: unknown, while the others are audited.
        _ = try await Self.lab.fault("node05", .down)

        let broken = try await Self.audit()
        let n1 = try #require(broken.hosts["node01"])
        #expect(n1.verdict == "critical", "\(n1)")
        #expect(n1.kinds.contains("chrony-not-running") || n1.kinds.contains("chrony-stopped"), "\(n1)")
        let n3 = try #require(broken.hosts["node03"])
        #expect(n3.kinds.contains("removed-daemon-returned"), "\(n3)")
        #expect(n3.verdict != "ok")
        let n5 = try #require(broken.hosts["node05"])
        #expect(n5.verdict == "unknown", "\(n5)")
        #expect(n5.kinds.contains("unreachable"), "\(n5)")
        for name in ["node02", "node04", "node06"] {
            #expect(broken.hosts[name] != nil, "\(name) is audited while node05 is down")
        }
        #expect(broken.exitStatus == 2)
        _ = try await Self.lab.down()
    }

    /// docs/audit.md's verdict table, row by row, on real hosts: each host is put in one state of the table with
    /// the system ssh client or `flotilla lab fault`, and the real binary's JSON must give that row's verdict and
    /// finding. Rows the lab cannot make are said so in the table, with the tests that cover them instead.
    @Test func eachHostStateGetsTheVerdictOfTheTable() async throws {
        if try Self.lab.record() != nil || !LabNetwork.existingNamespaces().isEmpty { _ = try await Self.lab.down() }
        let record = try await Self.lab.up(LabUpOptions(hosts: 6), progress: { _ in }).record
        let names = record.hosts.map(\.name)
        func host(_ name: String) throws -> HostRecord { try #require(record.hosts.first { $0.name == name }) }

        let apply = try await FlotillaBinary.run([
            "apply", "--netns", LabNetwork.vpcNamespace, "-i", Self.inventory, Self.playbook, "--yes",
        ])
        #expect(apply.status == 0, "\(apply.text.suffix(3000))")
        // Row "converged": every host ok, exit 0 (the bound and the last sample confirm it within ±50 ms).
        let healthy = try await Self.audit { audit in names.allSatisfy { audit.hosts[$0]?.verdict == "ok" } }
        for name in names { #expect(healthy.hosts[name]?.verdict == "ok", "\(name): \(String(describing: healthy.hosts[name]))") }
        #expect(healthy.exitStatus == 0)

        // Round 1, each host in one state.
        // node03: its upstream starts lying by 0.3 s, chrony is left alone (issue 16 part 4).
        _ = try await Self.lab.fault("node03", .skew(0.3))
        let lyingSince = ContinuousClock.now
        // node01: chrony purged, nothing keeps the time.
        _ = try await OnHost.output(host("node01"), "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q chrony >/dev/null")
        // node02: chrony masked (and so stopped).
        _ = try await OnHost.output(host("node02"), "systemctl mask --now chrony.service")
        // node04: the guard's pin file removed.
        _ = try await OnHost.output(host("node04"), "rm /etc/apt/preferences.d/flotilla-timesync")
        // node05: the guard an older Flotilla wrote: systemd-timesyncd not pinned.
        _ = try await OnHost.output(host("node05"), """
            printf 'Package: ntp\\nPin: version *\\nPin-Priority: -1\\n\\nPackage: ntpsec\\nPin: version *\\nPin-Priority: -1\\n\\nPackage: openntpd\\nPin: version *\\nPin-Priority: -1\\n' \\
              > /etc/apt/preferences.d/flotilla-timesync
            """)
        // node06: chrony disabled (still running): it would not start at the next boot.
        _ = try await OnHost.output(host("node06"), "systemctl disable chrony.service 2>/dev/null")
        // From the lie on, node03 is never ok once its source's last sample is beyond ±50 ms, whatever chrony's
        // estimate says yet (on this lab the first lying sample came after 14 s, and chrony said -32 ms until 30 s).
        while ContinuousClock.now < lyingSince + .seconds(30) {
            let audit = try await Self.audit(["--limit", "node03"])
            let h = try #require(audit.hosts["node03"])
            if let sample = h.sample, sample > 0.05 {
                #expect(h.verdict != "ok", "node03's last sample is \(sample) s off: \(h)")
            }
            try await Task.sleep(for: .seconds(1))
        }
        // And 30 s after the lie, it is not ok, whether chrony has caught up or not.
        let first = try await Self.audit()
        func check(_ audit: Audit, _ name: String, _ verdict: String, _ kind: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let h = audit.hosts[name]
            #expect(h?.verdict == verdict, "\(name): \(String(describing: h))", sourceLocation: sourceLocation)
            #expect(h?.kinds.contains(kind) == true, "\(name): \(String(describing: h))", sourceLocation: sourceLocation)
        }
        check(first, "node01", "critical", "chrony-absent")
        check(first, "node02", "critical", "chrony-masked")
        check(first, "node04", "warn", "guard-missing")
        check(first, "node05", "warn", "guard-incomplete")
        check(first, "node06", "warn", "chrony-disabled")
        let lying = try #require(first.hosts["node03"])
        #expect(lying.verdict != "ok", "30 s after its upstream started lying by 0.3 s: \(lying)")
        #expect(!lying.kinds.isEmpty)
        #expect(first.exitStatus == 2)

        // Round 2.
        // node04 (no pin left): systemd-timesyncd installed as an image build would; apt removes chrony for it.
        _ = try await OnHost.output(host("node04"), "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-download systemd-timesyncd >/dev/null")
        // node06: chrony follows a source that never answers (nothing listens there): not synchronised.
        _ = try await OnHost.output(host("node06"), """
            sed -i 's/^server .*/server 127.0.0.9 iburst minpoll 4 maxpoll 4/' /etc/chrony/chrony.conf && systemctl enable chrony.service 2>/dev/null && systemctl restart chrony.service
            """)
        // node05: 1.5 s off once chrony has caught up: beyond --critical.
        _ = try await Self.lab.fault("node05", .skew(1.5))
        _ = try await OnHost.output(host("node05"), "systemctl restart chrony.service")
        let second = try await Self.audit { audit in
            audit.hosts["node05"]?.kinds.contains("offset-critical") == true && audit.hosts["node06"]?.kinds.contains("not-synchronised") == true
        }
        check(second, "node04", "critical", "chrony-absent")
        check(second, "node04", "critical", "guard-missing")
        check(second, "node05", "critical", "offset-critical")
        check(second, "node06", "critical", "not-synchronised")

        // node03 with chrony caught up on the lie (restarted) and no cross-check: |offset| beyond ±50 ms is warn.
        _ = try await OnHost.output(host("node03"), "systemctl restart chrony.service")
        let third = try await Self.audit(["--samples", "0"]) { audit in audit.hosts["node03"]?.kinds.contains("offset-warning") == true }
        check(third, "node03", "warn", "offset-warning")
        #expect(third.hosts["node03"]?.kinds == ["offset-warning"], "\(String(describing: third.hosts["node03"]))")

        _ = try await Self.lab.down()
    }
}
