public import FlotillaCore

/// Variables together with where each was written: the file, line and column of the `key=value` word of an
/// INI host line, of the `key = value` line of a `[group:vars]` section, of the value node of a YAML
/// inventory or `group_vars`/`host_vars` file, or of the host definition for a `:port` suffix.
///
/// Errors about a variable's value (`ansible_port`, `ansible_become`, templates, the host key policy) name
/// this origin, so that the operator is sent to the line to fix, not just told the host. The values alone
/// are what the rest of Flotilla (and `--json`/`--graph`) sees; the origins travel beside them.
public struct LocatedVariables: Sendable, Hashable {
    /// The values, by variable name.
    public var values: [String: InventoryValue]
    /// Where each value was written; a variable may have none (`inventory_hostname`, values built in code).
    public var origins: [String: FileLocation]

    public init(values: [String: InventoryValue] = [:], origins: [String: FileLocation] = [:]) {
        self.values = values
        self.origins = origins
    }

    public var isEmpty: Bool { values.isEmpty }

    /// Sets one variable, written at `origin`.
    public mutating func set(_ name: String, _ value: InventoryValue, at origin: FileLocation?) {
        values[name] = value
        origins[name] = origin
    }

    /// Lays `other` over these variables: each of its variables replaces the one here, value and origin
    /// together (Ansible's `hash_behaviour=replace`).
    public mutating func merge(_ other: LocatedVariables) {
        for (name, value) in other.values { set(name, value, at: other.origins[name]) }
    }
}
