/// A whole audit: when, by which thresholds, every host (most severe first, then by name) and the fleet view.
public struct AuditReport: Sendable, Codable, Hashable {
    /// Unix time the audit started, seconds.
    public var startedAt: Double
    /// Seconds the audit took.
    public var duration: Double
    public var maxOffset: Double
    public var critical: Double
    public var hosts: [HostAudit]
    public var fleet: FleetView

    public init(startedAt: Double, duration: Double, policy: AuditPolicy, hosts: [HostAudit]) {
        self.startedAt = startedAt
        self.duration = duration
        maxOffset = policy.maxOffset
        critical = policy.critical
        self.hosts = hosts.sorted { a, b in
            a.verdict != b.verdict ? a.verdict > b.verdict : a.host.naturallyPrecedes(b.host)
        }
        fleet = FleetView(hosts)
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
