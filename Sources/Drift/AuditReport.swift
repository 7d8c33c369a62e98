/// A whole audit: when, by which thresholds, every host (most severe first, then by name) and the fleet view.
public struct AuditReport: Sendable, Codable, Hashable {
    /// The offset thresholds the hosts were judged by, seconds (`--max-offset`, `--critical`).
    public struct Thresholds: Sendable, Codable, Hashable {
        /// |offset| above this (or not confirmed within it) is at least `warn`.
        public var warnSeconds: Double
        /// |offset| above this is `critical`.
        public var criticalSeconds: Double
        public init(warnSeconds: Double, criticalSeconds: Double) {
            self.warnSeconds = warnSeconds
            self.criticalSeconds = criticalSeconds
        }
    }

    /// Unix time the audit started, seconds.
    public var startedAt: Double
    /// Seconds the audit took.
    public var duration: Double
    public var thresholds: Thresholds
    public var hosts: [HostAudit]
    public var fleet: FleetView

    public init(startedAt: Double, duration: Double, policy: AuditPolicy, hosts: [HostAudit]) {
        self.startedAt = startedAt
        self.duration = duration
        thresholds = Thresholds(warnSeconds: policy.maxOffset, criticalSeconds: policy.critical)
        self.hosts = hosts.sorted { a, b in
            a.verdict != b.verdict ? a.verdict > b.verdict : a.host.naturallyPrecedes(b.host)
        }
        fleet = FleetView(hosts)
    }

    enum CodingKeys: String, CodingKey {
        case startedAt, duration, thresholds, hosts, fleet
        /// Before 2026-12: the thresholds were top-level `maxOffset` and `critical` (seconds, though `critical`
        /// read like a count of critical hosts). Still read, never written.
        case maxOffset, critical
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        startedAt = try c.decode(Double.self, forKey: .startedAt)
        duration = try c.decode(Double.self, forKey: .duration)
        if let t = try c.decodeIfPresent(Thresholds.self, forKey: .thresholds) {
            thresholds = t
        } else {
            thresholds = Thresholds(
                warnSeconds: try c.decode(Double.self, forKey: .maxOffset), criticalSeconds: try c.decode(Double.self, forKey: .critical))
        }
        hosts = try c.decode([HostAudit].self, forKey: .hosts)
        fleet = try c.decode(FleetView.self, forKey: .fleet)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(duration, forKey: .duration)
        try c.encode(thresholds, forKey: .thresholds)
        try c.encode(hosts, forKey: .hosts)
        try c.encode(fleet, forKey: .fleet)
    }

    /// How many hosts got each verdict.
    public var counts: [Verdict: Int] {
        var c: [Verdict: Int] = [:]
        for h in hosts { c[h.verdict, default: 0] += 1 }
        return c
    }

    /// 0 when every host is ok, 2 when any is not (Flotilla's own errors, 1, are the CLI's to give).
    public var exitCode: Int32 { hosts.allSatisfy { $0.verdict == .ok } ? 0 : 2 }
}

extension String {
    /// Names with numbers in natural order (web2 before web10), without Foundation.
    func naturallyPrecedes(_ other: String) -> Bool {
        let a = Self.chunks(self), b = Self.chunks(other)
        for (x, y) in zip(a, b) where x != y {
            if let i = Int(x), let j = Int(y), i != j { return i < j }
            return x < y
        }
        return a.count < b.count
    }

    private static func chunks(_ s: String) -> [String] {
        var out: [String] = []
        var current = ""
        var digits = false
        for c in s {
            let isDigit = c.isASCII && c.isNumber
            if !current.isEmpty && isDigit != digits {
                out.append(current)
                current = ""
            }
            digits = isDigit
            current.append(c)
        }
        if !current.isEmpty { out.append(current) }
        return out
    }
}
