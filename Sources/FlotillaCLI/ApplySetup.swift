import ArgumentParser
import Engine
import Foundation
import FlotillaCore
import Inventory
import Plan

/// What `apply` loads before it touches a host: the playbook, the inventory's targets, and each play's
/// hosts (restricted to a saved plan's hosts when applying one).
struct ApplySetup {
    let playbook: Playbook
    let plays: [PlayHosts]
    let hostsByName: [String: ApplyHost]
    let inventoryDigest: String
    let warnings: [String]

    /// A saved plan when `path` is one (JSON), nil when it is a playbook.
    static func readPlanFile(_ path: String) async throws -> PlanFile? {
        let head = try await offload { () throws -> [UInt8] in
            guard let handle = FileHandle(forReadingAtPath: path) else { throw PlanError.unreadable(file: path, reason: "no such file") }
            defer { try? handle.close() }
            return Array(try handle.read(upToCount: 512) ?? Data())
        }
        guard PlanFile.isPlanFile(path: path, head: head) else { return nil }
        return try await offload { try PlanFile.load(path: path) }
    }

    static func load(
        playbookPath: String, inventory: InventoryOptions, fleet: FleetOptions, savedPlan: PlanFile? = nil, planPath: String? = nil
    ) async throws -> ApplySetup {
        let playbook = try await offload { try Playbook.load(path: playbookPath) }
        if let savedPlan, savedPlan.playbookDigest != playbook.digest {
            throw PlanError.badPlanFile(file: planPath ?? "the plan", reason: "\(playbook.file) changed since the plan was made; plan again")
        }
        let loaded = try await loadTargets(inventory, fleet)
        let inputs = try playbook.planningInput(inventory: loaded.inventory, selected: loaded.hosts)
        let targets = Dictionary(zip(loaded.hosts.map(\.name), loaded.targets), uniquingKeysWith: { a, _ in a })
        var byName: [String: ApplyHost] = [:]
        for input in inputs {
            guard let target = targets[input.name] else { continue }
            byName[input.name] = ApplyHost(target: target, vars: input.vars, groups: (try? loaded.inventory.groupNames(of: input.name)) ?? [])
        }
        var warnings: [String] = []
        var plays: [PlayHosts] = []
        for (index, play) in playbook.plays.enumerated() {
            var hosts = inputs.filter { $0.plays.contains(index) }.compactMap { byName[$0.name] }
            if let savedPlan {
                let planned = Set(savedPlan.plans.filter { $0.play == play.name }.map(\.host))
                let outside = hosts.map(\.name).filter { !planned.contains($0) }
                if !outside.isEmpty {
                    warnings.append("play '\(play.name)': \(HostList.compact(outside)) not in the saved plan: left alone")
                }
                let missing = planned.subtracting(hosts.map(\.name)).sorted()
                if !missing.isEmpty {
                    warnings.append("play '\(play.name)': \(HostList.compact(missing)) planned but not selected from the inventory now: left alone")
                }
                hosts = hosts.filter { planned.contains($0.name) }
            }
            if !hosts.isEmpty { plays.append(PlayHosts(playIndex: index, hosts: hosts)) }
        }
        if plays.isEmpty {
            throw ValidationError(
                "no host selected from the inventory is in any play of \(playbook.file) (check -i, --limit and the plays' hosts:)")
        }
        return ApplySetup(
            playbook: playbook, plays: plays, hostsByName: byName, inventoryDigest: HostPlanningInput.inventoryDigest(of: inputs),
            warnings: warnings)
    }
}

/// The sync gate apply uses.
enum ApplyGate {
    static func waiter() -> any SyncWaiter { DriftSyncWaiter() }
}
