/// What a playbook needs to know about a host: the packages, units and files in play.
///
/// The fact script asks for exactly these, so that gathering stays one small round trip however large the
/// host is. Names are checked here, before they reach a remote shell or a tool's command line.
public struct FactRequest: Sendable, Hashable, Codable {
    public private(set) var packages: [String]
    public private(set) var units: [String]
    public private(set) var files: [String]
    /// Files larger than this are reported with their size and digest but without content.
    public var maxFileBytes: Int

    /// An empty request (os-release, package manager, virtualization, capabilities and chrony only).
    public init(maxFileBytes: Int = 256 << 10) {
        packages = []
        units = []
        files = []
        self.maxFileBytes = maxFileBytes
    }

    public init(packages: [String] = [], units: [String] = [], files: [String] = [], maxFileBytes: Int = 256 << 10) throws(FactsError) {
        self.packages = []
        self.units = []
        self.files = []
        self.maxFileBytes = maxFileBytes
        for p in packages { try add(package: p) }
        for u in units { try add(unit: u) }
        for f in files { try add(file: f) }
    }

    /// Adds a package name (Debian or RPM naming: letters, digits, `+ - . _`; no globs, no options).
    public mutating func add(package name: String) throws(FactsError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-._")
        guard let first = name.first, first.isLetter || first.isNumber, name.allSatisfy({ allowed.contains($0) }) else {
            throw .invalidRequest(kind: "package", name: name, reason: "a package name has letters, digits and + - . _ only, and starts with a letter or digit")
        }
        if !packages.contains(name) { packages.append(name) }
    }

    /// Adds a systemd unit name (`chrony.service`, `getty@tty1.service`).
    public mutating func add(unit name: String) throws(FactsError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.@\\")
        guard let first = name.first, first != "-", name.contains("."), name.allSatisfy({ allowed.contains($0) }) else {
            throw .invalidRequest(kind: "unit", name: name, reason: "a unit name looks like NAME.TYPE (chrony.service) with letters, digits and : - _ . @ \\ only")
        }
        if !units.contains(name) { units.append(name) }
    }

    /// Adds an absolute file path (no newlines; the fact output is line based).
    public mutating func add(file path: String) throws(FactsError) {
        guard path.hasPrefix("/") else {
            throw .invalidRequest(kind: "file", name: path, reason: "the path must be absolute")
        }
        guard !path.contains("\n"), !path.contains("\r"), !path.contains("\0") else {
            throw .invalidRequest(kind: "file", name: path, reason: "the path contains a line break or NUL")
        }
        if !files.contains(path) { files.append(path) }
    }

    /// The union of two requests (a host in several plays is asked once).
    public func merged(with other: FactRequest) -> FactRequest {
        var r = self
        for p in other.packages where !r.packages.contains(p) { r.packages.append(p) }
        for u in other.units where !r.units.contains(u) { r.units.append(u) }
        for f in other.files where !r.files.contains(f) { r.files.append(f) }
        r.maxFileBytes = max(maxFileBytes, other.maxFileBytes)
        return r
    }
}
