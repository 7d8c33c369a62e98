import Drift
import Foundation
import Facts
import Testing

/// Issue 16 part 2: the audit reads the guard files and reports a guard that is missing or incomplete, or that
/// did not hold, as a `warn` finding of its own.
@Suite struct TimeGuardTests {
    static let removed = ["ntp", "ntpsec", "openntpd"]

    /// The apt guard exactly as `flotilla apply` writes it for Playbooks/chrony.yml.
    static let written = """
        # Managed by Flotilla (timesync guard): chrony keeps the time; these daemons must not come back.
        Package: ntp
        Pin: version *
        Pin-Priority: -1

        Package: ntpsec
        Pin: version *
        Pin-Priority: -1

        Package: openntpd
        Pin: version *
        Pin-Priority: -1

        Package: systemd-timesyncd
        Pin: version *
        Pin-Priority: -1
        """

    static func apt(_ text: String?, tool: String = "dpkg-status") -> TimeGuard {
        let file = text.map { TimeGuard.File(path: TimeGuard.aptFile, state: .present, lines: $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)) }
            ?? TimeGuard.File(path: TimeGuard.aptFile, state: .absent)
        return TimeGuard(packageTool: tool, files: [file, .init(path: TimeGuard.dnfFile, state: .absent), .init(path: TimeGuard.yumFile, state: .absent)])
    }

    static func chronyOnly() -> [TimeDaemonState] {
        TimeDaemons.units.map {
            TimeDaemonState(name: $0.name, package: $0.name == "chrony" ? .installed : .notInstalled, unit: nil, enabled: false, active: false, masked: false, subState: nil, conditionFailed: false)
        }
    }

    @Test func theGuardAsApplyWritesItRaisesNothing() {
        #expect(Self.apt(Self.written).findings(removed: Self.removed, daemons: Self.chronyOnly()).isEmpty)
    }

    @Test func aMissingPinFileIsAWarningNamingItAndWhatCouldComeBack() {
        let f = Self.apt(nil).findings(removed: Self.removed, daemons: Self.chronyOnly())
        #expect(f.map(\.kind) == [.guardMissing])
        #expect(f.map(\.severity) == [.warn])
        #expect(f[0].message == "the guard /etc/apt/preferences.d/flotilla-timesync is missing: apt would install ntp, ntpsec, openntpd and systemd-timesyncd again (installing systemd-timesyncd removes chrony)")
    }

    @Test func anOlderGuardWithoutTimesyncdIsIncomplete() {
        let old = Self.written.components(separatedBy: "\n\nPackage: systemd-timesyncd")[0]
        let f = Self.apt(old).findings(removed: Self.removed, daemons: Self.chronyOnly())
        #expect(f.map(\.kind) == [.guardIncomplete])
        #expect(f[0].message == "the guard /etc/apt/preferences.d/flotilla-timesync does not keep out systemd-timesyncd (no pin with Pin: version * and a negative Pin-Priority): apt would install it again")
    }

    @Test func aPinThatDoesNotForbidIsNoPin() {
        for (from, to) in [("Pin-Priority: -1", "Pin-Priority: 500"), ("Pin: version *", "Pin: version 1.0*"), ("Pin-Priority: -1", "# Pin-Priority: -1")] {
            let text = Self.written.replacingFirst(from, with: to)
            let f = Self.apt(text).findings(removed: Self.removed, daemons: Self.chronyOnly())
            #expect(f.map(\.kind) == [.guardIncomplete], "\(to)")
            #expect(f.first?.message.contains("does not keep out ntp (") == true, "\(f.map(\.message))")
        }
    }

    @Test func aGlobOrSeveralNamesInOneStanzaCount() {
        let text = "Package: ntp* openntpd\nPin: version *\nPin-Priority: -10\n\nPackage: systemd-timesyncd\nPin: release *\nPin-Priority: -1"
        #expect(Self.apt(text).findings(removed: Self.removed, daemons: Self.chronyOnly()).isEmpty)
    }

    @Test func aGuardedDaemonInstalledAllTheSameIsTheGuardNotHolding() {
        var daemons = Self.chronyOnly()
        let i = daemons.firstIndex { $0.name == "systemd-timesyncd" }!
        daemons[i].package = .installed
        let f = Self.apt(Self.written).findings(removed: Self.removed, daemons: daemons)
        #expect(f.map(\.kind) == [.guardIncomplete])
        #expect(f[0].message == "the guard did not hold: systemd-timesyncd is installed although the guard keeps it out")
    }

    @Test func noGuardExpectedNoFinding() {
        #expect(Self.apt(nil).findings(removed: [], daemons: Self.chronyOnly()).isEmpty)
    }

    @Test func dnfExcludesInMainAreTheGuardOnRpmHosts() {
        let conf = { (line: String) in
            TimeGuard(packageTool: "rpm", files: [
                .init(path: TimeGuard.aptFile, state: .absent),
                .init(path: TimeGuard.dnfFile, state: .present, lines: ["[main]", "gpgcheck=1", line, "[other]", "excludepkgs=openntpd"]),
                .init(path: TimeGuard.yumFile, state: .present, lines: ["[main]"]),
            ])
        }
        #expect(conf("excludepkgs=ntp, ntpsec openntpd").findings(removed: Self.removed, daemons: Self.chronyOnly()).isEmpty)
        let f = conf("excludepkgs=ntp,ntpsec").findings(removed: Self.removed, daemons: Self.chronyOnly())
        #expect(f.map(\.message) == ["the guard /etc/dnf/dnf.conf does not keep out openntpd (no exclude in [main]): dnf would install it again"])
        let none = TimeGuard(packageTool: "rpm", files: [.init(path: TimeGuard.dnfFile, state: .absent), .init(path: TimeGuard.yumFile, state: .absent)])
        #expect(none.findings(removed: Self.removed, daemons: Self.chronyOnly()).map(\.kind) == [.guardMissing])
    }

    @Test func anUnreadableGuardIsUnknownNotMissing() {
        let g = TimeGuard(packageTool: "dpkg", files: [.init(path: TimeGuard.aptFile, state: .unreadable)])
        let f = g.findings(removed: Self.removed, daemons: Self.chronyOnly())
        #expect(f.map(\.kind) == [.auditFailed])
        #expect(f.map(\.severity) == [.unknown])
    }

    /// The probe's own output: file lines come prefixed with `|`, so a line of the file that looks like the probe's
    /// markers is only text.
    @Test func theProbeReadsGuardFilesAndTheirLinesCannotPassForItsOwn() throws {
        let text = """
            @@flotilla:daemons 1
            package\tchrony\t4.3-2+deb12u3\tii 
            packages=dpkg
            guard-file=/etc/apt/preferences.d/flotilla-timesync
            |Package: ntp
            |Pin: version *
            |Pin-Priority: -1
            |units=none
            |@@flotilla:daemons-end
            guard-absent=/etc/dnf/dnf.conf
            guard-unreadable=/etc/yum.conf
            units=none
            @@flotilla:daemons-end

            """
        let reading = try DaemonProbe.reading(text)
        let g = try #require(reading.timeGuard)
        #expect(g.packageTool == "dpkg")
        #expect(g.files.map(\.state) == [.present, .absent, .unreadable])
        #expect(g.files[0].lines == ["Package: ntp", "Pin: version *", "Pin-Priority: -1", "units=none", "@@flotilla:daemons-end"])
        #expect(reading.daemons.first { $0.name == "chrony" }?.installed == true)
        let f = g.findings(removed: ["ntp"], daemons: reading.daemons)
        #expect(f.map(\.message) == ["the guard /etc/apt/preferences.d/flotilla-timesync does not keep out systemd-timesyncd (no pin with Pin: version * and a negative Pin-Priority): apt would install it again"])
    }

    @Test func anAuditWithAGuardExpectedReportsItAndTheVerdictIsWarn() throws {
        var o = HostObservation(host: "web01", chrony: try Fixture.status("synced", expected: ["127.0.0.2"]))
        o.daemons = Self.chronyOnly().map { var d = $0; if d.name == "chrony" { d.enabled = true; d.active = true; d.unit = "chrony.service" }; return d }
        o.timeGuard = Self.apt(nil)
        var policy = Fixture.policy
        policy.daemons = .init(removed: Self.removed, masksTimesyncd: false, guarded: Self.removed)
        let a = HostAudit.assess(o, policy: policy)
        #expect(a.verdict == .warn)
        #expect(a.findings.map(\.kind) == [.guardMissing])
        // Without a playbook asking for the guard, nothing is said about it.
        policy.daemons = .init()
        #expect(HostAudit.assess(o, policy: policy).verdict == .ok)
    }
}

extension String {
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let r = range(of: target) else { return self }
        return replacingCharacters(in: r, with: replacement)
    }
}
