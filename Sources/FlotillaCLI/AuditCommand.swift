public import ArgumentParser
import Drift
import Foundation
import FlotillaCore
import Inventory
import Plan

/// `flotilla audit`: the fleet's clocks, how far off, within what bound, which hosts are wrong and why.
public struct AuditCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit clock sync across the fleet: offsets with error bounds, a cross-check, daemons, verdicts.",
        discussion: """
            Per host, over one connection: the time daemons' packages and units, `chronyc -c tracking` and \
            `chronyc -c sources` (one round trip), then a cross-check of the host's clock against this one \
            (several `date +%s.%N` samples, the one with the smallest round trip kept). Expected sources come \
            from the PLAYBOOK (sync-gate source, else its servers) or the inventory's chrony_servers.

            Verdicts (docs/audit.md has the whole table): ok only when confirmed: the error bound \
            (|offset| + root dispersion + root delay / 2, the BOUND column) within --max-offset (equal is within) \
            and the selected source's last sample agreeing; warn \
            (|offset| above --max-offset or not confirmed within it, the source's last sample beyond it while \
            chrony has not caught up, a competing daemon enabled, a removed daemon back, the guard missing or \
            incomplete, chrony not enabled, an unexpected or unreachable source); critical (|offset| above \
            --critical, not synchronised, chrony not installed, stopped or masked, a competing daemon active, chrony \
            claiming sync while the cross-check disagrees beyond both bounds); unknown (unreachable, the audit or \
            the cross-check failed, or the host printed a value that is refused: not a finite number or out of \
            range, see docs/limits.md). A host's verdict is its most severe finding (critical > warn > unknown > ok).

            Every audit is recorded in the SQLite database ($FLOTILLA_DB, else /var/lib/flotilla/flotilla.sqlite \
            for root); `--history [--since 24h] [HOST]` shows how offsets moved.

            Exit status: 0 all hosts ok, 2 any host not ok, 1 on Flotilla's own errors.
            """)

    @Option(name: [.customShort("i"), .long], help: ArgumentHelp("Inventory file or directory (repeatable).", valueName: "file"))
    public var inventory: [String] = []

    @Option(help: ArgumentHelp("Host pattern as Ansible's --limit.", valueName: "pattern"))
    public var limit: String?

    @OptionGroup public var fleet: FleetOptions

    @OptionGroup public var vault: VaultOptions

    @Argument(help: ArgumentHelp("The playbook the fleet should follow (expected sources, removed daemons); with --history: a host name.", valueName: "playbook|host"))
    public var playbook: String?

    @Option(name: .customLong("max-offset"), parsing: .unconditional, help: ArgumentHelp("Warn above this |offset| (default 50ms, at most 1d).", valueName: "duration"))
    public var maxOffset: String = "50ms"

    @Option(parsing: .unconditional, help: ArgumentHelp("Critical above this |offset| (default 1s, at most 1d).", valueName: "duration"))
    public var critical: String = "1s"

    @Flag(help: "Print the report as JSON (same as --format json).")
    public var json = false

    @Option(help: ArgumentHelp("table, json or prometheus (text exposition for a textfile collector).", valueName: "format"))
    public var format: AuditFormat?

    @Option(help: ArgumentHelp("Also write a self-contained HTML page with a chart of every host's offset.", valueName: "file"))
    public var html: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Cross-check samples per host, 0 to 100 (0: no cross-check).", valueName: "n"))
    public var samples: Int = 5

    @Flag(help: "Show the recorded audits instead of auditing.")
    public var history = false

    @Option(parsing: .unconditional, help: ArgumentHelp("With --history: how far back (default 24h, at most 3650d).", valueName: "duration"))
    public var since: String = "24h"

    public init() {}

    var outputFormat: AuditFormat { format ?? (json ? .json : .table) }

    public func validate() throws {
        if json, let format, format != .json { throw ValidationError("--json and --format \(format.rawValue) contradict each other.") }
        if history {
            _ = try OptionRange.duration(since, option: "--since", OptionRange.since)
            if outputFormat == .prometheus { throw ValidationError("--history prints a table or JSON, not Prometheus metrics.") }
            return
        }
        if inventory.isEmpty { throw ValidationError("Give an inventory with -i FILE (a file or a directory).") }
        let warn = try OptionRange.duration(maxOffset, option: "--max-offset", OptionRange.threshold)
        let crit = try OptionRange.duration(critical, option: "--critical", OptionRange.threshold)
        if crit < warn { throw ValidationError("--critical (\(critical)) must be at least --max-offset (\(maxOffset)).") }
        try OptionRange.check(samples, option: "--samples", OptionRange.samples, note: "0: no cross-check")
    }

    public func run() async throws {
        let console = Console.shared
        do {
            if history {
                try await showHistory(console)
            } else {
                let code = try await audit(console)
                await console.flush()
                if code != 0 { throw ExitCode(code) }
            }
        } catch let exit as ExitCode {
            await console.flush()
            throw exit
        } catch is CancellationError {
            console.err("audit interrupted\n")
            await console.flush()
            throw ExitCode.failure
        } catch {
            console.err("\(error)\n")
            await console.flush()
            throw ExitCode.failure
        }
    }

    func audit(_ console: Console) async throws -> Int32 {
        var options = try InventoryOptions.parse([])
        options.inventory = inventory
        options.limit = limit
        options.vault = vault
        let loaded = try await loadTargets(options, fleet)
        let expectations: AuditExpectations
        if let playbook {
            let book = try await offload { try Playbook.load(path: playbook) }
            expectations = try AuditExpectations.from(playbook: book, inventory: loaded.inventory, hosts: loaded.hosts)
        } else {
            expectations = try AuditExpectations.from(inventory: loaded.inventory, hosts: loaded.hosts)
        }
        let policy = try AuditPolicy(
            maxOffset: try OptionRange.duration(maxOffset, option: "--max-offset", OptionRange.threshold).seconds,
            critical: try OptionRange.duration(critical, option: "--critical", OptionRange.threshold).seconds)
        let targets = loaded.targets.map {
            FleetAudit.Target(connection: $0, expectedSources: expectations.sources[$0.name] ?? [], daemons: expectations.daemons[$0.name])
        }
        let transport = fleet.transport()
        let total = targets.count, forks = fleet.forks, samples = samples
        let done = Counter()
        console.progress("[0/\(total)] auditing")
        let report = try await cancellableOnInterrupt {
            await FleetAudit.run(targets, transport: transport, forks: forks, policy: policy, samples: samples) { _, _ in
                console.progress("[\(done.increment())/\(total)] auditing")
            }
        }
        console.progress(nil)
        switch outputFormat {
        case .table: console.out(AuditTableStyle.colour(TableRenderer.render(report), style: Style(terminal: console.stdoutIsTerminal)))
        case .json: console.out(try JSONRenderer.render(report))
        case .prometheus: console.out(PrometheusRenderer.render(report))
        }
        var failed = false
        if let html {
            let page = HTMLRenderer.render(report)
            do {
                try await offload { try page.write(toFile: html, atomically: true, encoding: .utf8) }
                console.err("HTML report written to \(html)\n")
            } catch {
                console.err("cannot write \(html): \(error.localizedDescription)\n")
                failed = true
            }
        }
        let database = FlotillaPaths.database
        do {
            _ = try await offload { try AuditHistory(path: database).record(report) }
        } catch {
            console.err("the audit was not recorded: \(error)\n")
            failed = true
        }
        return failed ? 1 : report.exitCode
    }

    func showHistory(_ console: Console) async throws {
        let database = FlotillaPaths.database
        let window = try OptionRange.duration(since, option: "--since", OptionRange.since).seconds
        let from = Date().timeIntervalSince1970 - window
        let host = playbook
        let entries = try await offload { try AuditHistory(path: database).entries(since: from, host: host) }
        switch outputFormat {
        case .json: console.out(try JSONRenderer.render(entries))
        default: console.out(HistoryRenderer.render(entries))
        }
        await console.flush()
    }
}

/// `--format`.
public enum AuditFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case table, json, prometheus
}

/// Colours the verdict words of the table on a terminal.
enum AuditTableStyle {
    static func colour(_ table: String, style: Style) -> String {
        guard style.enabled else { return table }
        return table.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var l = String(line)
            for (word, paint) in [("critical", style.red), ("warn", style.yellow), ("unknown", style.dim), ("ok", style.green)] {
                if let r = l.range(of: "  \(word)  ") ?? (l.hasPrefix("    \(word):") ? l.range(of: word) : nil) {
                    l.replaceSubrange(r, with: l[r].replacingOccurrences(of: word, with: paint(word)))
                    break
                }
            }
            return l
        }.joined(separator: "\n")
    }
}
