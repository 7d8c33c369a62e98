/// What the package database says about one package.
public struct PackageFact: Sendable, Codable, Hashable {
    /// The package's state, with dpkg's distinctions kept: config files left behind is not "installed".
    public enum Status: String, Sendable, Codable, Hashable {
        /// Installed and configured (dpkg `ii`, or triggers pending; rpm: in the database).
        case installed
        /// Removed with its configuration files kept (dpkg `rc`): `purge` still has work to do.
        case configFiles = "config-files"
        /// Unpacked, half-installed or half-configured: a previous run was interrupted.
        case broken
        /// Not installed (never was, or purged).
        case notInstalled = "not-installed"
        /// No package database on the host (neither dpkg nor rpm).
        case unknown
    }

    public var name: String
    public var status: Status
    /// The installed version (`1:4.2.8p15+dfsg-2`, `4.5-1.el9`), when there is one.
    public var version: String?
    /// dpkg's status abbreviation as printed (`ii`, `rc`, `iU`, `un`); nil on RPM systems.
    public var dpkgStatus: String?

    public init(name: String, status: Status, version: String? = nil, dpkgStatus: String? = nil) {
        self.name = name
        self.status = status
        self.version = version
        self.dpkgStatus = dpkgStatus
    }

    public static func absent(_ name: String) -> PackageFact { PackageFact(name: name, status: .notInstalled) }

    public var isInstalled: Bool { status == .installed }
    /// True when something of the package is on disk: installed, broken, or configuration left behind.
    public var leavesTraces: Bool { status == .installed || status == .configFiles || status == .broken }

    /// The status from dpkg's `db:Status-Abbrev` (desired, status, error flag).
    public static func status(dpkgAbbrev: String) -> Status {
        let chars = Array(dpkgAbbrev)
        guard chars.count >= 2 else { return .notInstalled }
        switch chars[1] {
        case "i", "W", "t", "w", "T": return chars.count >= 3 && chars[2] == "R" ? .broken : .installed
        case "c": return .configFiles
        case "n": return .notInstalled
        default: return .broken
        }
    }
}
