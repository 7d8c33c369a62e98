public import ArgumentParser
import Facts
import Foundation
import FlotillaCore
import Inventory
import Plan

/// `flotilla plan`: the dry-run preview. Gathers facts (read-only), plans, prints; never changes a host.
public struct PlanCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what applying a playbook would change on each host, without changing anything.",
        discussion: """
            Gathers each host's facts with one read-only script over one connection, computes the plan \
            and prints it grouped by host; hosts with identical plans are folded together.

            Exit status: 0 on success (with --detailed-exitcode: 0 no changes, 2 changes), 1 on errors \
            (a broken playbook, or hosts whose facts could not be gathered).
            """)

    @OptionGroup public var inventory: InventoryOptions
    @OptionGroup public var fleet: FleetOptions

    @Argument(help: ArgumentHelp("The playbook (YAML), e.g. Playbooks/chrony.yml.", valueName: "playbook"))
    public var playbook: String

    @Option(
        help: ArgumentHelp(
            "Save the plan, with digests of each host's facts (one per fact, so that a refusal names what changed), for `flotilla apply FILE`.",
            valueName: "file"))
    public var out: String?

    @Flag(help: "Print the plan as JSON.")
    public var json = false

    @Flag(name: .customLong("detailed-exitcode"), help: "Exit 0 when nothing would change, 2 when something would, 1 on errors.")
    public var detailedExitcode = false

    public init() {}

    public func run() async throws {
        let console = Console.shared
        let planned = try await PlanningRun.plan(playbookPath: playbook, inventory: inventory, fleet: fleet, console: console)
        let outcome = planned.outcome
        if json {
            console.out(PlanRenderer.json(outcome.plans, failures: outcome.failures) + "\n")
        } else {
            console.out(PlanRenderer.text(outcome.plans, failures: outcome.failures, colour: Style(terminal: console.stdoutIsTerminal).enabled))
        }
        if let out {
            let (playbook, inventoryDigest, plans, facts) = (planned.playbook, planned.inventoryDigest, outcome.plans, planned.facts)
            do {
                // Off the cooperative pool: the per-fact digests cost about 1 ms of CPU per host.
                try await offload { try PlanFile(playbook: playbook, inventoryDigest: inventoryDigest, plans: plans, facts: facts).save(to: out) }
                console.err("Plan saved to \(out); apply it with: flotilla apply \(out)\n")
            } catch {
                console.err("\(error)\n")
                await console.flush()
                throw ExitCode.failure
            }
        }
        await console.flush()
        if !outcome.failures.isEmpty { throw ExitCode.failure }
        if detailedExitcode, outcome.summary.hasChanges { throw ExitCode(2) }
    }
}

/// Facts in, plan out, for a whole fleet: shared by `plan`, `apply` and `audit`.
struct PlanningRun {
    let playbook: Playbook
    let inputs: [HostPlanningInput]
    let targets: [String: ConnectionTarget]
    let inventoryDigest: String
    let outcome: FleetPlanner.Outcome
    let facts: [String: HostFacts]

    /// Loads the playbook and inventory, gathers every host's facts in parallel and plans (only the hosts named
    /// in `only`, when given). Prints load errors and exits 1 on them.
    static func plan(
        playbookPath: String, inventory: InventoryOptions, fleet: FleetOptions, console: Console, only: Set<String>? = nil
    ) async throws -> PlanningRun {
        let playbook: Playbook
        let loaded: (inventory: Inventory, hosts: [InventoryHost], targets: [ConnectionTarget])
        let inputs: [HostPlanningInput]
        do {
            playbook = try await offload { try Playbook.load(path: playbookPath) }
            loaded = try await loadTargets(inventory, fleet)
            inputs = try playbook.planningInput(inventory: loaded.inventory, selected: loaded.hosts).filter { only?.contains($0.name) ?? true }
        } catch let error as PlanError {
            console.err("\(error)\n")
            await console.flush()
            throw ExitCode.failure
        } catch let error as InventoryError {
            console.err("\(error)\n")
            await console.flush()
            throw ExitCode.failure
        }
        let byName = Dictionary(uniqueKeysWithValues: zip(loaded.hosts.map(\.name), loaded.targets))
        let targets = inputs.compactMap { byName[$0.name] }
        let transport = fleet.transport()
        let total = targets.count
        let done = Counter()
        console.progress("[0/\(total)] gathering facts")
        let requests = Dictionary(uniqueKeysWithValues: inputs.map { ($0.name, $0.request) })
        let forks = fleet.forks
        let results = try await cancellableOnInterrupt {
            await Fleet.run(targets, transport: transport, forks: forks, finished: { _, _ in
                console.progress("[\(done.increment())/\(total)] gathering facts")
            }) { connection in
                try await FactGathering.gather(requests[connection.target.name]!, on: connection, become: connection.target.become)
            }
        }
        console.progress(nil)
        var facts: [String: HostFacts] = [:]
        let hosts = zip(inputs, results).map { input, result -> FleetPlanner.Host in
            switch result {
            case .success(let f):
                facts[input.name] = f
                return input.fleetHost(.success(f))
            case .unreachable(let error):
                return input.fleetHost(.failure(HostFailure(host: input.name, message: "unreachable: \(error)")))
            case .failed(let error):
                return input.fleetHost(.failure(HostFailure(host: input.name, message: "\(error)")))
            }
        }
        return PlanningRun(
            playbook: playbook, inputs: inputs, targets: Dictionary(uniqueKeysWithValues: zip(targets.map(\.name), targets)),
            inventoryDigest: HostPlanningInput.inventoryDigest(of: inputs),
            outcome: FleetPlanner.plan(playbook, hosts: hosts), facts: facts)
    }
}
