import FlotillaCore

/// An OpenSSH client configuration (`~/.ssh/config` or a file given with `-F`), parsed once and
/// resolved per host with OpenSSH's rules: blocks apply in file order, the first value obtained for a
/// keyword wins, `IdentityFile` accumulates.
///
/// Flotilla acts on HostName, User, Port, IdentityFile, IdentitiesOnly, StrictHostKeyChecking, UserKnownHostsFile,
/// ConnectTimeout and ServerAliveInterval. A keyword that would make ssh connect elsewhere or otherwise (ProxyJump,
/// HostKeyAlias, Ciphers, `Match exec`...) is never ignored: a host it applies to gets it in `refusals`. The rest
/// (forwarding, multiplexing, logging, terminal settings) cannot change where a connection goes and is ignored.
/// Loading reads files: call it at startup or off the cooperative pool.
public struct SSHClientConfig: Sendable {
    /// The file this configuration was read from (or the name given to `parse`).
    public let file: String
    /// Lines that were accepted but cannot act as they would in OpenSSH.
    public let warnings: [SSHConfigWarning]
    /// The local side used for `~`, `%d`, `%u`, `%l`, `${VAR}` and `Match localuser`.
    public let context: LocalContext
    private let source: ConfigSource

    /// The user's default configuration file, `~/.ssh/config`.
    public static func defaultPath(context: LocalContext = .current()) -> String {
        context.home + "/.ssh/config"
    }

    /// Reads and parses `path` (`~` expanded). A missing file gives an empty configuration.
    public static func load(path: String, context: LocalContext = .current()) throws(SSHConfigError) -> SSHClientConfig {
        let expanded = LocalFiles.expandTilde(path, home: context.home)
        switch LocalFiles.read(expanded) {
        case .contents(let bytes):
            var parser = ConfigParser(context: context)
            let source = try parser.parse(bytes: bytes, file: expanded, depth: 0)
            return SSHClientConfig(file: expanded, warnings: parser.warnings, context: context, source: source)
        case .missing:
            return try parse(text: "", file: expanded, context: context)
        case .failed(let code):
            throw .unreadable(file: expanded, errno: code)
        }
    }

    /// Parses configuration text; `file` names it in errors and warnings. `Include` reads other files.
    public static func parse(
        text: String, file: String, context: LocalContext = .current()
    ) throws(SSHConfigError) -> SSHClientConfig {
        var parser = ConfigParser(context: context)
        let source = try parser.parse(text: text, file: file, depth: 0)
        return SSHClientConfig(file: file, warnings: parser.warnings, context: context, source: source)
    }

    private init(file: String, warnings: [SSHConfigWarning], context: LocalContext, source: ConfigSource) {
        self.file = file
        self.warnings = warnings
        self.context = context
        self.source = source
    }

    /// What the configuration says for `host` (the name as the inventory gives it, matched by `Host`).
    /// `user`, when given, is the login user chosen elsewhere (the inventory): it wins over `User`, as
    /// `ssh -l` does, and it is what `Match user` and `%r` see.
    public func resolve(host: String, user: String? = nil) -> SSHHostConfig {
        var values = ResolvedValues()
        var active = true
        walk(source, active: &active, neverMatch: false, values: &values, host: host, user: user)

        // ssh lower-cases the host name it connects to once HostName is applied.
        let hostName = values.hostName.map { TokenExpansion.expand($0, ["h": host]).lowercased() }
        let remoteUser = user ?? values.user ?? context.userName
        let tokens = TokenExpansion.pathValues(
            originalHost: host, hostName: hostName ?? host.lowercased(), port: values.port ?? 22, remoteUser: remoteUser,
            local: context)
        func expandPath(_ path: String) -> String {
            let tilde = LocalFiles.expandTilde(path, home: context.home)
            return TokenExpansion.expandEnvironment(TokenExpansion.expand(tilde, tokens), context.environment)
        }
        var identityFiles = [String]()
        for file in values.identityFiles.map(expandPath) where !identityFiles.contains(file) {
            identityFiles.append(file)
        }
        return SSHHostConfig(
            host: host,
            hostName: hostName,
            user: user ?? values.user,
            port: values.port,
            identityFiles: identityFiles,
            identitiesOnly: values.identitiesOnly,
            strictHostKeyChecking: values.strictHostKeyChecking,
            userKnownHostsFiles: values.userKnownHostsFiles?.map(expandPath),
            connectTimeout: values.connectTimeout ?? nil,
            serverAliveInterval: values.serverAliveInterval,
            proxyJump: values.proxyJump,
            proxyCommand: values.proxyCommand,
            globalKnownHostsFiles: values.globalKnownHostsFiles?.map(expandPath),
            hostKeyAlias: values.hostKeyAlias,
            identityAgent: values.identityAgent.map { agent -> String in
                // As ssh.c: ~, % tokens and ${NAME} expanded; then a $NAME that is unset means no agent.
                if agent == "none" || agent == "SSH_AUTH_SOCK" { return agent }
                let expanded = expandPath(agent)
                guard agent.hasPrefix("$"), !agent.hasPrefix("${") else { return expanded }
                return context.environment[String(expanded.dropFirst())].flatMap { $0.isEmpty ? nil : $0 } ?? "none"
            },
            refusals: values.refusals,
            unimplementedKeywords: values.unhonouredSeen
        )
    }

