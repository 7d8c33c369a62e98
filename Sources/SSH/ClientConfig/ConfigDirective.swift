import FlotillaCore

/// One meaningful line of an ssh_config file, parsed and checked. `resolve` walks these in order.
enum ConfigDirective: Sendable {
    /// `Host pattern...`: starts a block that applies when the host matches.
    case host(patterns: [String])
    /// `Match ...`: starts a block that applies when every criterion holds.
    case match(MatchCondition)
    /// A keyword Flotilla honours, with its checked value.
    case option(ConfigOption)
    /// `Include`: the files the patterns named, parsed, in glob order.
    case include([ConfigSource])
}

/// A parsed ssh_config file: its directives with their line numbers.
struct ConfigSource: Sendable {
    var path: String
    var directives: [(line: Int, directive: ConfigDirective)]
}

/// The values of the keywords Flotilla honours. Paths and host names are kept as written; tokens and
/// `~` are expanded when a host is resolved.
enum ConfigOption: Sendable, Hashable {
    case hostName(String)
    case user(String)
    case port(Int)
    case identityFile(String)
    case identitiesOnly(Bool)
    case strictHostKeyChecking(HostKeyPolicy)
    /// `none` gives an empty list.
    case userKnownHostsFiles([String])
    /// nil for `none`.
    case connectTimeout(Duration?)
    case serverAliveInterval(Duration)
    /// `ProxyJump`: the hops in order; empty for `none`.
    case proxyJump([JumpSpec])
    /// `GlobalKnownHostsFile`; empty for `none`.
    case globalKnownHostsFiles([String])
    /// `HostKeyAlias`.
    case hostKeyAlias(String)
    /// `IdentityAgent` as written: `none`, `SSH_AUTH_SOCK`, `$NAME` or a socket path (tokens unexpanded).
    case identityAgent(String)
    /// `ProxyCommand`: the command line as written, tokens unexpanded; empty for `none`.
    case proxyCommand(String)
    /// A keyword that changes where or how ssh connects (ProxyJump, HostKeyAlias, Ciphers...) and that Flotilla
    /// does not implement: a host it applies to is refused, never reached another way than ssh would reach it.
    /// `why` is nil for a value that changes nothing (`ProxyJump none`); it still takes the keyword's first-wins
    /// place, as in ssh.
    case unhonoured(keyword: String, value: String, why: String?)
}

/// When a `Match` block applies.
enum MatchCondition: Sendable, Hashable {
    /// `Match all`.
    case all
    /// Every criterion must hold.
    case criteria([MatchCriterion])
    /// A criterion Flotilla cannot evaluate (exec, canonical, final, localnetwork, tagged...), with the ones it
    /// can. When those hold for a host, the block might apply to it as ssh reads it, so the host is refused;
    /// when one of them fails, the block does not apply, as in ssh.
    case unsupported(String, evaluable: [MatchCriterion])
}

/// One `Match` criterion: `host`, `originalhost`, `user` or `localuser`, possibly negated (`!host`),
/// with a comma-separated pattern list.
struct MatchCriterion: Sendable, Hashable {
    enum Attribute: String, Sendable, Hashable {
        case host, originalhost, user, localuser
    }

    var attribute: Attribute
    var negated: Bool
    var patterns: [String]
}
