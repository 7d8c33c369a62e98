public import ArgumentParser
import Engine
import Foundation
import FlotillaCore

/// `flotilla runs`: the apply journal. `flotilla runs` lists the runs, `flotilla runs show RUN` shows one.
public struct RunsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs of `flotilla apply` from the journal, or show one with every host and step.",
        discussion: """
            The journal lives in $FLOTILLA_DB, else /var/lib/flotilla/flotilla.sqlite (root) or \
            ~/.local/state/flotilla/flotilla.sqlite. A run whose controller died shows as interrupted; \
            continue it with `flotilla apply --resume RUN -i INVENTORY`. A run that completed with hosts \
            failed, unreachable or refused shows as `completed with failures` or `completed with refusals`; \
            `flotilla apply --retry-failed RUN -i INVENTORY` retries its failed and unreachable hosts as a new \
            run, which the list shows as a retry of RUN. `runs show` prints how long each step took.
            """,
        subcommands: [List.self, Show.self],
        defaultSubcommand: List.self)

    public init() {}

    /// `flotilla runs [list]`.
    public struct List: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(commandName: "list", abstract: "List the runs, newest first.")

        @Option(parsing: .unconditional, help: ArgumentHelp("How many runs to list, 1 to 100000.", valueName: "n"))
        public var last: Int = 50

        @Flag(help: "Print one JSON object per run and line.")
        public var json = false

        public init() {}

        public func validate() throws {
            try OptionRange.check(last, option: "--last", OptionRange.last)
        }

        public func run() async throws {
            let console = Console.shared
            do {
                let journal = try await Journal.open()
                let runs = try await journal.runs(limit: last)
                console.out(json ? runs.map(RunsReport.jsonLine).joined() : RunsReport.table(runs, path: journal.path))
                await console.flush()
            } catch {
                console.err("flotilla runs: \(error)\n")
                await console.flush()
                throw ExitCode.failure
            }
        }
    }

    /// `flotilla runs show RUN`.
    public struct Show: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one run: every host and every step.")

        @Argument(help: ArgumentHelp("The run's number (see `flotilla runs`).", valueName: "run"))
        public var run: Int64

        @Flag(help: "Print the run as one JSON object.")
        public var json = false

        public init() {}

        public func run() async throws {
            let console = Console.shared
            do {
                let journal = try await Journal.open()
                let detail = try await journal.run(run)
                console.out(json ? RunsReport.json(detail) : RunsReport.detail(detail, style: Style(terminal: console.stdoutIsTerminal)))
                await console.flush()
            } catch {
                console.err("flotilla runs show: \(error)\n")
                await console.flush()
                throw ExitCode.failure
            }
        }
    }
}
