import Drift
import Foundation
import Inventory
import Plan

/// What each host should look like for the audit, from the playbook (its plays' sync-gate source or timesync
/// servers, the daemons they remove, the timesyncd mask, the guard) or, without a playbook, from the inventory's
/// `chrony_servers` / `flotilla_time_sources` variables.
struct AuditExpectations {
    var sources: [String: [String]] = [:]
    var daemons: [String: TimeDaemons.Expectations] = [:]

    static func from(playbook: Playbook, inventory: Inventory, hosts: [InventoryHost]) throws -> AuditExpectations {
        var out = AuditExpectations()
        for input in try playbook.planningInput(inventory: inventory, selected: hosts) {
            var sources: [String] = []
            var removed: [String] = []
            var masks = false
            var guarded: [String] = []
            for index in input.plays {
                let play = playbook.plays[index]
                let vars = try play.variables(for: input.name, inventory: input.vars)
                if let source = play.syncGate?.source {
                    sources.append(try source.resolve(vars, host: input.name))
                } else if let t = play.timesync {
                    for server in t.servers + t.pools { sources.append(try server.address.resolve(vars, host: input.name)) }
                }
                if let t = play.timesync {
                    removed += t.remove
                    masks = true
                    if t.guardAgainstReturn { guarded += t.remove }
                }
            }
            out.sources[input.name] = unique(sources)
            out.daemons[input.name] = TimeDaemons.Expectations(removed: unique(removed), masksTimesyncd: masks, guarded: unique(guarded))
        }
        return out
    }

    static func from(inventory: Inventory, hosts: [InventoryHost]) throws -> AuditExpectations {
        var out = AuditExpectations()
        for host in hosts {
            let vars = try inventory.resolvedVariables(for: host.name)
            guard let value = vars["flotilla_time_sources"] ?? vars["chrony_servers"] else { continue }
            switch value {
            case .list(let items): out.sources[host.name] = items.map(\.text)
            default: out.sources[host.name] = value.text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            }
        }
        return out
    }

    private static func unique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }
}
