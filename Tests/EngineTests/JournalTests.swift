import Engine
import GRDB
import FlotillaCore
import Foundation
import Testing

@Suite struct JournalTests {
    func newRun(hosts: [(Int, String, String, Int)]) -> Journal.NewRun {
        Journal.NewRun(
            playbookPath: "Playbooks/chrony.yml", playbookDigest: "sha256:aa", inventoryDigest: "bb", planFile: nil,
            rollout: "serial 1,3,100%; max_failures 1", rolloutOverride: RolloutOverride(serial: [.count(1)]),
            commandLine: "flotilla apply -i lab.yml Playbooks/chrony.yml",
            hosts: hosts.map { (playIndex: $0.0, play: $0.1, host: $0.2, batch: $0.3) })
    }

    /// The journal holds hosts, commands and their output: its folder, the database and SQLite's -wal and -shm
    /// files are the owner's alone, and an older journal left at 0644 is tightened when it is opened.
    @Test func theJournalAndItsFolderAreReadableByTheirOwnerOnly() async throws {
        let folder = NSTemporaryDirectory() + "flotilla-journal-mode-\(UUID().uuidString)/state"
        let path = folder + "/flotilla.sqlite"
        defer { try? FileManager.default.removeItem(atPath: (folder as NSString).deletingLastPathComponent) }
        func mode(_ p: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: p)[.posixPermissions] as! NSNumber).intValue
        }
        let journal = try await Journal.open(path: path)
        _ = try await journal.start(newRun(hosts: [(0, "p", "node01", 1)]))
        #expect(try mode(folder) == 0o700)
        #expect(try mode((folder as NSString).deletingLastPathComponent) == 0o700)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(Set(files).isSuperset(of: ["flotilla.sqlite", "flotilla.sqlite-wal", "flotilla.sqlite-shm"]), "\(files)")
        for file in files { #expect(try mode(folder + "/" + file) == 0o600, "\(file)") }

        for file in files { chmod(folder + "/" + file, 0o644) }
        _ = try await Journal.open(path: path)
        for file in files { #expect(try mode(folder + "/" + file) == 0o600, "\(file) after reopening") }
    }

    @Test func runHostsAndStepsAreWrittenAndReadBack() async throws {
        let tmp = TemporaryJournalPath()
        defer { tmp.remove() }
        let journal = try await Journal.open(path: tmp.path)
        let id = try await journal.start(newRun(hosts: [(0, "p", "node01", 1), (0, "p", "node02", 2)]))
        let attempt = try await journal.hostStarted(id, playIndex: 0, host: "node01")
        #expect(attempt == 1)
        let now = Date()
        let step = StepRecord(
            index: 1, resource: "package[ntp]", description: "apt-get purge ntp", status: "exit 0", succeeded: true, stdoutTail: "Removing ntp",
            stderrTail: "", started: now, finished: now)
        try await journal.recordStep(id, playIndex: 0, host: "node01", attempt: attempt, step)
        try await journal.hostFinished(
            id, HostReport(host: "node01", playIndex: 0, play: "p", batch: 1, outcome: .changed, message: "1 change", changes: ["package[ntp]"], steps: [step], guardState: "applied", started: now, finished: now))
        try await journal.skip(id, hosts: [(0, "node02")], reason: "not started: budget")
        try await journal.finish(id, status: .stopped, reason: "budget spent")

        let detail = try await journal.run(id)
        #expect(detail.run.status == .stopped)
        #expect(detail.run.reason == "budget spent")
        #expect(detail.run.rolloutOverride == RolloutOverride(serial: [.count(1)]))
        #expect(detail.run.counts == [.changed: 1, .skipped: 1])
        #expect(detail.hosts.map(\.report.host) == ["node01", "node02"])
        let first = detail.hosts[0]
        #expect(first.report.outcome == .changed)
        #expect(first.report.guardState == "applied")
        #expect(first.report.changes == ["package[ntp]"])
        #expect(first.history.map(\.step.description) == ["apt-get purge ntp"])
        #expect(first.history.first?.step.stdoutTail == "Removing ntp")
        #expect(detail.hosts[1].report.outcome == .skipped)
        #expect(detail.hosts[1].report.message == "not started: budget")

        let runs = try await journal.runs()
        #expect(runs.map(\.id) == [id])
        await #expect(throws: EngineError.self) { try await journal.run(id + 100) }
    }

    /// A decrypted vault value or a password a host prints back never reaches the journal (issue 17).
    @Test func secretsAreMaskedInWhatTheJournalStores() async throws {
        let secret = "journal-secret-\(UUID().uuidString)"
        SecretRegistry.register(secret)
        let tmp = TemporaryJournalPath()
        defer { tmp.remove() }
        let journal = try await Journal.open(path: tmp.path)
        let id = try await journal.start(newRun(hosts: [(0, "p", "node01", 1)]))
        let attempt = try await journal.hostStarted(id, playIndex: 0, host: "node01")
        let now = Date()
        let step = StepRecord(
            index: 1, resource: "file[/etc/x]", description: "write \(secret)", status: "exit 1", succeeded: false,
            stdoutTail: "printed \(secret)", stderrTail: "\(secret)!", started: now, finished: now)
        try await journal.recordStep(id, playIndex: 0, host: "node01", attempt: attempt, step)
        try await journal.hostFinished(
            id, HostReport(host: "node01", playIndex: 0, play: "p", batch: 1, outcome: .failed, message: "failed: \(secret)", changes: [], steps: [step], guardState: "", started: now, finished: now))
        try await journal.finish(id, status: .completed, reason: nil)
        let detail = try await journal.run(id)
        let stored = try #require(detail.hosts.first)
        #expect(stored.report.message == "failed: ********")
        #expect(stored.history.first?.step.description == "write ********")
        #expect(stored.history.first?.step.stdoutTail == "printed ********")
        #expect(stored.history.first?.step.stderrTail == "********!")
        // Nor in the database's files (WAL mode: the write-ahead log holds the newest pages).
        for path in [tmp.path, tmp.path + "-wal"] where FileManager.default.fileExists(atPath: path) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(path)")
        }
    }

    @Test func runLeftRunningByADeadControllerReadsAsInterrupted() async throws {
        let tmp = TemporaryJournalPath()
        defer { tmp.remove() }
        // A controller that "dies": its run stays running in the file; nothing finishes it.
        do {
            let controller = try await Journal.open(path: tmp.path)
            let id = try await controller.start(newRun(hosts: [(0, "p", "node01", 1)]), pid: 999_999)
            _ = try await controller.hostStarted(id, playIndex: 0, host: "node01")
        }
        let alive = try await Journal.open(path: tmp.path, isAlive: { _ in true })
        #expect(try await alive.runs().first?.status == .running)
        let reader = try await Journal.open(path: tmp.path, isAlive: { _ in false })
        let run = try #require(try await reader.runs().first)
        #expect(run.status == .interrupted)
        #expect(run.reason?.contains("999999") == true)
        #expect(try await reader.latestResumable() == run.id)
    }

    @Test func anotherModulesMigrationsInTheSameFileDoNotDisturbTheJournal() async throws {
        let tmp = TemporaryJournalPath()
        defer { tmp.remove() }
        let journal = try await Journal.open(path: tmp.path)
        _ = try await journal.start(newRun(hosts: [(0, "p", "a", 1)]))
        // The audit history registers its own `audit-` migrations in the same grdb_migrations table.
        try await LocalSQLite.execute(tmp.path, "INSERT INTO grdb_migrations (identifier) VALUES ('audit-1')")
        let again = try await Journal.open(path: tmp.path)
        #expect(try await again.runs().count == 1)
    }

    @Test func journalFileIsInWALMode() async throws {
        let tmp = TemporaryJournalPath()
        defer { tmp.remove() }
        _ = try await Journal.open(path: tmp.path)
        let queue = try DatabaseQueue(path: tmp.path)
        let mode = try await queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }
}

/// Raw SQL on the journal file, as another module of Flotilla (the audit history) would write it.
enum LocalSQLite {
    static func execute(_ path: String, _ sql: String) async throws {
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: sql) }
    }
}
