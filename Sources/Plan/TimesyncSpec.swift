public import FlotillaCore
import Foundation

/// The typed `timesync` resource: what a host's time sync must look like, whatever it runs today.
///
/// The planner expands it, from the host's facts, into package, unit and file changes (see `TimesyncPlanner`).
public struct TimesyncSpec: Sendable, Codable, Hashable {
    /// Packages of competing time daemons to purge.
    public var remove: [String]
    public var servers: [TimeSource]
    public var pools: [TimeSource]
    /// Subnets (or `all`) chrony serves; turns the host into a time server for them.
    public var allow: [Template]
    public var deny: [Template]
    /// `local stratum N`: serve time even when no source is reachable (a fleet's own time master).
    public var localStratum: Int?
    /// `makestep THRESHOLD LIMIT`.
    public var makestep: MakeStep
    public var minsources: Int?
    /// `maxdistance` in seconds.
    public var maxdistance: Double?
    public var rtcsync: Bool
    /// Keep the removed daemons from coming back (apt pin / dnf exclude) and timesyncd masked.
    public var guardAgainstReturn: Bool
    /// Keep the distribution's `confdir`/`sourcedir` includes (off: sources are exactly the playbook's).
    public var distroSources: Bool
    /// Further chrony directives, one per line, appended as they are.
    public var extraLines: [Template]
    public var position: FileLocation

    public struct MakeStep: Sendable, Codable, Hashable {
        public var threshold: Double
        /// Number of updates in which a step is allowed; -1 for always.
        public var limit: Int
        public init(threshold: Double = 1, limit: Int = 3) {
            self.threshold = threshold
            self.limit = limit
        }
    }

    public static let defaultRemove = ["ntp", "ntpsec", "openntpd"]

    public init(
        remove: [String] = TimesyncSpec.defaultRemove, servers: [TimeSource] = [], pools: [TimeSource] = [],
        allow: [Template] = [], deny: [Template] = [], localStratum: Int? = nil, makestep: MakeStep = MakeStep(),
        minsources: Int? = nil, maxdistance: Double? = nil, rtcsync: Bool = true, guardAgainstReturn: Bool = false,
        distroSources: Bool = false, extraLines: [Template] = [], position: FileLocation
    ) {
        self.remove = remove
        self.servers = servers
        self.pools = pools
        self.allow = allow
        self.deny = deny
        self.localStratum = localStratum
        self.makestep = makestep
        self.minsources = minsources
        self.maxdistance = maxdistance
        self.rtcsync = rtcsync
        self.guardAgainstReturn = guardAgainstReturn
        self.distroSources = distroSources
        self.extraLines = extraLines
        self.position = position
    }

    /// Checks what can be checked before variables are known (everything literal), collecting every problem.
    public func validate() -> [PlanError] {
        var errors: [PlanError] = []
        if servers.isEmpty && pools.isEmpty && localStratum == nil {
            errors.append(.invalid(position, message: "timesync needs at least one server or pool, or 'local_stratum' for a master that serves its own clock"))
        }
        for source in servers + pools { errors += source.validate() }
        for subnet in allow + deny where subnet.isLiteral {
            if let problem = Subnet.problem(subnet.raw) { errors.append(.invalid(subnet.position, message: problem)) }
        }
        return errors
    }
}

/// A `server` or `pool` line with its options.
public struct TimeSource: Sendable, Codable, Hashable {
    public var address: Template
    public var iburst: Bool
    public var prefer: Bool
    public var minpoll: Int?
    public var maxpoll: Int?
    public var nts: Bool
    public var xleave: Bool
    public var key: Int?
    /// Pools only: how many of the pool's addresses to use.
    public var maxsources: Int?
    public var position: FileLocation

