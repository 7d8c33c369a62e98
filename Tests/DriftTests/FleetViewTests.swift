import Drift
import Testing

@Suite struct FleetViewTests {
    /// A synchronised host whose chrony reports `offset` (host minus true time).
    static func host(_ name: String, offset: Double, source: String = "10.0.0.1") -> HostAudit {
        let tracking = ChronyTracking(
            referenceID: 0x0A00_0001, referenceName: source, stratum: 3, referenceTime: 1000, systemTime: -offset,
            lastOffset: 0, rmsOffset: 0, frequency: 0, residualFrequency: 0, skew: 0, rootDelay: 0.0002, rootDispersion: 0.0003,
            updateInterval: 64, leapStatus: .normal)
        let selected = ChronySource(
            mode: .server, state: .selected, address: source, stratum: 2, poll: 6, reach: 0o377, lastRx: 10,
            offset: 0, measuredOffset: 0, errorBound: 0.001)
        let status = ChronyStatus(host: name, daemon: .running, tracking: tracking, sources: [selected], hostTime: 1010)
        return HostAudit.assess(HostObservation(host: name, chrony: status), policy: Fixture.policy)
    }

    @Test func spreadMedianAndOutlier() throws {
        let hosts = [
            Self.host("a", offset: 0.001), Self.host("b", offset: 0.002), Self.host("c", offset: 0.0015),
            Self.host("d", offset: 0.0012), Self.host("e", offset: 0.3, source: "10.0.0.9"),
        ]
        let f = FleetView(hosts)
        #expect(f.measured == 5)
        #expect(abs(f.spread! - 0.299) < 1e-12)
        #expect(f.median == 0.0015)
        #expect(f.minimum == 0.001)
        #expect(f.maximum == 0.3)
        #expect(f.outliers == ["e"])
        #expect(f.bySource == ["10.0.0.1": ["a", "b", "c", "d"], "10.0.0.9": ["e"]])
    }

    @Test func microsecondDifferencesAreNoOutliers() {
        let hosts = (1...9).map { Self.host("n\($0)", offset: Double($0) * 1e-6) } + [Self.host("n10", offset: 90e-6)]
        #expect(FleetView(hosts).outliers.isEmpty)
    }

    @Test func evenCountMedianIsTheMeanOfTheMiddleTwo() {
        #expect(FleetView.median([1, 2, 3, 10]) == 2.5)
        #expect(FleetView.median([]) == nil)
    }

    @Test func hostsWithoutOffsetAreGroupedAsNotSynchronised() throws {
        let lost = try Fixture.audit("no-sources", host: "z")
        let f = FleetView([Self.host("a", offset: 0.001), lost])
        #expect(f.measured == 1)
        #expect(f.bySource["none"] == ["z"])
    }

    @Test func reportSortsBySeverityThenNaturalName() throws {
        let hosts = [
            Self.host("web10", offset: 0.001), Self.host("web2", offset: 0.001), Self.host("web3", offset: 0.07),
            try Fixture.audit("no-sources", host: "web9"),
            HostAudit.assess(HostObservation(host: "web1", unreachable: "timeout"), policy: Fixture.policy),
        ]
        let report = AuditReport(startedAt: 0, duration: 1, policy: Fixture.policy, hosts: hosts)
        #expect(report.hosts.map(\.host) == ["web9", "web3", "web1", "web2", "web10"])
        #expect(report.exitCode == 2)
        #expect(AuditReport(startedAt: 0, duration: 1, policy: Fixture.policy, hosts: [Self.host("a", offset: 0)]).exitCode == 0)
    }
}
