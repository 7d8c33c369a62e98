import Drift
import Foundation
import FlotillaCore
import Testing

@Suite struct HistoryTests {
    static func temporaryPath() -> String {
        NSTemporaryDirectory() + "flotilla-history-\(UUID().uuidString)/flotilla.sqlite"
    }

    /// The history holds host names, addresses and findings: its folder and files are the owner's alone, and an
    /// older database left at 0644 is tightened when it is opened.
    @Test func theHistoryAndItsFolderAreReadableByTheirOwnerOnly() throws {
        let path = Self.temporaryPath()
        let folder = (path as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func mode(_ p: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: p)[.posixPermissions] as! NSNumber).intValue
        }
        let history = try AuditHistory(path: path)
        _ = try history.record(AuditReport(startedAt: 1000, duration: 1, policy: Fixture.policy, hosts: [try Fixture.audit("synced", host: "node01")]))
        #expect(try mode(folder) == 0o700)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(files.contains("flotilla.sqlite"))
        for file in files { #expect(try mode(folder + "/" + file) == 0o600, "\(file)") }

        chmod(path, 0o644)
        _ = try AuditHistory(path: path)
        #expect(try mode(path) == 0o600)
    }

    @Test func auditsRoundTripAndFilterByHostAndTime() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let history = try AuditHistory(path: path)
        let early = AuditReport(startedAt: 1000, duration: 1, policy: Fixture.policy, hosts: [
            try Fixture.audit("synced", host: "node01"), try Fixture.audit("skew-slow", host: "node02"),
        ])
        let late = AuditReport(startedAt: 2000, duration: 1, policy: Fixture.policy, hosts: [
            try Fixture.audit("synced", host: "node01"), try Fixture.audit("no-sources", host: "node02"),
        ])
        let first = try history.record(early)
        let second = try history.record(late)
        #expect(second > first)

        // Reopening runs the migrator again: nothing to do, nothing lost.
        let reopened = try AuditHistory(path: path)
        let all = try reopened.entries(since: 0)
        #expect(all.count == 4)
        let node02 = try reopened.entries(since: 0, host: "node02")
        #expect(node02.map(\.time) == [1000, 2000])
        #expect(node02.map(\.verdict) == [.warn, .critical])
        #expect(node02[0].offset == -0.300032765)
        #expect(node02[0].errorBound == early.hosts.first { $0.host == "node02" }!.errorBound)
        #expect(node02[1].offset == nil)
        #expect(node02[1].findings.first?.hasPrefix("not synchronised") == true)
        #expect(try reopened.entries(since: 1500).count == 2)
        #expect(try reopened.report(id: first) == early)

        let text = HistoryRenderer.render(node02)
        #expect(text.hasPrefix("node02\n"))
        #expect(text.contains("-300.0 ms"))
        #expect(text.contains("critical"))
    }

    /// A history written before the thresholds were renamed (`maxOffset`/`critical` at the top of the stored
    /// report) still reads, with its thresholds. The old row is made with the sqlite3 tool, as an older Flotilla
    /// left it.
    @Test func reportsStoredWithTheOldThresholdNamesStillRead() async throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let report = AuditReport(startedAt: 1000, duration: 1, policy: try AuditPolicy(maxOffset: 0.02, critical: 0.5), hosts: [try Fixture.audit("synced", host: "node01")])
        let id = try AuditHistory(path: path).record(report)
        let sql = """
            UPDATE audit_run SET report_json = json_remove(json_set(report_json, '$.maxOffset', 0.02, '$.critical', 0.5), '$.thresholds') WHERE id = \(id);
            SELECT report_json FROM audit_run WHERE id = \(id);
            """
        let result = try await offload { try LocalProcess.run(["sqlite3", path, sql]) }
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("\"critical\":0.5") && !result.text.contains("thresholds"), "\(result.text)")
        let read = try #require(try AuditHistory(path: path).report(id: id))
        #expect(read.thresholds == AuditReport.Thresholds(warnSeconds: 0.02, criticalSeconds: 0.5))
        #expect(read == report)
    }

    @Test func migrationsAreNamedSoTheJournalCanShareTheFile() {
        #expect(!AuditHistory.migrationNames.isEmpty)
        #expect(AuditHistory.migrationNames.allSatisfy { $0.hasPrefix("audit-") })
    }

    @Test func unwritableLocationIsAnErrorNamingThePath() {
        let error = #expect(throws: DriftError.self) { try AuditHistory(path: "/proc/flotilla/flotilla.sqlite") }
        #expect(error?.description.hasPrefix("audit history /proc/flotilla/flotilla.sqlite:") == true)
    }
}
