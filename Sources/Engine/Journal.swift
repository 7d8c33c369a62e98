public import Foundation
import GRDB
public import FlotillaCore

/// The apply journal: every run, its hosts and their steps, in SQLite (the file it shares with the audit
/// history, `FlotillaPaths.database`).
///
/// WAL mode, and every write is one transaction, so a controller killed at any instant leaves the last
/// committed state readable. A run left `running` by a process that is gone reads as `interrupted`.
/// All database work runs on GRDB's own serial queues (its async accessors), never on the cooperative pool.
public final class Journal: Sendable {
    public let path: String
    private let pool: DatabasePool
    private let isAlive: @Sendable (Int32) -> Bool

    /// The process that writes the runs it starts or resumes.
    public static var currentPID: Int32 { getpid() }

    private init(path: String, pool: DatabasePool, isAlive: @escaping @Sendable (Int32) -> Bool) {
        self.path = path
        self.pool = pool
        self.isAlive = isAlive
    }

    /// Opens (creating it and its directory when needed) and migrates the journal at `path`.
    /// `isAlive` tells whether a controller process still runs (tests pass their own).
    public static func open(
        path: String = FlotillaPaths.database, isAlive: @escaping @Sendable (Int32) -> Bool = Journal.processIsAlive
    ) async throws(EngineError) -> Journal {
        do {
            let pool = try await offload { () throws -> DatabasePool in
                try PrivateState.prepare(databasePath: path)
                var config = Configuration()
                config.busyMode = .timeout(10)
                config.label = "flotilla-journal"
                // WAL with synchronous=NORMAL: a killed controller never loses a committed transaction nor
                // corrupts the file (only a power loss may drop the last commits); no fsync per step written.
                config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
                let pool = try DatabasePool(path: path, configuration: config)
                try Self.migrator.migrate(pool)
                return pool
            }
            return Journal(path: path, pool: pool, isAlive: isAlive)
        } catch {
            throw .journal(path: path, operation: "open", reason: "\(error)")
        }
    }

