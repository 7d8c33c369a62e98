public import ArgumentParser
import Facts
import Foundation
import FlotillaCore
import Inventory
import Plan

/// `flotilla facts`: what Flotilla knows about each host, gathered with one read-only script per host.
public struct FactsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "facts",
        abstract: "Gather and show the facts a playbook needs (OS, packages, units, files, virtualization, CAP_SYS_TIME).",
        discussion: "Without a playbook, the facts Playbooks/chrony.yml-style time sync needs are gathered.")

    @OptionGroup public var inventory: InventoryOptions
    @OptionGroup public var fleet: FleetOptions

    @Argument(help: ArgumentHelp("A playbook whose facts to gather (optional).", valueName: "playbook"))
    public var playbook: String?

    @Flag(help: "Print JSON.")
    public var json = false

    @Option(name: .customLong("save-raw"), help: ArgumentHelp("Also save each host's raw fact-script output as DIR/HOST.txt (for bug reports and test fixtures).", valueName: "dir"))
    public var saveRaw: String?

    public init() {}

    public func run() async throws {
        let console = Console.shared
        let (_, hosts, targets) = try await loadTargets(inventory, fleet)
        let request: FactRequest
        do {
            if let playbook {
                let book = try await offload { try Playbook.load(path: playbook) }
                request = try book.factRequest()
            } else {
                request = try Self.timeSyncRequest()
            }
        } catch let error as PlanError {
            console.err("\(error)\n")
            await console.flush()
            throw ExitCode.failure
        }
        let transport = fleet.transport()
        let forks = fleet.forks
        let rawDirectory = saveRaw
        let results = try await cancellableOnInterrupt {
            await Fleet.run(targets, transport: transport, forks: forks) { connection in
                guard let rawDirectory else {
                    return try await FactGathering.gather(request, on: connection, become: connection.target.become)
                }
                let result = try await connection.run(FactScript.command(for: request, become: connection.target.become))
                let path = rawDirectory + "/" + connection.target.name + ".txt"
                try await offload {
                    try FileManager.default.createDirectory(atPath: rawDirectory, withIntermediateDirectories: true)
                    try Data(result.stdout).write(to: URL(fileURLWithPath: path))
                }
                return try FactParser.parse(stdout: result.stdoutText)
            }
        }
        var gathered: [(name: String, facts: HostFacts)] = []
        var failed = false
        for (host, result) in zip(hosts, results) {
            switch result {
            case .success(let facts): gathered.append((host.name, facts))
            case .unreachable(let error), .failed(let error):
                failed = true
                console.err("\(host.name): \(error)\n")
            }
        }
        console.out(json ? FactsRenderer.json(gathered) + "\n" : FactsRenderer.text(gathered))
        await console.flush()
        if failed { throw ExitCode(4) }
    }

    /// The time daemons' packages, units and files.
    static func timeSyncRequest() throws -> FactRequest {
        var request = FactRequest()
        for name in ["chrony", "ntp", "ntpsec", "openntpd", "systemd-timesyncd"] { try request.add(package: name) }
        for unit in ["chrony.service", "chronyd.service", "ntp.service", "ntpsec.service", "openntpd.service", "systemd-timesyncd.service"] {
            try request.add(unit: unit)
        }
        for file in ["/etc/chrony/chrony.conf", "/etc/chrony.conf"] { try request.add(file: file) }
        return request
    }
}
