import FlotillaCore

/// One key line of a known_hosts file.
public struct KnownHostsEntry: Sendable, Hashable {
    /// The optional `@...` marker in front of the host field.
    public enum Marker: String, Sendable, Hashable {
        /// A plain line: these hosts have this key.
        case none = ""
        /// `@cert-authority`: the key signs host certificates (see `HostCertificateCheck`). Such lines never
        /// vouch for a plain key.
        case certAuthority = "@cert-authority"
        /// `@revoked`: this key must never be accepted for these hosts.
        case revoked = "@revoked"
    }

    /// The host field.
    public enum Hosts: Sendable, Hashable {
        /// Comma-separated patterns, e.g. `web1,10.0.0.5,[web1]:2222,*.lab,!bad.lab`.
        case patterns([String])
        /// `|1|salt|hmac`: HMAC-SHA1 of the name (as looked up) keyed with the salt.
        case hashed(salt: [UInt8], hmac: [UInt8])
    }

    public var marker: Marker
    public var hosts: Hosts
    public var key: HostKey
    /// The rest of the line after the key, if any.
    public var comment: String?
    public var file: String
    /// 1-based line number in `file`.
    public var line: Int

    public init(marker: Marker = .none, hosts: Hosts, key: HostKey, comment: String? = nil, file: String, line: Int) {
        self.marker = marker
        self.hosts = hosts
        self.key = key
        self.comment = comment
        self.file = file
        self.line = line
    }

    /// The name under which OpenSSH files a host: the lower-cased host for port 22, `[host]:port`
    /// otherwise.
    public static func lookupName(host: String, port: Int) -> String {
        let name = host.lowercased()
        return port == 22 || port == 0 ? name : "[\(name)]:\(port)"
    }

    /// Whether this line's host field applies to `lookupName` (see `lookupName(host:port:)`).
    public func matches(lookupName: String) -> Bool {
        switch hosts {
        case .patterns(let patterns):
            return WildcardPattern.matchList(lookupName, patterns) == .matched
        case .hashed(let salt, let hmac):
            return HMAC.sha1(key: salt, message: Array(lookupName.utf8)) == hmac
        }
    }

    /// The host field as written in a file.
    public var hostField: String {
        switch hosts {
        case .patterns(let patterns): patterns.joined(separator: ",")
        case .hashed(let salt, let hmac): "|1|\(Base64.encode(salt))|\(Base64.encode(hmac))"
        }
    }

    /// The whole line as written in a file, without the newline.
    public var text: String {
        var parts = [String]()
        if marker != .none { parts.append(marker.rawValue) }
        parts += [hostField, key.type, key.base64]
        if let comment { parts.append(comment) }
        return parts.joined(separator: " ")
    }
}