    /// True while a process with this id exists.
    public static func processIsAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("journal-1") { db in
            try db.execute(sql: """
                CREATE TABLE journal_run (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    started REAL NOT NULL,
                    finished REAL,
                    status TEXT NOT NULL,
                    reason TEXT,
                    playbook_path TEXT NOT NULL,
                    playbook_digest TEXT NOT NULL,
                    inventory_digest TEXT NOT NULL,
                    plan_file TEXT,
                    rollout TEXT NOT NULL,
                    rollout_override TEXT NOT NULL,
                    command_line TEXT NOT NULL,
                    controller_pid INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 1
                );
                CREATE TABLE journal_host (
                    run_id INTEGER NOT NULL REFERENCES journal_run(id) ON DELETE CASCADE,
                    play_index INTEGER NOT NULL,
                    play TEXT NOT NULL,
                    host TEXT NOT NULL,
                    batch INTEGER NOT NULL,
                    outcome TEXT NOT NULL,
                    message TEXT NOT NULL DEFAULT '',
                    changes TEXT NOT NULL DEFAULT '',
                    guard TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    started REAL,
                    finished REAL,
                    PRIMARY KEY (run_id, play_index, host)
                );
                CREATE TABLE journal_step (
                    run_id INTEGER NOT NULL REFERENCES journal_run(id) ON DELETE CASCADE,
                    play_index INTEGER NOT NULL,
                    host TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    step_index INTEGER NOT NULL,
                    resource TEXT NOT NULL,
                    description TEXT NOT NULL,
                    status TEXT NOT NULL,
                    succeeded INTEGER NOT NULL,
                    stdout_tail TEXT NOT NULL,
                    stderr_tail TEXT NOT NULL,
                    started REAL NOT NULL,
                    finished REAL NOT NULL,
                    PRIMARY KEY (run_id, play_index, host, attempt, step_index)
                );
                """)
        }
        // Each step's duration on a monotonic clock (older steps get finished - started); the run a run retries;
        // refused hosts apart from skipped ones (they were 'skipped' with a message that starts with "refused").
        m.registerMigration("journal-2") { db in
            try db.execute(sql: """
                ALTER TABLE journal_step ADD COLUMN duration REAL;
                UPDATE journal_step SET duration = MAX(0, finished - started);
                ALTER TABLE journal_run ADD COLUMN retry_of INTEGER;
                CREATE INDEX journal_run_retry_of ON journal_run(retry_of);
                UPDATE journal_host SET outcome = 'refused' WHERE outcome = 'skipped' AND message LIKE 'refused%';
                """)
        }
        return m
    }

    // MARK: writing

    /// What a new run starts with.
    public struct NewRun: Sendable {
        public var playbookPath: String
        public var playbookDigest: String
        public var inventoryDigest: String
        public var planFile: String?
        public var rollout: String
        public var rolloutOverride: RolloutOverride
        public var commandLine: String
        /// Every host of every play with its batch number, all `pending`.
        public var hosts: [(playIndex: Int, play: String, host: String, batch: Int)]
        /// The run whose failed and unreachable hosts this one retries.
        public var retryOf: Int64?

        public init(
            playbookPath: String, playbookDigest: String, inventoryDigest: String, planFile: String?, rollout: String,
            rolloutOverride: RolloutOverride, commandLine: String, hosts: [(playIndex: Int, play: String, host: String, batch: Int)],
            retryOf: Int64? = nil
        ) {
            self.retryOf = retryOf
            self.playbookPath = playbookPath
            self.playbookDigest = playbookDigest
            self.inventoryDigest = inventoryDigest
            self.planFile = planFile
            self.rollout = rollout
            self.rolloutOverride = rolloutOverride
            self.commandLine = commandLine
            self.hosts = hosts
        }
    }

    /// Records a new run and all its hosts (pending) in one transaction; returns the run's id.
    public func start(_ run: NewRun, at date: Date = Date(), pid: Int32 = Journal.currentPID) async throws(EngineError) -> Int64 {
        let override = String(decoding: (try? JSONEncoder().encode(run.rolloutOverride)) ?? Data("{}".utf8), as: UTF8.self)
        return try await write("start a run") { db in
            try db.execute(
                sql: """
                    INSERT INTO journal_run (started, status, playbook_path, playbook_digest, inventory_digest, plan_file,
                        rollout, rollout_override, command_line, controller_pid, retry_of)
                    VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    date.timeIntervalSince1970, run.playbookPath, run.playbookDigest, run.inventoryDigest, run.planFile, run.rollout,
                    override, run.commandLine, pid, run.retryOf,
                ])
            let id = db.lastInsertedRowID
            for h in run.hosts {
                try db.execute(
                    sql: "INSERT INTO journal_host (run_id, play_index, play, host, batch, outcome) VALUES (?, ?, ?, ?, ?, 'pending')",
                    arguments: [id, h.playIndex, h.play, h.host, h.batch])
            }
            return id
        }
    }

    /// Takes over a run for `--resume`: running again, under this process, one more attempt.
    public func resume(_ id: Int64, pid: Int32 = Journal.currentPID) async throws(EngineError) {
        try await write("resume run \(id)") { db in
            try db.execute(
                sql: "UPDATE journal_run SET status = 'running', reason = NULL, finished = NULL, controller_pid = ?, attempts = attempts + 1 WHERE id = ?",
                arguments: [pid, id])
        }
    }

    /// Moves hosts to other batches (a resume re-plans the batches of the hosts left).
    public func assignBatches(_ id: Int64, _ batches: [(playIndex: Int, host: String, batch: Int)]) async throws(EngineError) {
        try await write("record batches of run \(id)") { db in
            for b in batches {
                try db.execute(
                    sql: "UPDATE journal_host SET batch = ?, outcome = 'pending', message = '' WHERE run_id = ? AND play_index = ? AND host = ?",
                    arguments: [b.batch, id, b.playIndex, b.host])
            }
        }
    }

    /// A host's batch started: running, one more attempt, its earlier message cleared. Returns the attempt number.
    public func hostStarted(_ id: Int64, playIndex: Int, host: String, at date: Date = Date()) async throws(EngineError) -> Int {
        try await write("record host \(host)") { db in
            try db.execute(
                sql: """
                    UPDATE journal_host SET outcome = 'running', message = '', attempts = attempts + 1, started = ?, finished = NULL
                    WHERE run_id = ? AND play_index = ? AND host = ?
                    """,
                arguments: [date.timeIntervalSince1970, id, playIndex, host])
            return try Int.fetchOne(
                db, sql: "SELECT attempts FROM journal_host WHERE run_id = ? AND play_index = ? AND host = ?", arguments: [id, playIndex, host]) ?? 1
        }
    }

    public func recordStep(_ id: Int64, playIndex: Int, host: String, attempt: Int, _ step: StepRecord) async throws(EngineError) {
        try await write("record a step of \(host)") { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO journal_step (run_id, play_index, host, attempt, step_index, resource, description, status,
                        succeeded, stdout_tail, stderr_tail, started, finished, duration)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    id, playIndex, host, attempt, step.index, step.resource, SecretRegistry.redact(step.description), step.status, step.succeeded,
                    SecretRegistry.redact(step.stdoutTail), SecretRegistry.redact(step.stderrTail), step.started.timeIntervalSince1970, step.finished.timeIntervalSince1970, step.duration,
                ])
        }
    }

    /// A host's outcome (its steps were recorded as they ran).
    public func hostFinished(_ id: Int64, _ report: HostReport) async throws(EngineError) {
        try await write("record host \(report.host)") { db in
            try db.execute(
                sql: """
                    UPDATE journal_host SET outcome = ?, message = ?, changes = ?, guard = ?, batch = ?,
                        started = COALESCE(?, started), finished = ?
                    WHERE run_id = ? AND play_index = ? AND host = ?
                    """,
                arguments: [
                    report.outcome.rawValue, SecretRegistry.redact(report.message), report.changes.joined(separator: "\n"), report.guardState, report.batch,
                    report.started?.timeIntervalSince1970, (report.finished ?? Date()).timeIntervalSince1970, id, report.playIndex,
                    report.host,
                ])
        }
    }

    /// Hosts the run will not start (the budget stopped it): skipped, with the reason.
    public func skip(_ id: Int64, hosts: [(playIndex: Int, host: String)], reason: String) async throws(EngineError) {
        try await write("record skipped hosts") { db in
            for h in hosts {
                try db.execute(
                    sql: "UPDATE journal_host SET outcome = 'skipped', message = ? WHERE run_id = ? AND play_index = ? AND host = ?",
                    arguments: [reason, id, h.playIndex, h.host])
            }
        }
    }

    /// The run's end: completed, stopped (with why), failed or interrupted.
    public func finish(_ id: Int64, status: RunStatus, reason: String?, at date: Date = Date()) async throws(EngineError) {
        try await write("finish run \(id)") { db in
            // Hosts caught mid-batch by an interruption go back to pending: resume redoes them.
            if status == .interrupted {
                try db.execute(sql: "UPDATE journal_host SET outcome = 'pending' WHERE run_id = ? AND outcome = 'running'", arguments: [id])
            }
            try db.execute(
                sql: "UPDATE journal_run SET status = ?, reason = ?, finished = ? WHERE id = ?",
                arguments: [status.rawValue, reason, date.timeIntervalSince1970, id])
        }
    }

    // MARK: reading

    /// Every run, newest first.
    public func runs(limit: Int = 1000) async throws(EngineError) -> [RunRecord] {
        try await read("list runs") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM journal_run ORDER BY id DESC LIMIT ?", arguments: [limit]).map { try self.record($0, db) }
        }
    }

    /// One run with all its hosts and their steps.
    public func run(_ id: Int64) async throws(EngineError) -> RunDetail {
        let detail: RunDetail? = try await read("read run \(id)") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM journal_run WHERE id = ?", arguments: [id]) else { return nil }
            let run = try self.record(row, db)
            let steps = try Row.fetchAll(
                db, sql: "SELECT * FROM journal_step WHERE run_id = ? ORDER BY play_index, host, attempt, step_index", arguments: [id])
            var byHost: [String: [JournalStep]] = [:]
            for s in steps {
                let key = "\(s["play_index"] as Int)\u{0}\(s["host"] as String)"
                byHost[key, default: []].append(JournalStep(attempt: s["attempt"], step: Self.step(s)))
            }
            let hosts = try Row.fetchAll(
                db, sql: "SELECT * FROM journal_host WHERE run_id = ? ORDER BY play_index, batch, rowid", arguments: [id])
            return RunDetail(
                run: run,
                hosts: hosts.map { h in
                    let playIndex: Int = h["play_index"]
                    let host: String = h["host"]
                    let history = byHost["\(playIndex)\u{0}\(host)"] ?? []
                    let attempts: Int = h["attempts"]
                    let changes: String = h["changes"]
                    let report = HostReport(
                        host: host, playIndex: playIndex, play: h["play"], batch: h["batch"],
                        outcome: HostOutcome(rawValue: h["outcome"]) ?? .pending, message: h["message"],
                        changes: changes.isEmpty ? [] : changes.components(separatedBy: "\n"),
                        steps: history.filter { $0.attempt == attempts }.map(\.step), guardState: h["guard"],
                        started: (h["started"] as Double?).map(Date.init(timeIntervalSince1970:)),
                        finished: (h["finished"] as Double?).map(Date.init(timeIntervalSince1970:)))
                    return JournalHost(report: report, attempts: attempts, history: history)
                })
        }
        guard let detail else { throw .noSuchRun(id: id, path: path) }
        return detail
    }

    /// The newest run that `--resume` without an id continues.
    public func latestResumable() async throws(EngineError) -> Int64? {
        try await runs(limit: 50).first { $0.status.isResumable }?.id
    }

    /// The newest run when it completed with failed or unreachable hosts (what `--retry-failed` would retry).
    public func latestRetriable() async throws(EngineError) -> Int64? {
        try await runs(limit: 1).first { $0.status == .completed && $0.failedOrUnreachable > 0 }?.id
    }

    /// The newest run, if any.
    public func latestRun() async throws(EngineError) -> Int64? {
        try await runs(limit: 1).first?.id
    }

    private func record(_ row: Row, _ db: Database) throws -> RunRecord {
        let id: Int64 = row["id"]
        var status = RunStatus(rawValue: row["status"]) ?? .failed
        var reason: String? = row["reason"]
        let pid: Int32 = row["controller_pid"]
        if status == .running && !isAlive(pid) {
            status = .interrupted
            reason = "the controller (process \(pid)) ended without finishing the run"
        }
        var counts: [HostOutcome: Int] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT outcome, COUNT(*) AS n FROM journal_host WHERE run_id = ? GROUP BY outcome", arguments: [id]) {
            if let o = HostOutcome(rawValue: r["outcome"]) { counts[o] = r["n"] }
        }
        let retriedBy = try Int64.fetchAll(db, sql: "SELECT id FROM journal_run WHERE retry_of = ? ORDER BY id", arguments: [id])
        let overrideText: String = row["rollout_override"]
        let override = (try? JSONDecoder().decode(RolloutOverride.self, from: Data(overrideText.utf8))) ?? RolloutOverride()
        return RunRecord(
            id: id, started: Date(timeIntervalSince1970: row["started"]),
            finished: (row["finished"] as Double?).map(Date.init(timeIntervalSince1970:)), status: status, reason: reason,
            playbookPath: row["playbook_path"], playbookDigest: row["playbook_digest"], inventoryDigest: row["inventory_digest"],
            planFile: row["plan_file"], rollout: row["rollout"], rolloutOverride: override, commandLine: row["command_line"],
            attempts: row["attempts"], counts: counts, retryOf: row["retry_of"], retriedBy: retriedBy)
    }

    private static func step(_ s: Row) -> StepRecord {
        StepRecord(
            index: s["step_index"], resource: s["resource"], description: s["description"], status: s["status"],
            succeeded: s["succeeded"], stdoutTail: s["stdout_tail"], stderrTail: s["stderr_tail"],
            started: Date(timeIntervalSince1970: s["started"]), finished: Date(timeIntervalSince1970: s["finished"]), duration: s["duration"])
    }

    /// Writes in a task of its own: a cancelled run (Ctrl-C) still records how it ended, since GRDB's
    /// async accessors give up when the calling task is cancelled.
    private func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(EngineError) -> T {
        let pool = self.pool
        do { return try await Task { try await pool.write(body) }.value } catch {
            throw .journal(path: path, operation: operation, reason: "\(error)")
        }
    }

    private func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(EngineError) -> T {
        let pool = self.pool
        do { return try await Task { try await pool.read(body) }.value } catch {
            throw .journal(path: path, operation: operation, reason: "\(error)")
        }
    }
}
