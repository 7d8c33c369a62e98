import Engine
import Foundation
import GRDB
import Testing

/// Journals written before `journal-2` (step durations, retries, refused hosts) open, migrate and read back.
@Suite struct JournalMigrationTests {
    /// `sqlite3 .dump` of a journal written by Flotilla at commit a7cf86b (migration `journal-1` only): run 1 is
    /// that binary's own `apply` to two unreachable hosts; run 2 was added by hand in the same schema, as that
    /// version wrote it: a saved plan applied, one host changed by a 40.25 s step, one refused (then recorded as
    /// `skipped` with a message starting "refused").
    static let journal1 = #"""
        PRAGMA foreign_keys=OFF;
        BEGIN TRANSACTION;
        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
        INSERT INTO grdb_migrations VALUES('journal-1');
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
        INSERT INTO journal_run VALUES(1,1796406450.8025195598,1796406450.8088617324,'completed',NULL,'app.yml','sha256:a8376c413dc7196f3430c721581f983abcbcd3355b00519126e01838bec8260f','8c205da24230b7aa0c9d898ae31dde5ff3cb6d6d32d48ebe0a1961198fa7df61',NULL,'app config: serial all; max_failures 2','{}','flotilla apply -i hosts.ini app.yml --yes --connect-timeout 2s',10873,1);
        INSERT INTO journal_run VALUES(2,1796406500.5,1796406561.25,'completed',NULL,'app.yml','sha256:a8376c413dc7196f3430c721581f983abcbcd3355b00519126e01838bec8260f','8c205da24230b7aa0c9d898ae31dde5ff3cb6d6d32d48ebe0a1961198fa7df61','app.plan','app config: serial all; max_failures 2','{}','flotilla apply -i hosts.ini app.plan --yes',10874,1);
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
        INSERT INTO journal_host VALUES(1,0,'app config','web01',1,'unreachable','unreachable: web01: cannot connect to 127.0.0.1 port 1: Connection refused','',NULL,1,1796406450.8040299416,1796406450.8083577156);
        INSERT INTO journal_host VALUES(1,0,'app config','web02',1,'unreachable','unreachable: web02: cannot connect to 127.0.0.1 port 1: Connection refused','',NULL,1,1796406450.8045258522,1796406450.8051142692);
        INSERT INTO journal_host VALUES(2,0,'app config','web01',1,'changed','1 change applied in 1 step','file[/etc/app.conf]',NULL,1,1796406500.5999999046,1796406561.2000000476);
        INSERT INTO journal_host VALUES(2,0,'app config','web02',1,'skipped','refused: the host''s facts changed since the plan was made (plan again); nothing was changed','',NULL,1,1796406500.5999999046,1796406501.0);
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
        INSERT INTO journal_step VALUES(2,0,'web01',1,1,'file[/etc/app.conf]','write /etc/app.conf (0644 root:root)','exit 0',1,'','',1796406520.7499999999,1796406561.0);
        DELETE FROM sqlite_sequence;
        INSERT INTO sqlite_sequence VALUES('journal_run',2);
        COMMIT;
        """#

    /// Writes the old journal to a fresh file, as a user's file would be before upgrading.
    static func oldJournal() throws -> TemporaryJournalPath {
        let tmp = TemporaryJournalPath()
        try FileManager.default.createDirectory(atPath: tmp.directory, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: tmp.path)
        try queue.writeWithoutTransaction { db in try db.execute(sql: journal1) }
        try queue.close()
        return tmp
    }

    @Test func aJournalFromBeforeStepDurationsOpensAndReadsBackWithTheirDurations() async throws {
        let tmp = try Self.oldJournal()
        defer { tmp.remove() }
        let journal = try await Journal.open(path: tmp.path)

        let runs = try await journal.runs()
        #expect(runs.map(\.id) == [2, 1])
        #expect(runs.map(\.status) == [.completed, .completed])
        // The refused host is told apart from a skipped one, and the runs say what kept them from converging.
        #expect(runs[0].counts == [.changed: 1, .refused: 1])
        #expect(runs[0].summary == "completed with refusals")
        #expect(runs[1].counts == [.unreachable: 2])
        #expect(runs[1].summary == "completed with failures")
        #expect(runs.allSatisfy { $0.retryOf == nil && $0.retriedBy.isEmpty })

        let detail = try await journal.run(2)
        let web01 = try #require(detail.hosts.first { $0.report.host == "web01" })
        let step = try #require(web01.history.first?.step)
        // Steps written before durations were kept get finished - started.
        #expect(abs(step.duration - 40.25) < 0.001, "\(step.duration)")
        #expect(detail.hosts.first { $0.report.host == "web02" }?.report.outcome == .refused)

        // The migrated file takes new runs, linked retries and measured durations.
        let id = try await journal.start(
            Journal.NewRun(
                playbookPath: "app.yml", playbookDigest: "sha256:aa", inventoryDigest: "bb", planFile: nil, rollout: "serial all",
                rolloutOverride: RolloutOverride(), commandLine: "flotilla apply --retry-failed 1", hosts: [(0, "app config", "web01", 1)],
                retryOf: 1))
        #expect(id == 3)
        let now = Date()
        try await journal.recordStep(
            id, playIndex: 0, host: "web01", attempt: 1,
            StepRecord(
                index: 1, resource: "file[/etc/app.conf]", description: "write", status: "exit 0", succeeded: true, stdoutTail: "", stderrTail: "",
                started: now, finished: now, duration: 1.5))
        #expect(try await journal.run(id).run.retryOf == 1)
        #expect(try await journal.run(1).run.retriedBy == [3])
        #expect(try await journal.run(id).hosts.first?.history.first?.step.duration == 1.5)

        // Opening it again migrates nothing twice.
        _ = try await Journal.open(path: tmp.path)
        #expect(try await journal.runs().count == 3)
    }
}
