import FlotillaCore
import Vault
/// Collects hosts and groups from one or more inventory files, as Ansible's `InventoryData` does, then
/// adds the implicit structure (`all` above every top-level group, `ungrouped` for hosts of no group).
struct InventoryBuilder {
    /// Decrypts vault-encrypted inventory files.
    var vault: Vault = .none
    var hostOrder: [String] = []
    var hosts: [String: InventoryHost] = [:]
    var groupOrder: [String] = []
    var groups: [String: InventoryGroup] = [:]
    var errors: [InventoryError] = []
    var warnings: [InventoryWarning] = []
    /// Host entries defined so far, after range expansion (a host named in three groups counts three times).
    var hostEntries = 0
    /// The host-entry limit was passed and reported (once).
    var hostEntriesExceeded = false
    /// Which host is directly in which group, for constant-time checks on large ranges.
    private var membership: Set<Membership> = []

    private struct Membership: Hashable {
        var host: String
        var group: String
    }

    init() {
        addGroup("all", at: nil)
        addGroup("ungrouped", at: nil)
        groups["all"]!.children = ["ungrouped"]
    }

    func hasGroup(_ name: String) -> Bool { groups[name] != nil }

    mutating func addGroup(_ name: String, at location: FileLocation?) {
        guard groups[name] == nil else { return }
        groups[name] = InventoryGroup(name: name, location: location)
        groupOrder.append(name)
    }

    /// Adds (or redefines) a host in a group; `vars` are set on the host, later definitions winning.
    mutating func addHost(_ name: String, to group: String, vars: LocatedVariables, at location: FileLocation) {
        addGroup(group, at: location)
        if hosts[name] == nil {
            hosts[name] = InventoryHost(name: name, location: location)
            hostOrder.append(name)
        }
        if membership.insert(Membership(host: name, group: group)).inserted {
            hosts[name]!.groups.append(group)
            groups[group]!.hosts.append(name)
        }
        for (key, value) in vars.values {
            hosts[name]!.vars[key] = value
            hosts[name]!.origins[key] = vars.origins[key]
        }
    }

    /// Sets a group variable written at `location`; `ansible_group_priority` sets the group's priority
    /// instead, as in Ansible.
    mutating func setGroupVariable(_ group: String, _ key: String, _ value: InventoryValue, at location: FileLocation) {
        guard key == "ansible_group_priority" else {
            groups[group]?.vars[key] = value
            groups[group]?.origins[key] = location
            return
        }
        let number: Int?
        switch value {
        case .int(let n): number = n
        case .string(let s): number = Int(s.trimmingWhitespace())
        default: number = nil
        }
        guard let number else {
            errors.append(.syntax(location, expected: "an integer for ansible_group_priority", found: "'\(value.text)'"))
            return
        }
        groups[group]?.priority = number
    }

    /// Makes `child` a child of `parent`, refusing loops (an error at `location`).
    mutating func addChild(_ parent: String, _ child: String, at location: FileLocation) {
        addGroup(parent, at: location)
        addGroup(child, at: location)
        if groups[parent]!.children.contains(child) { return }
        if child == parent || descendants(of: child).contains(parent) {
            errors.append(.groupCycle(location, parent: parent, child: child))
            return
        }
        groups[parent]!.children.append(child)
    }

    func descendants(of group: String) -> Set<String> {
        var seen: Set<String> = []
        var stack = groups[group]?.children ?? []
        while let next = stack.popLast() {
            if seen.insert(next).inserted { stack += groups[next]?.children ?? [] }
        }
        return seen
    }

    /// Ansible's `reconcile_inventory`: every group without a parent becomes a child of `all`, a host
    /// whose only group is `all` (or none) goes to `ungrouped`, and a host that is in a real group
    /// leaves `ungrouped`.
    mutating func reconcile() {
        var hasParent: Set<String> = []
        for name in groupOrder { hasParent.formUnion(groups[name]!.children) }
        for name in groupOrder where name != "all" && !hasParent.contains(name) {
            groups["all"]!.children.append(name)
        }
        var leaving: Set<String> = []
        for name in hostOrder {
            let direct = hosts[name]!.groups
            let real = direct.filter { $0 != "all" && $0 != "ungrouped" }
            if real.isEmpty {
                if !direct.contains("ungrouped") {
                    hosts[name]!.groups.append("ungrouped")
                    groups["ungrouped"]!.hosts.append(name)
                }
            } else if direct.contains("ungrouped") {
                hosts[name]!.groups.removeAll { $0 == "ungrouped" }
                leaving.insert(name)
            }
        }
        if !leaving.isEmpty { groups["ungrouped"]!.hosts.removeAll { leaving.contains($0) } }
    }
}
