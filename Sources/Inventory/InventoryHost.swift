public import FlotillaCore
/// One host of the inventory.
public struct InventoryHost: Sendable, Hashable, Identifiable, CustomStringConvertible {
    /// The inventory name (`inventory_hostname`), used in every message about the host.
    public var name: String
    /// The groups that list the host directly, in the order they first did (`all` and `ungrouped`
    /// included when they do). `Inventory.groupNames(of:)` adds the ancestors.
    public var groups: [String]
    /// Variables the inventory files set on the host (inline INI `key=value`, YAML host maps, the port
    /// suffix as `ansible_port`); later definitions win. Files in `host_vars/` are not included here.
    public var vars: [String: InventoryValue]
    /// Where each of `vars` was written (see `LocatedVariables`).
    public var origins: [String: FileLocation] = [:]
    /// Where the host was first defined.
    public var location: FileLocation?

    public init(
        name: String, groups: [String] = [], vars: [String: InventoryValue] = [:], origins: [String: FileLocation] = [:],
        location: FileLocation? = nil
    ) {
        self.name = name
        self.groups = groups
        self.vars = vars
        self.origins = origins
        self.location = location
    }

    /// The host's own variables with their origins.
    public var located: LocatedVariables { LocatedVariables(values: vars, origins: origins) }

    public var id: String { name }
    public var description: String { name }
}
