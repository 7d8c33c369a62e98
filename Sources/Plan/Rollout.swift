/// How apply walks the hosts of a play: batches (a canary first), a failure budget, and per-group limits.
public struct Rollout: Sendable, Codable, Hashable {
    /// A batch's size: a number of hosts or a share of the play's hosts.
    public enum Size: Sendable, Codable, Hashable, CustomStringConvertible {
        case count(Int)
        /// Percent of the play's hosts, rounded up, at least one host.
        case percent(Int)

        /// The number of hosts for a play of `total` hosts.
        public func hosts(of total: Int) -> Int {
            switch self {
            case .count(let n): return min(n, total)
            case .percent(let p): return min(total, max(1, (total * p + 99) / 100))
            }
        }

        public var description: String {
            switch self {
            case .count(let n): "\(n)"
            case .percent(let p): "\(p)%"
            }
        }
    }

    /// At most K hosts of the groups whose name starts with one of `prefixes` in one batch (zones, racks).
    public struct GroupLimit: Sendable, Codable, Hashable {
        public var prefixes: [String]
        public var limit: Int
        public init(prefixes: [String], limit: Int) {
            self.prefixes = prefixes
            self.limit = limit
        }
    }

    /// Batch sizes in order; the last one repeats until every host had its turn. Empty means all at once.
    public var serial: [Size]
    /// A failure budget: an absolute number of hosts or a share of the play's hosts.
    public enum Budget: Sendable, Codable, Hashable, CustomStringConvertible {
        case count(Int)
        /// Percent of the play's hosts, rounded down (0% allows no failure).
        case percent(Int)

        /// How many failed hosts a play of `total` hosts may have before no new batch starts.
        public func allowed(of total: Int) -> Int {
            switch self {
            case .count(let n): n
            case .percent(let p): total * p / 100
            }
        }

        public var description: String {
            switch self {
            case .count(let n): "\(n)"
            case .percent(let p): "\(p)%"
            }
        }
    }

    /// Failures allowed before no new batch starts (counted over the whole run); nil means any failure stops it.
    public var maxFailures: Budget?
    public var maxPerGroup: [GroupLimit]

    public init(serial: [Size] = [], maxFailures: Budget? = nil, maxPerGroup: [GroupLimit] = []) {
        self.serial = serial
        self.maxFailures = maxFailures
        self.maxPerGroup = maxPerGroup
    }

    /// The batch sizes for `total` hosts, in order (they add up to `total`).
    public func batches(of total: Int) -> [Int] {
        guard total > 0 else { return [] }
        let sizes = serial.isEmpty ? [Size.count(total)] : serial
        var out: [Int] = []
        var left = total
        var i = 0
        while left > 0 {
            let n = max(1, min(left, sizes[min(i, sizes.count - 1)].hosts(of: total)))
            out.append(n)
            left -= n
            i += 1
        }
        return out
    }
}
