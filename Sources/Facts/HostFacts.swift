/// Everything Flotilla knows about one host, typed. Built by `FactParser` from the fact script's output.
public struct HostFacts: Sendable, Codable, Hashable {
    public var os: OSRelease
    public var packageManager: PackageManager
    /// True when systemd is PID 1 and running (`/run/systemd/system` exists).
    public var systemdRunning: Bool
    /// The packages asked for, by name (a name missing here was not asked for).
    public var packages: [String: PackageFact]
    /// The units asked for, by the name asked for.
    public var units: [String: UnitFact]
    /// The files asked for, by path.
    public var files: [String: FileFact]
    public var virtualization: Virtualization
    /// CAP_SYS_TIME (bit 25) is in the bounding set: a daemon started on this host may set the clock.
    public var hasCapSysTime: Bool
    /// `chronyd --version`'s version number, when chronyd is installed.
    public var chronyVersion: String?

    public init(
        os: OSRelease, packageManager: PackageManager, systemdRunning: Bool = true,
        packages: [String: PackageFact] = [:], units: [String: UnitFact] = [:], files: [String: FileFact] = [:],
        virtualization: Virtualization = .none, hasCapSysTime: Bool = true, chronyVersion: String? = nil
    ) {
        self.os = os
        self.packageManager = packageManager
        self.systemdRunning = systemdRunning
        self.packages = packages
        self.units = units
        self.files = files
        self.virtualization = virtualization
        self.hasCapSysTime = hasCapSysTime
        self.chronyVersion = chronyVersion
    }

    /// The package's facts; a package that was not reported counts as not installed.
    public func package(_ name: String) -> PackageFact { packages[name] ?? .absent(name) }
    /// The unit's facts; a unit that was not reported counts as not found.
    public func unit(_ name: String) -> UnitFact { units[name] ?? .notFound(name) }
    /// The file's facts; a file that was not reported counts as absent.
    public func file(_ path: String) -> FileFact { files[path] ?? .absent(path) }

    /// A digest of these facts for saved plans: equal facts give equal digests.
    public var digest: String { FactsDigest.digest(of: self) }
}

/// The package tool a host uses.
public enum PackageManager: String, Sendable, Codable, Hashable {
    case apt, dnf, yum, unknown
}
