/// The fleet at a glance: how far apart the clocks are, the middle, the odd ones out, and who follows whom.
public struct FleetView: Sendable, Codable, Hashable {
    /// Hosts with a chrony offset (synchronised or free-running with a claim).
    public var measured: Int
    /// Largest minus smallest offset, seconds; nil with no measured host.
    public var spread: Double?
    public var median: Double?
    public var minimum: Double?
    public var maximum: Double?
    /// Median absolute deviation from the median, seconds.
    public var mad: Double?
    /// Hosts whose offset is further than `outlierFactor` × max(MAD, `madFloor`) from the median, by name.
    public var outliers: [String]
    /// Source address (`local`, or `none` when not synchronised) -> host names, sorted.
    public var bySource: [String: [String]]

    /// Outliers are more than this many MADs from the median.
    public static let outlierFactor = 3.0
    /// The MAD never counts as less than this, seconds: in a well-synced fleet the MAD is microseconds, and a
    /// host 50 µs off would otherwise be an "outlier" of no consequence.
    public static let madFloor = 0.001

    public init(_ hosts: [HostAudit]) {
        let offsets = hosts.compactMap { h in h.offset.map { (h.host, $0) } }
        measured = offsets.count
        let values = offsets.map(\.1).sorted()
        minimum = values.first
        maximum = values.last
        spread = values.isEmpty ? nil : values.last! - values.first!
        median = Self.median(values)
        if let median {
            let deviations = values.map { abs($0 - median) }.sorted()
            let mad = Self.median(deviations) ?? 0
            self.mad = mad
            let limit = Self.outlierFactor * max(mad, Self.madFloor)
            outliers = offsets.filter { abs($0.1 - median) > limit }.map(\.0).sorted()
        } else {
            mad = nil
            outliers = []
        }
        var groups: [String: [String]] = [:]
        for h in hosts where h.chrony != nil {
            groups[h.source ?? "none", default: []].append(h.host)
        }
        bySource = groups.mapValues { $0.sorted() }
    }

    /// The median of sorted values.
    public static func median(_ sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
