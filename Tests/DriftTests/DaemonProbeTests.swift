import Drift
import Foundation
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
}
