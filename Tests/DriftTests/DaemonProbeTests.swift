@testable import Drift
import Facts
import Foundation
import SSH
import FlotillaTesting
import Testing

/// The time-daemon probe's output as captured on the lab's containers (Fixtures/daemons).
@Suite struct DaemonProbeTests {
    static func states(_ name: String) throws -> [String: TimeDaemonState] {
        let text = try Fixture.text(name + ".txt", folder: "daemons")
        return Dictionary(uniqueKeysWithValues: try DaemonProbe.parse(text).map { ($0.name, $0) })
    }

    @Test func runningChronyIsActiveAndEnabled() throws {
        let s = try Self.states("chrony-running")
        let chrony = try #require(s["chrony"])
        #expect(chrony.installed && chrony.enabled && chrony.active && !chrony.masked)
        #expect(chrony.unit == "chrony.service")
        #expect(s["ntp"]?.present == false)
        #expect(s["systemd-timesyncd"]?.installed == false)
        #expect(TimeDaemons.findings(Array(s.values), expectations: .init(removed: ["ntp", "ntpsec", "openntpd"], masksTimesyncd: true)).isEmpty)
    }

    @Test func maskedChronyIsMasked() throws {
        let chrony = try #require(try Self.states("chrony-masked")["chrony"])
        #expect(chrony.masked)
        #expect(!chrony.active)
    }

    @Test func deadChronyFailedItsStartCondition() throws {
        let chrony = try #require(try Self.states("chrony-dead")["chrony"])
        #expect(chrony.enabled && !chrony.active && chrony.conditionFailed)
        #expect(chrony.subState == "dead")
    }

    @Test func ntpHostHasNtpsecEnabledOnceAndBothPackages() throws {
        let s = try Self.states("ntp")
        #expect(s["ntp"]?.installed == true)
        #expect(s["ntp"]?.unit == nil, "ntp.service is ntpsec.service's alias: it counts for ntpsec")
        #expect(s["ntpsec"]?.unit == "ntpsec.service")
        #expect(s["ntpsec"]?.enabled == true)
        #expect(s["chrony"]?.installed == false)
        let findings = TimeDaemons.findings(Array(s.values), expectations: .init(removed: ["ntp", "ntpsec"], masksTimesyncd: true))
        #expect(findings.filter { $0.kind == .competingDaemonEnabled }.count == 1)
        #expect(findings.filter { $0.kind == .removedDaemonReturned }.count == 2)
    }

    /// Issue 12: plan's facts and audit's probe read `systemctl show` through one function, so an unknown LoadState
    /// and a never-checked condition (`ConditionTimestamp=n/a`) mean the same to both.
    @Test func theProbeReadsUnitsAsTheFactsDo() throws {
        var text = try Fixture.text("chrony-running.txt", folder: "daemons")
        let first = try #require(text.range(of: "LoadState=loaded"))
        text.replaceSubrange(first, with: "LoadState=bad-setting")
        let stamp = try #require(text.range(of: #"ConditionTimestamp=[^\n]*"#, options: .regularExpression))
        text.replaceSubrange(stamp, with: "ConditionTimestamp=n/a")
        let result = try #require(text.range(of: "ConditionResult=yes"))
        text.replaceSubrange(result, with: "ConditionResult=no")
        let probed = try #require(try DaemonProbe.read(text).units["chrony.service"])
        #expect(probed.loadState == .other("bad-setting"))
        #expect(probed.conditionResult == nil, "n/a: the conditions were never checked")
        let asFacts = UnitFact.reading(name: "chrony.service", systemctlShow: [
            "Id": "chrony.service", "Names": "chrony.service chronyd.service", "LoadState": "bad-setting",
            "UnitFileState": probed.fileState.rawValue, "ActiveState": probed.activeState.rawValue, "SubState": probed.subState,
            "ConditionResult": "no", "ConditionTimestamp": "n/a",
        ])
        #expect(asFacts == probed)
    }

    @Test func cutShortOutputCannotBeRead() throws {
        let text = try Fixture.text("ntp.txt", folder: "daemons")
        let cut = String(text.prefix(text.count / 2))
        let error = #expect(throws: DriftError.self) { try DaemonProbe.parse(cut) }
        #expect(error?.description.contains("cannot read `the time-daemon probe`") == true)
    }

