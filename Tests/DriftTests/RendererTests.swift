import Drift
import Foundation
import Testing

@Suite struct RendererTests {
    static func report() throws -> AuditReport {
        let hosts = [
            try Fixture.audit("synced", expected: ["127.0.0.2"], host: "node01"),
            try Fixture.audit("skew-slow", crossCheck: ClockCrossCheck(offset: 0, uncertainty: 0.001, roundTrip: 0.002, samples: 5), host: "node02"),
            try Fixture.audit("no-sources", host: "node03"),
            HostAudit.assess(HostObservation(host: "node\"4", unreachable: "connection refused"), policy: Fixture.policy),
        ]
        return AuditReport(startedAt: 1795241641, duration: 0.5, policy: Fixture.policy, hosts: hosts)
    }

    @Test func prometheusFamiliesHaveHelpAndTypeBeforeTheirSamples() throws {
        let text = PrometheusRenderer.render(try Self.report())
        var declared: [String: String] = [:]
        var seenHelp = Set<String>()
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                let name = String(line.split(separator: " ")[2])
                #expect(seenHelp.insert(name).inserted, "\(name) declared twice")
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                declared[String(parts[2])] = String(parts[3])
            } else {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                #expect(declared[name] == "gauge", "sample of \(name) before its TYPE line")
                #expect(line.split(separator: " ").last.flatMap { Double($0) } != nil, "value of \(line)")
            }
        }
        #expect(text.contains("chrony_tracking_system_time_seconds{host=\"node02\"} 0.300032765\n"))
        #expect(text.contains("chrony_tracking_stratum{host=\"node01\"} 3\n"))
        #expect(text.contains("flotilla_audit_verdict{host=\"node02\",verdict=\"critical\"} 1\n"))
        #expect(text.contains("flotilla_audit_verdict{host=\"node02\",verdict=\"ok\"} 0\n"))
        #expect(text.contains("flotilla_audit_verdict{host=\"node\\\"4\",verdict=\"unknown\"} 1\n"))
        #expect(text.contains("flotilla_audit_crosscheck_offset_seconds{host=\"node02\"} 0\n"))
        #expect(text.contains("# TYPE chrony_tracking_root_dispersion_seconds gauge\n"))
        #expect(!text.contains("chrony_tracking_system_time_seconds{host=\"node03\"}"), "no offset for a host that is not synchronised")
    }

    @Test func htmlHasOneSVGPointPerHostAndNothingExternal() throws {
        let report = try Self.report()
        let html = HTMLRenderer.render(report)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 1)
        #expect(html.components(separatedBy: "class=\"point").count - 1 == report.hosts.count)
        for host in report.hosts {
            let escaped = host.host.replacingOccurrences(of: "\"", with: "&quot;")
            #expect(html.contains("data-host=\"\(escaped)\""))
        }
        #expect(html.contains("class=\"errorbar\""))
        #expect(!html.contains("<script"))
        #expect(!html.contains("src="))
        #expect(!html.contains("href="))
    }

    @Test func tableListsEveryHostWithItsFindingsAndTheFleetView() throws {
        let text = TableRenderer.render(try Self.report())
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("HOST"))
        #expect(lines[1].hasPrefix("node02  critical"))
        #expect(lines.contains { $0.hasPrefix("node03  critical") })
        #expect(text.contains("    critical: not synchronised: chrony has no sources configured"))
        #expect(text.contains("4 hosts: 2 critical, 0 warn, 1 unknown, 1 ok"))
        #expect(text.contains("following 127.0.0.2: 1 host (node01)"))
        #expect(text.contains("not synchronised: 1 host (node03)"))
    }

    @Test func jsonCarriesTheExitCodeAndDecodesBack() throws {
        let report = try Self.report()
        let json = try JSONRenderer.render(report)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["exitCode"] as? Int == 2)
        let decoded = try JSONDecoder().decode(AuditReport.self, from: Data(json.utf8))
        #expect(decoded == report)
    }

    /// Issue 16 part 5: the thresholds are named for what they are (seconds), not a top-level `critical` that reads
    /// like a count of critical hosts; a file written before the rename still reads, with the same thresholds.
    @Test func jsonNamesTheThresholdsAsSecondsAndOlderFilesStillRead() throws {
        let report = try Self.report()
        let json = try JSONRenderer.render(report)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["critical"] == nil)
        #expect(object["maxOffset"] == nil)
        let thresholds = try #require(object["thresholds"] as? [String: Double])
        #expect(thresholds == ["warnSeconds": 0.05, "criticalSeconds": 1])

        var old = object
        old.removeValue(forKey: "thresholds")
        old["maxOffset"] = 0.05
        old["critical"] = 1.0
        let oldJSON = try JSONSerialization.data(withJSONObject: old)
        let decoded = try JSONDecoder().decode(AuditReport.self, from: oldJSON)
        #expect(decoded.thresholds == AuditReport.Thresholds(warnSeconds: 0.05, criticalSeconds: 1))
        #expect(decoded == report)
    }

    @Test(arguments: [(0.3, "+300.0 ms"), (-0.000000372, "0 µs"), (-1.25, "-1.250 s"), (0.0000421, "+42 µs"), (-0.0123, "-12.3 ms")])
    func secondsReadForPeople(value: Double, text: String) {
        #expect(SecondsText.format(value) == text)
    }
}
