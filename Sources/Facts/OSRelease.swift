import FlotillaCore

/// What /etc/os-release says about the distribution.
public struct OSRelease: Sendable, Codable, Hashable {
    /// The family decides package tools, file paths and unit names.
    public enum Family: String, Sendable, Codable, Hashable {
        /// Debian, Ubuntu and their derivatives: apt, /etc/chrony/chrony.conf, chrony.service.
        case debian
        /// RHEL, CentOS Stream, Rocky, Alma, Fedora, Amazon Linux: dnf or yum, /etc/chrony.conf, chronyd.service.
        case redhat
        /// Anything else: Flotilla will not guess paths for it.
        case other
    }

    /// `ID`, for example `debian`, `ubuntu`, `rhel`, `amzn`.
    public var id: String
    /// `VERSION_ID`, for example `12`, `24.04`, `9.4`, `2023`.
    public var versionID: String
    /// `ID_LIKE`, split on spaces.
    public var idLike: [String]
    /// `PRETTY_NAME`, for messages.
    public var prettyName: String
    public var family: Family

    public init(id: String, versionID: String, idLike: [String] = [], prettyName: String = "", family: Family? = nil) {
        self.id = id
        self.versionID = versionID
        self.idLike = idLike
        self.prettyName = prettyName.isEmpty ? "\(id) \(versionID)" : prettyName
        self.family = family ?? OSRelease.family(id: id, idLike: idLike)
    }

    /// The family from `ID` and `ID_LIKE`.
    public static func family(id: String, idLike: [String]) -> Family {
        let debian: Set = ["debian", "ubuntu", "raspbian", "linuxmint", "pop", "devuan", "kali"]
        let redhat: Set = ["rhel", "centos", "fedora", "rocky", "almalinux", "amzn", "ol", "oracle", "cloudlinux", "eurolinux"]
        let all = [id] + idLike
        if all.contains(where: debian.contains) { return .debian }
        if all.contains(where: redhat.contains) { return .redhat }
        return .other
    }

    /// Reads os-release text: `KEY=value` lines, values optionally in single or double quotes with
    /// backslash escapes (as os-release(5) specifies). Returns the keys and values it found.
    public static func fields(_ text: some StringProtocol) -> [String: String] {
        var out: [String: String] = [:]
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<eq])
            var value = Substring(line[line.index(after: eq)...])
            if let q = value.first, q == "\"" || q == "'", value.count >= 2, value.last == q {
                value = value.dropFirst().dropLast()
                var unescaped = ""
                var escape = false
                for c in value {
                    if escape { unescaped.append(c); escape = false } else if c == "\\" && q == "\"" { escape = true } else { unescaped.append(c) }
                }
                out[key] = unescaped
            } else {
                out[key] = String(value)
            }
        }
        return out
    }
}