    public init(
        address: Template, iburst: Bool = false, prefer: Bool = false, minpoll: Int? = nil, maxpoll: Int? = nil,
        nts: Bool = false, xleave: Bool = false, key: Int? = nil, maxsources: Int? = nil, position: FileLocation
    ) {
        self.address = address
        self.iburst = iburst
        self.prefer = prefer
        self.minpoll = minpoll
        self.maxpoll = maxpoll
        self.nts = nts
        self.xleave = xleave
        self.key = key
        self.maxsources = maxsources
        self.position = position
    }

    /// chrony accepts poll exponents from -6 (1/64 s) to 24 (about 194 days).
    public static let pollRange = -6...24

    func validate() -> [PlanError] {
        var errors: [PlanError] = []
        for (name, value) in [("minpoll", minpoll), ("maxpoll", maxpoll)] {
            if let v = value, !Self.pollRange.contains(v) {
                errors.append(.invalid(position, message: "\(name) \(v) is outside chrony's range -6...24 (log2 seconds)"))
            }
        }
        if let lo = minpoll, let hi = maxpoll, lo > hi {
            errors.append(.invalid(position, message: "minpoll \(lo) is above maxpoll \(hi): chrony would poll \(address.raw) more often than it may"))
        }
        if nts && key != nil {
            errors.append(.invalid(position, message: "'nts' and 'key' both authenticate \(address.raw); use one"))
        }
        if address.isLiteral, let problem = Self.addressProblem(address.raw) {
            errors.append(.invalid(address.position, message: problem))
        }
        return errors
    }

    static func addressProblem(_ address: String) -> String? {
        if address.isEmpty { return "a time source needs an address" }
        if address.contains(where: { $0 == " " || $0 == "\t" || $0 == "#" || $0 == "\n" }) {
            return "'\(address)' is not an address or host name (spaces and # are not allowed)"
        }
        return nil
    }

    /// The chrony directive, for example `server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4`.
    func directive(_ kind: String, address: String) -> String {
        var words = [kind, address]
        if prefer { words.append("prefer") }
        if iburst { words.append("iburst") }
        if let minpoll { words += ["minpoll", String(minpoll)] }
        if let maxpoll { words += ["maxpoll", String(maxpoll)] }
        if nts { words.append("nts") }
        if xleave { words.append("xleave") }
        if let key { words += ["key", String(key)] }
        if let maxsources { words += ["maxsources", String(maxsources)] }
        return words.joined(separator: " ")
    }
}

/// Subnet checks for chrony's `allow` and `deny`.
public enum Subnet {
    /// Nil when `text` is `all`, an IPv4 or IPv6 address, or such an address with a prefix length; otherwise why not.
    public static func problem(_ text: String) -> String? {
        if text == "all" { return nil }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return "'\(text)' is not a subnet (more than one '/')" }
        let address = String(parts[0])
        let isV6 = address.contains(":")
        if isV6 ? !isIPv6(address) : !isIPv4(address) {
            return "'\(text)' is not a subnet: '\(address)' is not an IPv\(isV6 ? 6 : 4) address"
        }
        if parts.count == 2 {
            let maxPrefix = isV6 ? 128 : 32
            guard let prefix = Int(parts[1]), (0...maxPrefix).contains(prefix), parts[1].allSatisfy(\.isNumber) else {
                return "'\(text)' is not a subnet: the prefix length must be 0 to \(maxPrefix)"
            }
        }
        return nil
    }

    static func isIPv4(_ s: String) -> Bool {
        let octets = s.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { o in
            !o.isEmpty && o.count <= 3 && o.allSatisfy(\.isNumber) && Int(o).map { $0 <= 255 } == true
        }
    }

    static func isIPv6(_ s: String) -> Bool {
        let doubleColons = s.components(separatedBy: "::").count - 1
        guard doubleColons <= 1, !s.isEmpty else { return false }
        let groups = s.split(separator: ":", omittingEmptySubsequences: true)
        guard groups.count <= 8, doubleColons == 1 || groups.count == 8 else { return false }
        return groups.allSatisfy { g in g.count <= 4 && g.allSatisfy(\.isHexDigit) }
    }
}

