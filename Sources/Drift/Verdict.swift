/// A host's verdict. Severity orders them for sorting and for combining findings:
/// critical > warn > unknown > ok (a host with chrony absent and ntpd active is critical, not unknown).
public enum Verdict: String, Sendable, Codable, Hashable, CaseIterable, Comparable {
    case ok, unknown, warn, critical

    public var severity: Int {
        switch self {
        case .ok: 0
        case .unknown: 1
        case .warn: 2
        case .critical: 3
        }
    }

    public static func < (a: Verdict, b: Verdict) -> Bool { a.severity < b.severity }
}
