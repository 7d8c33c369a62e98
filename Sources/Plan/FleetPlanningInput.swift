import FlotillaCore
public import Facts
public import Inventory

/// What planning needs per host before anything is gathered: the plays the host is in (the plays' `hosts`
/// patterns resolved against the inventory), its variables as strings, and the facts to ask it for.
/// Built once per run by `plan`, `apply` and `audit` alike.
public struct HostPlanningInput: Sendable {
    public var name: String
    public var vars: [String: String]
    public var plays: [Int]
    public var request: FactRequest

    /// The planner's view of this host once its facts are in (or failed).
    public func fleetHost(_ facts: Result<HostFacts, HostFailure>) -> FleetPlanner.Host {
        FleetPlanner.Host(name: name, vars: vars, plays: plays, facts: facts)
    }
}

extension Playbook {
    /// Resolves every play's `hosts` pattern against the inventory, restricted to `selected` (the
    /// `--limit`), and prepares each selected host that is in at least one play.
    ///
    /// - Throws: `PlanError` naming the play whose pattern is invalid, or `InventoryError`.
    public func planningInput(inventory: Inventory, selected: [InventoryHost]) throws -> [HostPlanningInput] {
        let selectedNames = Set(selected.map(\.name))
        var playsByHost: [String: [Int]] = [:]
        for (index, play) in plays.enumerated() {
            let members: [InventoryHost]
            do {
                members = try inventory.select(pattern: play.hosts)
            } catch let error as InventoryError {
                // A play whose pattern matches nothing in this inventory simply has no hosts here.
                switch error {
                case .patternMatchedNothing, .noHostsSelected: continue
                default: break
                }
                throw PlanError.invalid(play.position, message: "play '\(play.name)': hosts '\(play.hosts)': \(error)")
            }
            for host in members where selectedNames.contains(host.name) {
                playsByHost[host.name, default: []].append(index)
            }
        }
        return try selected.compactMap { host -> HostPlanningInput? in
            guard let playIndexes = playsByHost[host.name] else { return nil }
            let vars = try inventory.resolvedVariables(for: host.name).mapValues(\.text)
            let request = try factRequest(plays: playIndexes, vars: vars, host: host.name)
            return HostPlanningInput(name: host.name, vars: vars, plays: playIndexes, request: request)
        }
    }
}

extension HostPlanningInput {
    /// The digest of the selected hosts' names and variables that a saved plan records and `apply` compares
    /// with, computed in this one place for both.
    public static func inventoryDigest(of inputs: [HostPlanningInput]) -> String {
        let source = inputs.map { "\($0.name)\u{1}" + $0.vars.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\u{2}") }
            .joined(separator: "\n")
        return Hex.encode(SHA256.hash(Array(source.utf8)))
    }
}