    /// Applies the directives of `source` in order. `active` is shared with included files, as in
    /// OpenSSH; inside an include whose enclosing block is inactive nothing can match.
    private func walk(
        _ source: ConfigSource, active: inout Bool, neverMatch: Bool, values: inout ResolvedValues,
        host: String, user: String?
    ) {
        for (line, directive) in source.directives {
            switch directive {
            case .host(let patterns):
                active = !neverMatch && hostMatches(host, patterns)
            case .match(.unsupported(let names, let evaluable)):
                // Whatever the block says, ssh might apply it to this host: refuse rather than guess.
                if !neverMatch, matches(.criteria(evaluable), host: host, user: user, values: values) {
                    values.refuse(SSHConfigRefusal(
                        file: source.path, line: line, keyword: "Match", value: names,
                        why: "Flotilla cannot evaluate Match \(names), so it cannot tell whether the block applies"))
                }
                active = false
            case .match(let condition):
                active = !neverMatch && matches(condition, host: host, user: user, values: values)
            case .option(.unhonoured(let keyword, let value, let why)):
                if active { values.unhonoured(keyword, value: value, why: why, file: source.path, line: line) }
            case .option(let option):
                if active { values.apply(option) }
            case .include(let sources):
                let outer = active
                for included in sources {
                    walk(included, active: &active, neverMatch: neverMatch || !outer, values: &values,
                         host: host, user: user)
                }
                active = outer
            }
        }
    }

    /// `Host`: some pattern matches and no negated one does. Case-sensitive, as OpenSSH's
    /// `match_pattern` is: `Host web*` does not apply to `WEB1`.
    private func hostMatches(_ host: String, _ patterns: [String]) -> Bool {
        WildcardPattern.matchList(host, patterns, caseInsensitive: false) == .matched
    }

    private func matches(_ condition: MatchCondition, host: String, user: String?, values: ResolvedValues) -> Bool {
        switch condition {
        case .all:
            return true
        case .unsupported:
            return false
        case .criteria(let criteria):
            return criteria.allSatisfy { criterion in
                let result: Bool
                switch criterion.attribute {
                case .host:
                    // The host after any HostName so far, as OpenSSH's match_cfg_line sees it.
                    // match_hostname: case-insensitive, unlike `Host` lines.
                    let current = values.hostName.map { TokenExpansion.expand($0, ["h": host]) } ?? host
                    result = WildcardPattern.matchList(current, criterion.patterns) == .matched
                case .originalhost:
                    result = WildcardPattern.matchList(host, criterion.patterns) == .matched
                case .user:
                    let current = user ?? values.user ?? context.userName
                    result = WildcardPattern.matchList(current, criterion.patterns, caseInsensitive: false) == .matched
                case .localuser:
                    result = WildcardPattern.matchList(context.userName, criterion.patterns, caseInsensitive: false)
                        == .matched
                }
                return result != criterion.negated
            }
        }
    }
}

/// The values collected while walking the configuration for one host.
private struct ResolvedValues {
    var hostName: String?
    var user: String?
    var port: Int?
    var identityFiles = [String]()
    var identitiesOnly: Bool?
    var strictHostKeyChecking: HostKeyPolicy?
    var userKnownHostsFiles: [String]?
    /// Outer nil: not set; inner nil: set to `none`.
    var connectTimeout: Duration??
    var serverAliveInterval: Duration?
    var proxyJump: [JumpSpec]?
    var proxyCommand: String?
    var globalKnownHostsFiles: [String]?
    var hostKeyAlias: String?
    var identityAgent: String?
    /// The first value of each unhonoured keyword (first wins, as for the others), harmless ones included.
    private(set) var unhonouredSeen = Set<String>()
    private(set) var refusals = [SSHConfigRefusal]()

    mutating func unhonoured(_ keyword: String, value: String, why: String?, file: String, line: Int) {
        guard unhonouredSeen.insert(keyword).inserted, let why else { return }
        refuse(SSHConfigRefusal(file: file, line: line, keyword: keyword, value: value, why: why))
    }

    mutating func refuse(_ refusal: SSHConfigRefusal) {
        refusals.append(refusal)
    }

    /// First value wins, except `IdentityFile`, which accumulates.
    mutating func apply(_ option: ConfigOption) {
        switch option {
        case .hostName(let v): if hostName == nil { hostName = v }
        case .user(let v): if user == nil { user = v }
        case .port(let v): if port == nil { port = v }
        case .identityFile(let v): identityFiles.append(v)
        case .identitiesOnly(let v): if identitiesOnly == nil { identitiesOnly = v }
        case .strictHostKeyChecking(let v): if strictHostKeyChecking == nil { strictHostKeyChecking = v }
        case .userKnownHostsFiles(let v): if userKnownHostsFiles == nil { userKnownHostsFiles = v }
        case .connectTimeout(let v): if connectTimeout == nil { connectTimeout = .some(v) }
        case .serverAliveInterval(let v): if serverAliveInterval == nil { serverAliveInterval = v }
        // ProxyJump and ProxyCommand are one setting in ssh: whichever comes first wins.
        case .proxyJump(let v): if proxyJump == nil, proxyCommand == nil { proxyJump = v }
        case .proxyCommand(let v): if proxyJump == nil, proxyCommand == nil { proxyCommand = v }
        case .globalKnownHostsFiles(let v): if globalKnownHostsFiles == nil { globalKnownHostsFiles = v }
        case .hostKeyAlias(let v): if hostKeyAlias == nil { hostKeyAlias = v }
        case .identityAgent(let v): if identityAgent == nil { identityAgent = v }
        case .unhonoured: break
        }
    }
}

extension SSHClientConfig {
    /// `ProxyCommand` with its tokens filled in as ssh fills them: `%h` the host name to reach, `%p` its port, `%r`
    /// the remote user, `%n` the name as given, `%%` a percent sign.
    public static func expandProxyCommand(_ command: String, name: String, hostName: String, port: Int, user: String) -> String {
        TokenExpansion.expand(command, ["h": hostName, "p": String(port), "r": user, "n": name])
    }
}
