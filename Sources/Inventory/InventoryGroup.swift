public import FlotillaCore
/// One group of the inventory, with what the inventory files say about it.
public struct InventoryGroup: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    /// Hosts listed directly in the group, in file order.
    public var hosts: [String]
    /// Child groups, in file order.
    public var children: [String]
    /// Variables from the inventory files (`[name:vars]`, YAML `vars:`). Files in `group_vars/` are not
    /// included here; `Inventory.variables(for:)` merges everything.
    public var vars: [String: InventoryValue]
    /// Where each of `vars` was written (see `LocatedVariables`).
    public var origins: [String: FileLocation] = [:]
    /// `ansible_group_priority`: among groups of the same depth, higher priorities are applied later and
    /// so win. Not a variable, as in Ansible.
    public var priority: Int = 1
    /// Where the group was first mentioned; `nil` for the implicit `all` and `ungrouped`.
    public var location: FileLocation?

    public init(
        name: String, hosts: [String] = [], children: [String] = [], vars: [String: InventoryValue] = [:],
        origins: [String: FileLocation] = [:], location: FileLocation? = nil
    ) {
        self.name = name
        self.hosts = hosts
        self.children = children
        self.vars = vars
        self.origins = origins
        self.location = location
    }

    /// The group's variables from the inventory files with their origins.
    public var located: LocatedVariables { LocatedVariables(values: vars, origins: origins) }

    public var description: String { name }
}
