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

    public init(
        host: String, hostName: String? = nil, user: String? = nil, port: Int? = nil, identityFiles: [String] = [],
        identitiesOnly: Bool? = nil, strictHostKeyChecking: HostKeyPolicy? = nil,
        userKnownHostsFiles: [String]? = nil, connectTimeout: Duration? = nil, serverAliveInterval: Duration? = nil
    ) {
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