    @Test func missingUnitBlockIsRefused() throws {
        let text = try Fixture.text("chrony-running.txt", folder: "daemons")
        let firstBlockEnd = try #require(text.range(of: "\n\n"))
        let start = try #require(text.range(of: "units=systemd\n"))
        let dropped = String(text[..<start.upperBound]) + String(text[firstBlockEnd.upperBound...])
        let error = #expect(throws: DriftError.self) { try DaemonProbe.parse(dropped) }
        #expect(error?.description.contains("systemctl show gave 6 units, 7 asked for") == true)
    }

    @Test func probeAndCheckRunTogetherOnThisMachine() async throws {
        // This machine: dpkg but no systemd as PID 1 and no chrony.
        let o = try await HostProbe(expectedSources: [], samples: 2).observe(LocalShellConnection(name: "controller"))
        #expect(o.factsError == nil)
        #expect(o.chronyError == nil)
        #expect(o.chrony?.daemon == .absent)
        #expect(o.daemons?.count == 5)
        #expect(o.crossCheck?.samples == 2)
    }

    @Test func dpkgsStatusFileReadsAsDpkgQueryReadsItOnThisMachine() async throws {
        // Packages every Debian machine has, besides the time daemons (which this one may not have).
        let names = ["dpkg", "coreutils", "sed", "libc6", "base-files"] + DaemonProbe.packages
        let probe = try await LocalShellConnection().run(.argv(["sh", "-c", DaemonProbe.script(packages: names)]))
        #expect(probe.stdoutText.contains("packages=dpkg-status"))
        let read = try DaemonProbe.packages(in: probe.stdoutText)
        let query = try await LocalShellConnection().run(.shell(
            "dpkg-query -W -f '${Package}\\t${Version}\\t${db:Status-Abbrev}\\n' " + names.joined(separator: " ") + " 2>/dev/null"))
        var compared = 0
        for line in query.stdoutText.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            try #require(f.count == 3)
            let expected = PackageFact.status(dpkgAbbrev: f[2].trimmingCharacters(in: .whitespaces))
            guard expected != .notInstalled else { continue }  // dpkg-query also lists names it only heard of
            #expect(read[f[0]]?.status == expected, "\(f[0])")
            #expect(read[f[0]]?.version == f[1], "\(f[0])")
            compared += 1
        }
        #expect(compared >= 5)
    }

    @Test func statusFileStanzasGiveEachPackagesState() throws {
        let text = """
            @@flotilla:daemons 1
            Package: chrony
            Status: deinstall ok config-files
            Version: 4.3-2+deb12u1
            Package: ntp
            Status: install reinstreq half-installed
            Version: 1:4.2.8p15+dfsg-2~1.2.2+dfsg1-1+deb12u1
            Package: ntpsec
            Version: 1.2.2+dfsg1-1+deb12u1
            Status: install ok installed
            Package: openntpd
            Status: install ok installed
            Version: 1:6.8p1-1
            Package: openntpd
            Status: purge ok not-installed
            packages=dpkg-status
            units=none
            @@flotilla:daemons-end
            """
        let p = try DaemonProbe.packages(in: text)
        #expect(p["chrony"]?.status == .configFiles)
        #expect(p["chrony"]?.dpkgStatus == "rc")
        #expect(p["ntp"]?.status == .broken)
        #expect(p["ntpsec"]?.status == .installed)
        #expect(p["ntpsec"]?.version == "1.2.2+dfsg1-1+deb12u1")
        #expect(p["openntpd"]?.status == .installed, "two architectures: the installed one wins")
        #expect(p["systemd-timesyncd"] == nil)
        let odd = text.replacingOccurrences(of: "Status: deinstall ok config-files", with: "Status: deinstall ok")
        let error = #expect(throws: DriftError.self) { try DaemonProbe.packages(in: odd) }
        #expect(error?.description.contains("line 2") == true, "\(error?.description ?? "")")
    }

    @Test func overSSHTheProbeIsOneCommandWhoseClockSamplesAreTurns() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        var options = SSHTransport.Options()
        options.userKnownHosts = false
        options.useAgent = false
        options.defaultIdentities = false
        let session = try await SSHTransport(options: options).connect(server.target(name: "loopback"))
        let o = try await HostProbe(expectedSources: [], samples: 5).observe(session)
        await session.close()
        #expect(o.factsError == nil)
        #expect(o.chronyError == nil)
        #expect(o.crossCheckError == nil)
        let c = try #require(o.crossCheck)
        #expect(c.samples == 5)
        // The server is this machine: its clock and the controller's are one clock.
        #expect(abs(c.offset) <= c.uncertainty + 0.001)
        // One session, one command: the samples no longer cost an exec channel each.
        #expect(server.log.components(separatedBy: "Starting session: command").count - 1 == 1, "\(server.log)")
    }
}
