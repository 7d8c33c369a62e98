public import FlotillaCore

/// What ssh_config says about one host. Every field is optional: nil means the config does not set it,
/// and the caller's own default (or the inventory) applies.
public struct SSHHostConfig: Sendable, Hashable {
    /// The host name as asked for (`Host` patterns and `%n` match this).
    public var host: String
    /// `HostName`, with `%h` expanded: the address to connect to instead of `host`.
    public var hostName: String?
    /// The login user: the caller's user when it gave one (it wins, like `ssh -l`), else `User`.
    public var user: String?
    public var port: Int?
    /// `IdentityFile` values in order, without repeats, with tokens, `${VAR}` and `~` expanded.
    public var identityFiles: [String]
    public var identitiesOnly: Bool?
    /// `StrictHostKeyChecking`: yes and ask give strict (Flotilla never prompts), accept-new gives
    /// acceptNew, no and off give off.
    public var strictHostKeyChecking: HostKeyPolicy?
    /// `UserKnownHostsFile` values, expanded; an empty list means `none`.
    public var userKnownHostsFiles: [String]?
    /// `ConnectTimeout`.
    public var connectTimeout: Duration?
    /// `ServerAliveInterval` (zero means keepalives are off).
    public var serverAliveInterval: Duration?
    /// `ProxyJump`: nil when unset, empty for `none`.
    public var proxyJump: [JumpSpec]?
    /// `ProxyCommand` as written (tokens unexpanded): nil when unset, empty for `none`.
    public var proxyCommand: String?
    /// `GlobalKnownHostsFile`, expanded: nil when unset, empty for `none`.
    public var globalKnownHostsFiles: [String]?
    /// `HostKeyAlias`.
    public var hostKeyAlias: String?
    /// `IdentityAgent`: `none` (no agent), `SSH_AUTH_SOCK` (the environment's), or the agent's socket path,
    /// expanded (a `$NAME` that is unset gives `none`, as in ssh); nil when unset.
    public var identityAgent: String?
    /// Lines that apply to this host and would make ssh connect elsewhere or otherwise, in a way Flotilla does
    /// not implement. A host with any is refused (`SSHConfigError.unhonoured`).
    public var refusals: [SSHConfigRefusal]
    /// The keywords Flotilla does not implement that were set for this host, harmless values (`ProxyJump none`)
    /// included: a later source cannot set them any more (the first value wins).
    public var unimplementedKeywords: Set<String>

    public init(
        host: String, hostName: String? = nil, user: String? = nil, port: Int? = nil, identityFiles: [String] = [],
        identitiesOnly: Bool? = nil, strictHostKeyChecking: HostKeyPolicy? = nil,
        userKnownHostsFiles: [String]? = nil, connectTimeout: Duration? = nil, serverAliveInterval: Duration? = nil,
        proxyJump: [JumpSpec]? = nil, proxyCommand: String? = nil, globalKnownHostsFiles: [String]? = nil,
        hostKeyAlias: String? = nil, identityAgent: String? = nil, refusals: [SSHConfigRefusal] = [],
        unimplementedKeywords: Set<String> = []
    ) {
        self.identityAgent = identityAgent
        self.proxyJump = proxyJump
        self.proxyCommand = proxyCommand
        self.globalKnownHostsFiles = globalKnownHostsFiles
        self.hostKeyAlias = hostKeyAlias
        self.refusals = refusals
        self.unimplementedKeywords = unimplementedKeywords
        self.host = host
        self.hostName = hostName
        self.user = user
        self.port = port
        self.identityFiles = identityFiles
        self.identitiesOnly = identitiesOnly
        self.strictHostKeyChecking = strictHostKeyChecking
        self.userKnownHostsFiles = userKnownHostsFiles
        self.connectTimeout = connectTimeout
        self.serverAliveInterval = serverAliveInterval
    }
}

/// One ssh_config line (or ssh option) that applies to a host and that Flotilla cannot honour.
public struct SSHConfigRefusal: Sendable, Hashable, CustomStringConvertible {
    /// The config file, or where the option was written (an inventory variable).
    public var file: String
    /// 0 when the option has no line of its own.
    public var line: Int
    /// As written in lower case (`proxyjump`), or `Match`.
    public var keyword: String
    public var value: String
    public var why: String

    public init(file: String, line: Int, keyword: String, value: String, why: String) {
        self.file = file
        self.line = line
        self.keyword = keyword
        self.value = value
        self.why = why
    }

    public var description: String {
        "\(line > 0 ? "\(file):\(line)" : file): \(keyword) \(value): \(why), and Flotilla does not implement it"
    }
}

extension SSHHostConfig {
    /// These values, with every unset one taken from `other`; identity files from both, these first (as ssh
    /// uses -i files before the config's). For ssh's command line over its config file.
    public func filled(from other: SSHHostConfig) -> SSHHostConfig {
        var identities = identityFiles
        for file in other.identityFiles where !identities.contains(file) { identities.append(file) }
        return SSHHostConfig(
            host: host, hostName: hostName ?? other.hostName, user: user ?? other.user, port: port ?? other.port,
            identityFiles: identities, identitiesOnly: identitiesOnly ?? other.identitiesOnly,
            strictHostKeyChecking: strictHostKeyChecking ?? other.strictHostKeyChecking,
            userKnownHostsFiles: userKnownHostsFiles ?? other.userKnownHostsFiles,
            connectTimeout: connectTimeout ?? other.connectTimeout,
            serverAliveInterval: serverAliveInterval ?? other.serverAliveInterval,
            proxyJump: proxyJump ?? (proxyCommand == nil ? other.proxyJump : nil),
            proxyCommand: proxyCommand ?? (proxyJump == nil ? other.proxyCommand : nil),
            globalKnownHostsFiles: globalKnownHostsFiles ?? other.globalKnownHostsFiles,
            hostKeyAlias: hostKeyAlias ?? other.hostKeyAlias,
            identityAgent: identityAgent ?? other.identityAgent,
            refusals: refusals + other.refusals, unimplementedKeywords: unimplementedKeywords.union(other.unimplementedKeywords))
    }
}
