import FlotillaCore

/// The guard against returning time daemons as the daemon probe read it on a host: the package tool in use and
/// the guard files (`/etc/apt/preferences.d/flotilla-timesync`, `/etc/dnf/dnf.conf`, `/etc/yum.conf`), as
/// `PlanBuilder.planGuard` writes them.
public struct TimeGuard: Sendable, Codable, Hashable {
    /// One guard file: present with its lines (at most its first 64 KiB), absent, or there but unreadable.
    public struct File: Sendable, Codable, Hashable {
        public enum State: String, Sendable, Codable, Hashable { case present, absent, unreadable }
        public var path: String
        public var state: State
        public var lines: [String]
        public init(path: String, state: State, lines: [String] = []) {
            self.path = path
            self.state = state
            self.lines = lines
        }
    }

    /// The probe's `packages=` word: `dpkg-status` or `dpkg` (apt), `rpm` (dnf or yum), `none`.
    public var packageTool: String
    public var files: [File]

    public init(packageTool: String, files: [File]) {
        self.packageTool = packageTool
        self.files = files
    }

    public static let aptFile = "/etc/apt/preferences.d/flotilla-timesync"
    public static let dnfFile = "/etc/dnf/dnf.conf"
    public static let yumFile = "/etc/yum.conf"
    /// The files the probe reads.
    public static let paths = [aptFile, dnfFile, yumFile]
    /// The probe reads at most this much of each file.
    public static let readLimit = 65536

    public func file(_ path: String) -> File? { files.first { $0.path == path } }

    /// The daemons the guard must keep out on this host: the playbook's removals and, with apt, systemd-timesyncd,
    /// which conflicts with chrony over time-daemon (installing it removes chrony); `planGuard` pins it the same way.
    public func required(removed: [String]) -> [String] {
        var names = removed
        if isApt, !names.contains("systemd-timesyncd") { names.append("systemd-timesyncd") }
        return names
    }

    var isApt: Bool { packageTool == "dpkg-status" || packageTool == "dpkg" }

    /// The guard's findings for a playbook that removes `removed` with `guard: true` (nothing when `removed` is
    /// empty: the plan writes no guard then). `daemons` are the host's daemon states (a guarded daemon that is
    /// installed all the same is a finding too). Each finding is `warn`: the host's time is judged by the other
    /// findings; a missing guard is the risk that the next image build or role brings a daemon back.
    public func findings(removed: [String], daemons: [TimeDaemonState]) -> [Finding] {
        guard !removed.isEmpty else { return [] }
        let names = required(removed: removed)
        var out: [Finding] = []
        let path: String
        let kept: Set<String>
        let tool: String
        if isApt {
            path = Self.aptFile
            tool = "apt"
        } else if packageTool == "rpm" {
            path = file(Self.dnfFile)?.state == .absent && file(Self.yumFile)?.state != .absent ? Self.yumFile : Self.dnfFile
            tool = path == Self.yumFile ? "yum" : "dnf"
        } else {
            return []
        }
        let f = file(path) ?? File(path: path, state: .absent)
        switch f.state {
        case .absent:
            return [Finding(.guardMissing, .warn, "the guard \(path) is missing: \(tool) would install \(Self.list(names)) again" + (isApt ? " (installing systemd-timesyncd removes chrony)" : ""))]
        case .unreadable:
            return [Finding(.auditFailed, .unknown, "guard: \(path) cannot be read")]
        case .present:
            kept = isApt ? Self.aptPinnedOut(f.lines, names) : Self.dnfExcluded(f.lines, names)
        }
        let open = names.filter { !kept.contains($0) }
        if !open.isEmpty {
            let how = isApt ? "pin with Pin: version * and a negative Pin-Priority" : "exclude in [main]"
            out.append(Finding(.guardIncomplete, .warn, "the guard \(path) does not keep out \(Self.list(open)) (no \(how)): \(tool) would install \(open.count == 1 ? "it" : "them") again"))
        }
        let back = daemons.filter { names.contains($0.name) && ($0.installed || $0.package == .broken) }.map(\.name)
        if !back.isEmpty {
            out.append(Finding(.guardIncomplete, .warn, "the guard did not hold: \(Self.list(back)) \(back.count == 1 ? "is" : "are") installed although the guard keeps \(back.count == 1 ? "it" : "them") out"))
        }
        return out
    }

    static func list(_ names: [String]) -> String {
        names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }

    /// The names among `names` that an apt preferences file pins out: a stanza whose `Package:` names them
    /// (exactly or by a `*`/`?` glob), with `Pin: version *` (or `release *`) and a negative `Pin-Priority`.
    /// Comment lines (`#`) are skipped; stanzas are separated by blank lines (apt_preferences(5)).
    static func aptPinnedOut(_ lines: [String], _ names: [String]) -> Set<String> {
        var out = Set<String>()
        var fields: [String: String] = [:]
        func close() {
            defer { fields = [:] }
            guard let packages = fields["package"], let pin = fields["pin"], let priority = fields["pin-priority"].flatMap({ Int($0) }),
                  priority < 0 else { return }
            let words = pin.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count == 2, words[0] == "version" || words[0] == "release", words[1] == "*" else { return }
            let patterns = packages.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            for n in names where patterns.contains(where: { glob($0, matches: n) }) { out.insert(n) }
        }
        for raw in lines {
            let line = raw.trimmingWhitespace()
            if line.isEmpty { close(); continue }
            if line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].trimmingWhitespace().lowercased()] = line[line.index(after: colon)...].trimmingWhitespace()
        }
        close()
        return out
    }

    /// The names among `names` in dnf's `excludepkgs=` or yum's `exclude=` (either key, in `[main]`; names or globs
    /// separated by commas or blanks).
    static func dnfExcluded(_ lines: [String], _ names: [String]) -> Set<String> {
        var out = Set<String>()
        var inMain = false
        for raw in lines {
            let line = raw.trimmingWhitespace()
            if line.hasPrefix("[") { inMain = line == "[main]"; continue }
            guard inMain, !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingWhitespace()
            guard key == "excludepkgs" || key == "exclude" else { continue }
            let patterns = line[line.index(after: eq)...].split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map(String.init)
            for n in names where patterns.contains(where: { glob($0, matches: n) }) { out.insert(n) }
        }
        return out
    }

    /// A shell-style glob with `*` and `?` (what apt and dnf accept in package names besides plain names).
    static func glob(_ pattern: String, matches name: String) -> Bool {
        let p = Array(pattern), s = Array(name)
        var i = 0, j = 0, star = -1, mark = 0
        while j < s.count {
            if i < p.count && (p[i] == "?" || p[i] == s[j]) {
                i += 1; j += 1
            } else if i < p.count && p[i] == "*" {
                star = i; mark = j; i += 1
            } else if star >= 0 {
                i = star + 1; mark += 1; j = mark
            } else {
                return false
            }
        }
        while i < p.count && p[i] == "*" { i += 1 }
        return i == p.count
    }
}
