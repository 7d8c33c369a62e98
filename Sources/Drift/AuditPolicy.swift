/// The thresholds and expectations an audit judges hosts by.
public struct AuditPolicy: Sendable, Codable, Hashable {
    /// |offset| above this is a warning, seconds (default 50 ms: node-exporter's and Ceph's threshold).
    public var maxOffset: Double
    /// |offset| above this is critical, seconds (default 1 s: chrony's default step threshold).
    public var critical: Double
    /// What the playbook expects of competing daemons.
    public var daemons: TimeDaemons.Expectations

    public init(maxOffset: Double = 0.05, critical: Double = 1, daemons: TimeDaemons.Expectations = .init()) throws(DriftError) {
        guard maxOffset > 0, maxOffset.isFinite else {
            throw .invalidSetting(name: "--max-offset", value: String(maxOffset), reason: "must be a positive duration")
        }
        guard critical >= maxOffset, critical.isFinite else {
            throw .invalidSetting(name: "--critical", value: String(critical), reason: "must be at least --max-offset (\(maxOffset) s)")
        }
        self.maxOffset = maxOffset
        self.critical = critical
        self.daemons = daemons
    }
}
