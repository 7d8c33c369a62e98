/// One change the plan makes to a host: what, from what to what, why, and how.
public struct Change: Sendable, Codable, Hashable {
    /// Shown as `+`, `~` and `-`.
    public enum Action: String, Sendable, Codable, Hashable {
        case create, update, delete
        public var symbol: String {
            switch self {
            case .create: "+"
            case .update: "~"
            case .delete: "-"
            }
        }
    }

    /// What the change is for, where apply or a report treats it differently.
    public enum Role: String, Sendable, Codable, Hashable {
        case ordinary
        /// The timesync guard that keeps removed time daemons from coming back (`guard: true`).
        case timesyncGuard = "timesync-guard"
    }

    public var action: Action
    public var role: Role
    /// `package[ntpsec]`, `unit[chrony.service]`, `file[/etc/chrony/chrony.conf]`.
    public var resource: String
    /// The state before, in a few words (`installed 1.2.2+dfsg1-1`, `enabled, active (running)`).
    public var before: String
    /// The state after, in a few words.
    public var after: String
    /// Why, in a sentence.
    public var reason: String
    /// A unified diff for file contents.
    public var diff: String?
    /// What apply runs, in order. Empty only when an earlier change's steps do this one's work too
    /// (several packages purged by one call of the package tool); the reason says so.
    public var steps: [Step]

    public init(
        action: Action, resource: String, before: String, after: String, reason: String, diff: String? = nil, steps: [Step],
        role: Role = .ordinary
    ) {
        self.action = action
        self.role = role
        self.resource = resource
        self.before = before
        self.after = after
        self.reason = reason
        self.diff = diff
        self.steps = steps
    }
}

/// The plan for one host in one play.
public struct HostPlan: Sendable, Codable, Hashable {
    public var host: String
    public var play: String
    public var changes: [Change]
    /// A sentence about the host: why it is converged, or notes that are not changes (for example a container).
    public var summary: String
    /// The digest of the facts the plan was computed from; apply refuses the host when they changed.
    public var factsDigest: String
    /// A digest per fact (`FactsDigest.perFact`), kept in saved plans so that a refusal names the facts that
    /// changed; nil in plans not saved, and in plan files written before Flotilla kept them.
    public var factDigests: [String: String]?

    public init(host: String, play: String, changes: [Change], summary: String, factsDigest: String) {
        self.host = host
        self.play = play
        self.changes = changes
        self.summary = summary
        self.factsDigest = factsDigest
    }

    public var isConverged: Bool { changes.isEmpty }
}
