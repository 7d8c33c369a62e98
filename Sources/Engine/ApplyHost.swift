public import FlotillaCore

/// One host as apply needs it: how to reach it, its inventory variables (as text, for templates), and its
/// inventory groups (for per-group batch limits).
public struct ApplyHost: Sendable, Hashable {
    public var target: ConnectionTarget
    public var vars: [String: String]
    public var groups: [String]

    public var name: String { target.name }

    public init(target: ConnectionTarget, vars: [String: String] = [:], groups: [String] = []) {
        self.target = target
        self.vars = vars
        self.groups = groups
    }
}
