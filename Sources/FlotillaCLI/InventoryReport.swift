import Foundation
import Inventory

/// What `flotilla inventory` prints, built from a loaded inventory and the selected hosts.
struct InventoryReport {
    let inventory: Inventory
    let hosts: [InventoryHost]
    let selected: Set<String>

    init(inventory: Inventory, hosts: [InventoryHost]) {
        self.inventory = inventory
        self.hosts = hosts
        self.selected = Set(hosts.map(\.name))
    }

    /// Variables whose values are never shown.
    static func isSecret(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.contains("pass") || lower.contains("secret") || lower.contains("token")
    }

    static let mask = "********"

    static func masked(_ vars: [String: InventoryValue]) -> [String: InventoryValue] {
        var out = vars
        for key in vars.keys where isSecret(key) && vars[key] != .null { out[key] = .string(mask) }
        return out
    }

    func text() throws -> String {
        var out = ""
        for host in hosts {
            if !out.isEmpty { out += "\n" }
            out += host.name + "\n"
            let groups = try inventory.groupNames(of: host.name).filter { $0 != "all" }
            out += "  groups: " + groups.joined(separator: ", ") + "\n"
            out += "  connection: " + describe(try inventory.connectionVars(for: host)) + "\n"
            let vars = Self.masked(try inventory.variables(for: host))
            if !vars.isEmpty {
                out += "  vars:\n"
                for key in vars.keys.sorted() { out += "    \(key): \(vars[key]!.jsonText)\n" }
            }
        }
        if !hosts.isEmpty { out += "\n" }
        return out + graph()
    }

    func describe(_ vars: HostConnectionVars) -> String {
        var parts = [
            (vars.user.map { $0 + "@" } ?? "") + (vars.address ?? vars.name) + (vars.port.map { ":\($0)" } ?? "")
        ]
        if let key = vars.keyFile { parts.append("key \(key)") }
        if vars.password != nil { parts.append("password \(Self.mask)") }
        if let become = vars.become {
            parts.append(become ? "become \(vars.becomeUser ?? "root")" : "no become")
        }
        if let policy = vars.hostKeyPolicy { parts.append("host keys \(policy.rawValue)") }
        if let file = vars.knownHostsFile { parts.append("known_hosts \(file)") }
        return parts.joined(separator: ", ")
    }

    /// The group tree as `ansible-inventory --graph` draws it, keeping only selected hosts and the groups
    /// that lead to them.
    func graph() -> String {
        var out = ""
        func hasSelected(_ group: String, _ seen: Set<String>) -> Bool {
            guard let found = inventory.groups[group], !seen.contains(group) else { return false }
            return found.hosts.contains(where: selected.contains)
                || found.children.contains { hasSelected($0, seen.union([group])) }
        }
        let limited = selected.count != inventory.hosts.count
        func draw(_ group: String, depth: Int) {
            guard let found = inventory.groups[group] else { return }
            let indent = String(repeating: "  |", count: depth)
            out += (depth == 0 ? "" : indent + "--") + "@\(group):\n"
            for child in found.children where !limited || hasSelected(child, []) {
                draw(child, depth: depth + 1)
            }
            for host in found.hosts where selected.contains(host) {
                out += String(repeating: "  |", count: depth + 1) + "--" + host + "\n"
            }
        }
        draw("all", depth: 0)
        return out
    }

    /// The fields the inventory sets; unset ones are left out (the SSH client config may fill them).
    func connectionJSON(_ vars: HostConnectionVars) -> [String: InventoryValue] {
        var out: [String: InventoryValue] = [:]
        out["address"] = vars.address.map(InventoryValue.string)
        out["port"] = vars.port.map(InventoryValue.int)
        out["user"] = vars.user.map(InventoryValue.string)
        out["key_file"] = vars.keyFile.map(InventoryValue.string)
        out["password"] = vars.password.map { _ in .string(Self.mask) }
        out["become"] = vars.become.map(InventoryValue.bool)
        out["become_user"] = vars.becomeUser.map(InventoryValue.string)
        out["become_password"] = vars.becomePassword.map { _ in .string(Self.mask) }
        out["known_hosts_file"] = vars.knownHostsFile.map(InventoryValue.string)
        out["host_key_policy"] = vars.hostKeyPolicy.map { .string($0.rawValue) }
        return out
    }

    func json() throws -> String {
        var hostsJSON: [String: InventoryValue] = [:]
        for host in hosts {
            let groups = try inventory.groupNames(of: host.name).filter { $0 != "all" }
            hostsJSON[host.name] = .map([
                "groups": .list(groups.map(InventoryValue.string)),
                "vars": .map(Self.masked(try inventory.variables(for: host))),
                "connection": .map(connectionJSON(try inventory.connectionVars(for: host))),
            ])
        }
        var groupsJSON: [String: InventoryValue] = [:]
        for name in inventory.groupNames {
            guard let group = inventory.groups[name] else { continue }
            groupsJSON[name] = .map([
                "hosts": .list(group.hosts.filter(selected.contains).map(InventoryValue.string)),
                "children": .list(group.children.map(InventoryValue.string)),
                "vars": .map(Self.masked(group.vars)),
            ])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let document: InventoryValue = .map(["hosts": .map(hostsJSON), "groups": .map(groupsJSON)])
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
