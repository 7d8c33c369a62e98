import Foundation
import GRDB
import FlotillaCore

/// Every audit, kept in the SQLite database the apply journal also uses (`FlotillaPaths.database`).
///
/// The history has its own migrator whose migrations are all named `audit-...`, so that the journal's migrator
/// (`journal-...`) can share the file: GRDB records applied migrations by name in one table, and each migrator
/// only looks at its own names.
public final class AuditHistory: Sendable {
    public let path: String
    private let queue: DatabaseQueue

    /// One host's line in the history.
    public struct Entry: Sendable, Codable, Hashable {
        public var auditID: Int64
        /// Unix time of the audit.
        public var time: Double
        public var host: String
        public var verdict: Verdict
        public var offset: Double?
        public var errorBound: Double?
        public var crossCheckOffset: Double?
        public var source: String?
        public var stratum: Int?
        /// The findings' messages, most severe first.
        public var findings: [String]
    }

    /// Opens (creating the file and its directory when needed) and migrates the history. Blocking: call it
    /// off the cooperative pool (`offload`).
    public init(path: String) throws(DriftError) {
        self.path = path
        do {
            try PrivateState.prepare(databasePath: path)
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(queue)
        } catch {
            throw .history(path: path, reason: "\(error)")
        }
    }

    /// The names of the history's migrations, all `audit-...` (the journal's are `journal-...`).
    public static var migrationNames: [String] { migrator.migrations }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("audit-v1") { db in
            try db.create(table: "audit_run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("started_at", .double).notNull().indexed()
                t.column("duration", .double).notNull()
                t.column("max_offset", .double).notNull()
                t.column("critical", .double).notNull()
                t.column("hosts", .integer).notNull()
                t.column("spread", .double)
                t.column("median", .double)
                t.column("report_json", .text).notNull()
            }
            try db.create(table: "audit_host") { t in
                t.column("audit_id", .integer).notNull().references("audit_run", onDelete: .cascade)
                t.column("host", .text).notNull()
                t.column("verdict", .text).notNull()
                t.column("offset", .double)
                t.column("error_bound", .double)
                t.column("crosscheck_offset", .double)
                t.column("source", .text)
                t.column("stratum", .integer)
                t.column("findings_json", .text).notNull()
                t.primaryKey(["audit_id", "host"])
            }
            try db.create(index: "audit_host_by_host", on: "audit_host", columns: ["host", "audit_id"])
        }
        return m
    }

    /// Stores an audit and returns its id. Blocking.
    @discardableResult
    public func record(_ report: AuditReport) throws(DriftError) -> Int64 {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = String(decoding: try encoder.encode(report), as: UTF8.self)
            return try queue.write { db in
                try db.execute(
                    sql: "INSERT INTO audit_run (started_at, duration, max_offset, critical, hosts, spread, median, report_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [report.startedAt, report.duration, report.thresholds.warnSeconds, report.thresholds.criticalSeconds, report.hosts.count, report.fleet.spread, report.fleet.median, json])
                let id = db.lastInsertedRowID
                for h in report.hosts {
                    let findings = String(decoding: try encoder.encode(h.findings.map(\.message)), as: UTF8.self)
                    try db.execute(
                        sql: "INSERT INTO audit_host (audit_id, host, verdict, offset, error_bound, crosscheck_offset, source, stratum, findings_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        arguments: [id, h.host, h.verdict.rawValue, h.offset, h.errorBound, h.crossCheck?.offset, h.source, h.chrony?.tracking?.stratum, findings])
                }
                return id
            }
        } catch let error as DriftError {
            throw error
        } catch {
            throw .history(path: path, reason: "cannot record the audit: \(error)")
        }
    }

    /// The history since `since` (Unix time), of one host or all, oldest first (then by host). Blocking.
    public func entries(since: Double, host: String? = nil) throws(DriftError) -> [Entry] {
        do {
            return try queue.read { db in
                var sql = """
                    SELECT r.id, r.started_at, h.host, h.verdict, h.offset, h.error_bound, h.crosscheck_offset, h.source, h.stratum, h.findings_json
                    FROM audit_host h JOIN audit_run r ON r.id = h.audit_id WHERE r.started_at >= ?
                    """
                var arguments: StatementArguments = [since]
                if let host {
                    sql += " AND h.host = ?"
                    arguments += [host]
                }
                sql += " ORDER BY r.started_at, r.id, h.host"
                return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                    let verdictText: String = row[3]
                    let findingsText: String = row[9]
                    let findings = (try? JSONDecoder().decode([String].self, from: Data(findingsText.utf8))) ?? []
                    return Entry(
                        auditID: row[0], time: row[1], host: row[2], verdict: Verdict(rawValue: verdictText) ?? .unknown,
                        offset: row[4], errorBound: row[5], crossCheckOffset: row[6], source: row[7], stratum: row[8], findings: findings)
                }
            }
        } catch {
            throw .history(path: path, reason: "cannot read the history: \(error)")
        }
    }

    /// The full stored report of one audit. Blocking.
    public func report(id: Int64) throws(DriftError) -> AuditReport? {
        do {
            let json = try queue.read { db in try String.fetchOne(db, sql: "SELECT report_json FROM audit_run WHERE id = ?", arguments: [id]) }
            return try json.map { try JSONDecoder().decode(AuditReport.self, from: Data($0.utf8)) }
        } catch {
            throw .history(path: path, reason: "cannot read audit \(id): \(error)")
        }
    }
}
