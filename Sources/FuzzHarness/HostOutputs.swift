import Drift
import Facts

/// What hosts print: untrusted, so nothing in it may crash the controller or poison a report.
enum HostOutputs {
    static func facts(_ input: [UInt8]) {
        guard let facts = try? FactParser.parse(stdout: String(decoding: input, as: UTF8.self)) else { return }
        _ = FactsDigest.digest(of: facts)
        _ = FactsRenderer.text([(name: "fuzz", facts: facts)])
        _ = FactsRenderer.json([(name: "fuzz", facts: facts)])
    }

    static func chronyc(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        _ = try? ChronyTracking.parse(text)
        _ = try? ChronySources.parse(text)
        _ = try? DaemonProbe.parse(text)
    }

    /// Reads the chrony check's output as the audit does (`HostProbe`), judges the host and renders the report
    /// in every format, as `flotilla audit` would.
    static func audit(_ input: [UInt8]) {
        var o = HostObservation(host: "node07")
        do {
            o.chrony = try SyncCheck.interpret(stdout: String(decoding: input, as: UTF8.self), host: "node07", expected: ["169.254.169.123"])
        } catch {
            if case .malformedOutput = error { o.malformedOutput = error.description } else { o.chronyError = error.description }
        }
        let report = AuditReport(startedAt: 1_800_000_000, duration: 1, policy: policy, hosts: [HostAudit.assess(o, policy: policy)])
        _ = TableRenderer.render(report)
        _ = TableRenderer.summary(report)
        guard (try? JSONRenderer.render(report)) != nil else { fatalError("the audit report cannot be encoded as JSON") }
        _ = PrometheusRenderer.render(report)
        _ = HTMLRenderer.render(report)
    }

    static let policy: AuditPolicy = {
        guard let p = try? AuditPolicy(maxOffset: 0.05, critical: 1) else { fatalError("the default audit policy is refused") }
        return p
    }()
}
