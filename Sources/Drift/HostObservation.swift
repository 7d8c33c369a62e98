public import Facts

/// Everything gathered on one host, before judging it. Each part may have failed on its own; the failure is
/// kept as text so the other parts still count.
public struct HostObservation: Sendable, Codable, Hashable {
    public var host: String
    /// Set when the host could not be reached at all; nothing else is then known.
    public var unreachable: String?
    /// The time daemons' states (from `DaemonProbe`); when nil, they are read from `facts`.
    public var daemons: [TimeDaemonState]?
    /// The guard files against returning daemons (from `DaemonProbe`); nil when not read.
    public var timeGuard: TimeGuard?
    public var facts: HostFacts?
    public var factsError: String?
    public var chrony: ChronyStatus?
    public var chronyError: String?
    public var crossCheck: ClockCrossCheck?
    public var crossCheckError: String?
    /// Set when the host printed a value that is refused (not finite, out of range): the host's output cannot
    /// be trusted, so the verdict is `unknown` with this reason.
    public var malformedOutput: String?

    public init(
        host: String, unreachable: String? = nil, daemons: [TimeDaemonState]? = nil, facts: HostFacts? = nil, factsError: String? = nil,
        chrony: ChronyStatus? = nil, chronyError: String? = nil, crossCheck: ClockCrossCheck? = nil, crossCheckError: String? = nil,
        malformedOutput: String? = nil, timeGuard: TimeGuard? = nil
    ) {
        self.timeGuard = timeGuard
        self.host = host
        self.unreachable = unreachable
        self.daemons = daemons
        self.facts = facts
        self.factsError = factsError
        self.chrony = chrony
        self.chronyError = chronyError
        self.crossCheck = crossCheck
        self.crossCheckError = crossCheckError
        self.malformedOutput = malformedOutput
    }
}
