/// A fault to inject into one lab host.
public enum LabFault: Sendable, Hashable {
    /// The host's upstream (169.254.169.123) answers with a clock off by this many seconds; 0 removes it.
    case skew(Double)
    /// Stop the container (its disk stays).
    case down
    /// Start a stopped container.
    case up
    /// Cut the host's link to the lab network.
    case partition
    /// Restore the link and remove a skew.
    case heal
    /// Hold /var/lib/dpkg/lock-frontend and /var/lib/dpkg/lock for this many seconds, as unattended-upgrades does.
    case dpkgLock(seconds: Double)
    /// The host's package mirror is down: the lab's hosts have no route to one and install from apt's cache of
    /// .debs, so the cached .debs are moved aside (`heal` puts them back) and apt has to fetch, and cannot.
    case mirrorDown
    /// The unit fails to start: a drop-in with `ExecStartPre=/bin/false` (`heal` removes it). Takes effect at
    /// the host's next daemon-reload (unmask, enable and daemon-reload all reload).
    case failStart(unit: String)

    /// The largest skew, seconds (365 days): NTP timestamps and sleeps stay far from overflow.
    public static let maxSkew = 365.0 * 86400
    /// The longest dpkg lock hold, seconds (1 day).
    public static let maxLockHold = 86400.0

    /// Parses the CLI words: `skew SECONDS`, `down`, `up`, `partition`, `heal`, `dpkg-lock SECONDS`, `mirror-down`,
    /// `fail-start UNIT`.
    public init(words: [String], host: String) throws {
        func number(_ what: String) throws -> Double {
            guard words.count == 2, let v = Double(words[1]), v.isFinite else {
                throw LabError.badFault(host: host, reason: "`\(what)` needs one number of seconds")
            }
            return v
        }
        switch words.first {
        case "skew":
            let s = try number("skew")
            guard abs(s) <= Self.maxSkew else { throw LabError.badFault(host: host, reason: "skew must be within ±\(Int(Self.maxSkew)) seconds (365 days)") }
            self = .skew(s)
        case "dpkg-lock":
            let s = try number("dpkg-lock")
            guard s > 0, s <= Self.maxLockHold else {
                throw LabError.badFault(host: host, reason: "dpkg-lock needs a positive number of seconds, at most \(Int(Self.maxLockHold))")
            }
            self = .dpkgLock(seconds: s)
        case "down" where words.count == 1: self = .down
        case "up" where words.count == 1: self = .up
        case "partition" where words.count == 1: self = .partition
        case "heal" where words.count == 1: self = .heal
        case "mirror-down" where words.count == 1: self = .mirrorDown
        case "fail-start":
            guard words.count == 2, let unit = words.last, unit.hasSuffix(".service"),
                  unit.allSatisfy({ $0.isLetter || $0.isNumber || "-_.@".contains($0) }) else {
                throw LabError.badFault(host: host, reason: "`fail-start` needs one unit name, such as chrony.service")
            }
            self = .failStart(unit: unit)
        default:
            throw LabError.badFault(
                host: host,
                reason: "unknown fault `\(words.joined(separator: " "))` (skew SECONDS, down, up, partition, heal, dpkg-lock SECONDS, mirror-down, fail-start UNIT)")
        }
    }
}
