public import FlotillaCore
/// A playbook: a list of plays, each applying resources to the hosts an inventory pattern selects.
public struct Playbook: Sendable, Codable, Hashable {
    /// The file it was read from (as given), used in every message.
    public var file: String
    public var plays: [Play]
    /// `sha256:` + hex of the playbook's text, for saved plans and the journal.
    public var digest: String

    public init(file: String, plays: [Play], digest: String) {
        self.file = file
        self.plays = plays
        self.digest = digest
    }
}

/// One play: which hosts, with which variables, get which resources, rolled out how.
public struct Play: Sendable, Codable, Hashable {
    public var name: String
    /// An inventory pattern (`all`, `clients`, `zone_a:!web03`), resolved by the Inventory module.
    public var hosts: String
    /// Play variables. Values may refer to inventory variables; play variables win over inventory ones, as in Ansible.
    public var vars: [String: Template]
    public var rollout: Rollout
    public var syncGate: SyncGate?
    public var timesync: TimesyncSpec?
    public var tasks: [TaskSpec]
    public var handlers: [HandlerSpec]
    public var position: FileLocation

    public init(
        name: String, hosts: String, vars: [String: Template] = [:], rollout: Rollout = Rollout(), syncGate: SyncGate? = nil,
        timesync: TimesyncSpec? = nil, tasks: [TaskSpec] = [], handlers: [HandlerSpec] = [], position: FileLocation
    ) {
        self.name = name
        self.hosts = hosts
        self.vars = vars
        self.rollout = rollout
        self.syncGate = syncGate
        self.timesync = timesync
        self.tasks = tasks
        self.handlers = handlers
        self.position = position
    }

    /// The variables one host sees: its inventory variables, then the play's (which may use the inventory's).
    public func variables(for host: String, inventory: [String: String]) throws(PlanError) -> [String: String] {
        var out = inventory
        out["inventory_hostname"] = out["inventory_hostname"] ?? host
        for key in vars.keys.sorted() {
            out[key] = try vars[key]!.resolve(inventory.merging(["inventory_hostname": host]) { a, _ in a }, host: host)
        }
        return out
    }
}
