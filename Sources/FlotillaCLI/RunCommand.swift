public import ArgumentParser
import Foundation
import FlotillaCore
import SSH

/// `flotilla run`: a command on every selected host at once.
public struct RunCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a shell command on every selected host at once.",
        discussion: """
            Each host's output is shown as a labelled block as soon as it finishes, then a recap. \
            Exit status: 0 when every host succeeded, 2 when a command failed on any host, 4 when hosts \
            were unreachable (and none failed), 1 on errors of Flotilla itself.

            Examples:
              flotilla run -i Inventories/vpc.ini -- uptime
              flotilla run -i lab.yml --limit 'clients:!node03' --become -- systemctl is-active chrony
              flotilla run -i hosts.ini -c 'date +%s.%N' -c 'uname -r'   # two commands, one connection per host
            """)

    @OptionGroup public var inventory: InventoryOptions
    @OptionGroup public var fleet: FleetOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Limit for each command, e.g. 30s (at most 30d).", valueName: "duration"))
    public var timeout: String?

    @Flag(help: "Run through sudo as root (or the inventory's ansible_become_user).")
    public var become = false

    @Flag(help: "Print one JSON object per host per line.")
    public var json = false

    @Option(name: [.customShort("c"), .long], help: ArgumentHelp("A command to run (repeatable: all run in order over one connection).", valueName: "command"))
    public var command: [String] = []

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The command, after --.", valueName: "command"))
    public var words: [String] = []

    public init() {}

    public func validate() throws {
        try Self.refuseUnknownOption(words, of: Self.self)
        if commands.isEmpty { throw ValidationError("Give a command after --, e.g. flotilla run -i hosts.ini -- uptime") }
        if let timeout { _ = try OptionRange.duration(timeout, option: "--timeout", OptionRange.timeout) }
    }

    private var commands: [String] {
        let rest = words.first == "--" ? Array(words.dropFirst()) : words
        return command + (rest.isEmpty ? [] : [rest.joined(separator: " ")])
    }

    public func run() async throws {
        let commands = self.commands
        let limit = try timeout.map { try OptionRange.duration($0, option: "--timeout", OptionRange.timeout) }
        let (_, _, targets) = try await loadTargets(inventory, fleet, become: become)
        let transport = fleet.transport()
        let console = Console.shared
        let style = Style(terminal: console.stdoutIsTerminal)
        let started = ContinuousClock.now
        let done = Counter()
        let total = targets.count
        let json = self.json
        let forks = fleet.forks
        console.progress("[0/\(total)] running")

        let results = try await cancellableOnInterrupt {
            await Fleet.run(targets, transport: transport, forks: forks, finished: { index, result in
                let report = HostRunReport(target: targets[index], result: result)
                console.out(json ? report.jsonLine() : report.block(style: style))
                console.progress("[\(done.increment())/\(total)] running")
            }) { connection -> [CommandResult] in
                var results: [CommandResult] = []
                for line in commands {
                    let result = try await connection.run(RemoteCommand(.shell(line), timeout: limit, become: connection.target.become))
                    results.append(result)
                    if !result.status.isSuccess { break }
                }
                return results
            }
        }
        console.progress(nil)
        let reports = zip(targets, results).map { HostRunReport(target: $0, result: $1) }
        if !json { console.out(RunRecap(reports: reports, elapsed: started.duration(to: .now)).text(style: style)) }
        await console.flush()
        let failed = reports.contains { $0.outcome == .failed }
        let unreachable = reports.contains { $0.outcome == .unreachable }
        if failed { throw ExitCode(2) }
        if unreachable { throw ExitCode(4) }
    }
}

/// One host's part of a `flotilla run`.
struct HostRunReport {
    enum Outcome: String { case ok, failed, unreachable }

    let target: ConnectionTarget
    let result: HostResult<[CommandResult]>

    var outcome: Outcome {
        switch result {
        case .success(let results): results.allSatisfy(\.status.isSuccess) ? .ok : .failed
        case .failed: .failed
        case .unreachable: .unreachable
        }
    }

