/// What one host's chrony says, typed: the answer of `SyncCheck` for the audit and for apply's sync gate.
///
/// `clockOffset` uses the usual sign (host clock minus true time, positive when the host is ahead), the same
/// as the controller's cross-check; chrony's own signed value stays in `tracking.systemTime`.
public struct ChronyStatus: Sendable, Codable, Hashable {
    /// Whether chrony could be asked at all.
    public enum Daemon: Sendable, Codable, Hashable {
        /// chronyc answered.
        case running
        /// No chronyc on the host: chrony is not installed.
        case absent
        /// chronyc is there but no chronyd answered (`506 Cannot talk to daemon`).
        case notRunning(message: String)
        /// chronyc failed otherwise (not authorised, killed, timed out).
        case failed(command: String, status: String, message: String)
    }

    public var host: String
    public var daemon: Daemon
    public var tracking: ChronyTracking?
    public var sources: [ChronySource]
    /// The host's own clock when the check ran (Unix seconds), for the age of the last update.
    public var hostTime: Double?
    /// The sources the playbook or inventory expects (names or addresses, as given).
    public var expectedSources: [String]
    /// The expected sources and the addresses the host resolves them to.
    public var expectedAddresses: [String]

    public init(
        host: String, daemon: Daemon, tracking: ChronyTracking? = nil, sources: [ChronySource] = [],
        hostTime: Double? = nil, expectedSources: [String] = [], expectedAddresses: [String]? = nil
    ) {
        self.host = host
        self.daemon = daemon
        self.tracking = tracking
        self.sources = sources
        self.hostTime = hostTime
        self.expectedSources = expectedSources
        self.expectedAddresses = expectedAddresses ?? expectedSources
    }

    /// The source chrony is synchronised to (`*`).
    public var selectedSource: ChronySource? { sources.first { $0.state == .selected } }

    /// chrony claims sync AND has something to follow: a selected source, or its own clock under `local stratum`.
    /// A chronyd that lost every source keeps saying "Normal" while it free-runs; that is not synchronised.
    public var synchronised: Bool {
        guard daemon == .running, let tracking, tracking.claimsSync else { return false }
        return selectedSource != nil || tracking.isLocalReference
    }

    /// chrony follows its own clock (`local stratum`), not a source.
    public var followsLocalClock: Bool { synchronised && tracking?.isLocalReference == true }

    /// Whether the selected source is one of the expected ones; nil when nothing is expected or nothing is selected.
    public var followsExpectedSource: Bool? {
        guard !expectedSources.isEmpty else { return nil }
        guard let selected = selectedSource?.address ?? (synchronised ? tracking?.referenceName : nil), !selected.isEmpty else {
            return nil
        }
        let wanted = Set(expectedAddresses.map { $0.lowercased() })
        return wanted.contains(selected.lowercased())
    }

    /// Host clock minus true time, seconds (positive: the host is ahead); nil unless chrony claims sync.
    public var clockOffset: Double? {
        guard daemon == .running, let tracking, tracking.claimsSync else { return nil }
        return -tracking.systemTime
    }

    /// |offset| + root dispersion + root delay / 2, seconds; nil unless chrony claims sync.
    public var errorBound: Double? {
        guard daemon == .running, let tracking, tracking.claimsSync else { return nil }
        return tracking.errorBound
    }

    public var stratum: Int? { tracking?.stratum }
    public var leapStatus: ChronyTracking.LeapStatus? { tracking?.leapStatus }

    /// Seconds since chrony last updated the clock (host time minus reference time); nil when never.
    public var sinceLastUpdate: Double? {
        guard let tracking, tracking.referenceTime > 0, let hostTime else { return nil }
        return max(0, hostTime - tracking.referenceTime)
    }

    /// Sources that answered at least one of the last 8 polls.
    public var reachableSources: [ChronySource] { sources.filter { $0.reach != 0 } }

    /// In words, why the host is not synchronised; nil when it is.
    public var notSynchronisedReason: String? {
        switch daemon {
        case .absent: return "chrony is not installed (no chronyc)"
        case .notRunning(let message): return "chronyd is not running (chronyc: \(message))"
        case .failed(let command, let status, let message): return "\(command) failed (\(status)): \(message)"
        case .running: break
        }
        guard let tracking else { return "chronyc gave no tracking data" }
        if synchronised { return nil }
        if sources.isEmpty { return "chrony has no sources configured" }
        let list = sources.map(Self.describe).joined(separator: ", ")
        if reachableSources.isEmpty { return "no source has answered: \(list)" }
        if tracking.claimsSync {
            let age = sinceLastUpdate.map { ", free-running since its last update \(Self.seconds($0)) ago" } ?? ""
            return "no selectable source (\(list))\(age)"
        }
        return "not synchronised yet: \(list)"
    }

    /// `127.0.0.4 (unreachable, reach 0, never heard)`.
    static func describe(_ s: ChronySource) -> String {
        let heard = s.lastRx.map { "last sample \(seconds(Double($0))) ago" } ?? "never heard"
        return "\(s.address) (\(s.state.meaning), reach \(s.reachText), \(heard))"
    }

    /// A duration for people; never traps, whatever the value (huge or not finite values are printed as numbers).
    static func seconds(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e15 else { return "\(value) s" }
        if value >= 3600 { return "\(Int(value / 3600)) h \(Int(value.truncatingRemainder(dividingBy: 3600) / 60)) min" }
        if value >= 120 { return "\(Int(value / 60)) min" }
        return "\(Int(value.rounded())) s"
    }
}