    /// A labelled block: a header line with the host and status, then its output.
    func block(style: Style) -> String {
        var text = ""
        switch result {
        case .success(let results):
            for (index, r) in results.enumerated() {
                let ok = r.status.isSuccess
                let label = ok ? style.green("\(target.name) | ok") : style.red("\(target.name) | FAILED")
                let more = results.count > 1 ? " | command \(index + 1)" : ""
                text += "\(style.bold(label)) | \(r.status)\(more) | \(DurationText.format(r.duration))\n"
                text += indentOutput(r.stdoutText)
                if !r.stderr.isEmpty { text += indentOutput(r.stderrText, prefix: style.yellow("stderr: ")) }
                if r.truncated { text += "  (output cut at the limit)\n" }
            }
        case .failed(let error):
            text += style.bold(style.red("\(target.name) | FAILED")) + " | \(error)\n"
        case .unreachable(let error):
            text += style.bold(style.red("\(target.name) | UNREACHABLE")) + " | \(error)\n"
        }
        return text
    }

    private func indentOutput(_ output: String, prefix: String = "") -> String {
        guard !output.isEmpty else { return "" }
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        return lines.map { "  \(prefix)\($0)\n" }.joined()
    }

    func jsonLine() -> String {
        var object: [String: Any] = ["host": target.name, "status": outcome.rawValue]
        switch result {
        case .success(let results):
            object["commands"] = results.map { r -> [String: Any] in
                var entry: [String: Any] = [
                    "stdout": r.stdoutText, "stderr": r.stderrText, "truncated": r.truncated,
                    "duration_s": r.duration.seconds,
                ]
                switch r.status {
                case .exited(let code): entry["exit_status"] = Int(code)
                case .signaled(let signal): entry["exit_signal"] = signal
                case .unknown: entry["exit_status"] = NSNull()
                case .timedOut: entry["timed_out"] = true
                }
                return entry
            }
        case .failed(let error), .unreachable(let error):
            object["error"] = "\(error)"
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// The recap after a run: counts and the hosts that did not succeed.
struct RunRecap {
    let reports: [HostRunReport]
    let elapsed: Duration

    func text(style: Style) -> String {
        let ok = reports.filter { $0.outcome == .ok }.count
        let failed = reports.filter { $0.outcome == .failed }
        let unreachable = reports.filter { $0.outcome == .unreachable }
        var text = "\n" + style.bold("Recap") + ": \(reports.count) host\(reports.count == 1 ? "" : "s") in \(DurationText.format(elapsed)): "
        text += style.green("\(ok) ok") + ", " + (failed.isEmpty ? "0 failed" : style.red("\(failed.count) failed"))
        text += ", " + (unreachable.isEmpty ? "0 unreachable" : style.red("\(unreachable.count) unreachable")) + "\n"
        for report in failed + unreachable {
            text += "  \(report.target.name): \(report.outcome.rawValue)\n"
        }
        return text
    }
}

extension ParsableCommand {
    /// Commands that pass a command line through (`run`, `lab exec`, `lab ssh`) take every word from the first one
    /// they do not know. A mistyped option (`--limt web1`) would then be the start of the remote command and run on
    /// every host: an unknown option before the command is an error instead, with the nearest option's name.
    static func refuseUnknownOption(_ words: [String], of command: any ParsableCommand.Type) throws {
        guard let first = words.first, first.hasPrefix("-"), first != "--", first != "-" else { return }
        let name = String(first.split(separator: "=", maxSplits: 1)[0])
        let known = Set(command.helpMessage(columns: 1000).matches(of: /--[A-Za-z][A-Za-z0-9-]*/).map { String($0.output) })
        let hint = EditDistance.suggestion(for: name, among: known.sorted()).map { " Did you mean '\($0)'?" } ?? ""
        throw ValidationError("Unknown option '\(name)'.\(hint) The command to run comes after --, e.g. -- uptime")
    }
}
