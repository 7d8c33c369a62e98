import FlotillaCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads ssh_config text into directives, checking every honoured keyword's value on every line
/// (inactive blocks included, as OpenSSH does), and following `Include`.
struct ConfigParser {
    /// OpenSSH's READCONF_MAX_DEPTH.
    static let maxIncludeDepth = 16

    let context: SSHClientConfig.LocalContext
    private(set) var warnings = [SSHConfigWarning]()

    init(context: SSHClientConfig.LocalContext) {
        self.context = context
    }

    /// Parses a file's bytes. Bytes that are not UTF-8 are read as U+FFFD, and a warning names the first one
    /// by offset and line: a name or path there is not what ssh, which reads bytes, would use.
    mutating func parse(bytes: [UInt8], file: String, depth: Int) throws(SSHConfigError) -> ConfigSource {
        if let invalid = UTF8Text.firstInvalid(bytes) {
            warnings.append(SSHConfigWarning(
                file: file, line: invalid.line,
                message: "\(invalid); read with U+FFFD in its place, so a name or path there is not the one ssh would use"))
        }
        return try parse(text: String(decoding: bytes, as: UTF8.self), file: file, depth: depth)
    }

    mutating func parse(text: String, file: String, depth: Int) throws(SSHConfigError) -> ConfigSource {
        var directives = [(line: Int, directive: ConfigDirective)]()
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, raw) in lines.enumerated() {
            let number = index + 1
            let split: ConfigLineSplitter.Line?
            do {
                split = try ConfigLineSplitter.split(String(raw))
            } catch {
                switch error {
                case .noArgument(let keyword): throw .missingArgument(file: file, line: number, keyword: keyword)
                case .badQuoting: throw .badQuoting(file: file, line: number)
                }
            }
            guard let split else { continue }
            let at = Location(file: file, line: number, keyword: split.keyword)
            if let directive = try directive(split, at: at, depth: depth) {
                directives.append((number, directive))
            }
        }
        return ConfigSource(path: file, directives: directives)
    }

    /// Where a value came from, for error messages.
    private struct Location {
        var file: String
        var line: Int
        var keyword: String

        func bad(_ value: String, expected: String) -> SSHConfigError {
            .badValue(file: file, line: line, keyword: keyword, value: value, expected: expected)
        }
    }

    private mutating func directive(
        _ split: ConfigLineSplitter.Line, at: Location, depth: Int
    ) throws(SSHConfigError) -> ConfigDirective? {
        let args = split.arguments
        guard !args.isEmpty else { throw .missingArgument(file: at.file, line: at.line, keyword: at.keyword) }
        switch split.keyword {
        case "host":
            if args.contains("") { throw at.bad("", expected: "a host pattern") }
            return .host(patterns: args)
        case "match":
            return .match(try matchCondition(args, at: at))
        case "include":
            return .include(try include(args, at: at, depth: depth))
        case "hostname":
            let value = try single(args, at: at)
            if let token = TokenExpansion.invalidToken(in: value, allowed: TokenExpansion.hostNameTokens) {
                throw at.bad(value, expected: "a host name; only %h and %% may be used, not \(token)")
            }
            return .option(.hostName(value))
        case "user":
            return .option(.user(try single(args, at: at)))
        case "port":
            let value = try single(args, at: at)
            guard let port = Int(value), (1...65535).contains(port) else {
                throw at.bad(value, expected: "a port number 1-65535")
            }
            return .option(.port(port))
        case "identityfile":
            let value = try single(args, at: at)
            try checkPath(value, at: at)
            return .option(.identityFile(value))
        case "identitiesonly":
            return .option(.identitiesOnly(try flag(single(args, at: at), at: at)))
        case "stricthostkeychecking":
            let value = try single(args, at: at)
            switch value.lowercased() {
            case "yes", "true", "ask": return .option(.strictHostKeyChecking(.strict))
            case "accept-new": return .option(.strictHostKeyChecking(.acceptNew))
            case "no", "off", "false": return .option(.strictHostKeyChecking(.off))
            default: throw at.bad(value, expected: "yes, accept-new, no, off or ask")
            }
        case "userknownhostsfile":
            if args == ["none"] { return .option(.userKnownHostsFiles([])) }
            for value in args { try checkPath(value, at: at) }
            return .option(.userKnownHostsFiles(args))
        case "connecttimeout":
            let value = try single(args, at: at)
            if value.lowercased() == "none" { return .option(.connectTimeout(nil)) }
            guard let seconds = ConfigTime.seconds(value) else {
                throw at.bad(value, expected: "a time such as 10, 30s or 1m")
            }
            return .option(.connectTimeout(.seconds(seconds)))
        case "serveraliveinterval":
            let value = try single(args, at: at)
            guard let seconds = ConfigTime.seconds(value) else {
                throw at.bad(value, expected: "a time such as 0, 15 or 1m")
            }
            return .option(.serverAliveInterval(.seconds(seconds)))
        case "globalknownhostsfile":
            if args == ["none"] { return .option(.globalKnownHostsFiles([])) }
            for value in args { try checkPath(value, at: at) }
            return .option(.globalKnownHostsFiles(args))
        case "hostkeyalias":
            return .option(.hostKeyAlias(try single(args, at: at)))
        case "identityagent":
            // As OpenSSH's parse_agent_path: none and SSH_AUTH_SOCK as written, $NAME an environment variable.
            let value = try single(args, at: at)
            if value == "none" || value == "SSH_AUTH_SOCK" { return .option(.identityAgent(value)) }
            if value.hasPrefix("$"), !value.hasPrefix("${") {
                let name = value.dropFirst()
                guard !name.isEmpty, name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }) else {
                    throw at.bad(value, expected: "none, SSH_AUTH_SOCK, $NAME or a socket path")
                }
                return .option(.identityAgent(value))
            }
            try checkPath(value, at: at)
            return .option(.identityAgent(value))
        case "proxycommand":
            let command = split.rest
            if command.lowercased() == "none" { return .option(.proxyCommand("")) }
            if let token = TokenExpansion.invalidToken(in: command, allowed: TokenExpansion.proxyCommandTokens) {
                throw at.bad(command, expected: "a command; \(token) is not a token ProxyCommand takes (%h %p %r %n %%)")
            }
            return .option(.proxyCommand(command))
        case "proxyjump":
            let value = try single(args, at: at)
            if value.lowercased() == "none" { return .option(.proxyJump([])) }
            var hops: [JumpSpec] = []
            for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                guard let hop = JumpSpec.parse(String(part)) else {
                    throw at.bad(value, expected: "none, or [user@]host[:port] hops separated by commas")
                }
                hops.append(hop)
            }
            return .option(.proxyJump(hops))
        default:
            if Self.unhonouredKeywords.contains(split.keyword) {
                let why = Self.unhonouredWhy(split.keyword, args)
                return .option(.unhonoured(keyword: split.keyword, value: args.joined(separator: " "), why: why))
            }
            // The other keywords cannot make a connection go elsewhere or trust less (see docs/ssh-config.md):
            // forwarding, multiplexing, logging and terminal settings. They are ignored.
            return nil
        }
    }

    /// The keywords that can change where or how a connection goes and that Flotilla does not implement.
    static let unhonouredKeywords: Set<String> = [
        "proxyusefdpass", "knownhostscommand",
        "bindaddress", "bindinterface", "addressfamily", "canonicalizehostname", "kexalgorithms", "ciphers", "macs",
        "hostkeyalgorithms", "pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes", "casignaturealgorithms",
        "certificatefile", "pkcs11provider", "securitykeyprovider", "pubkeyauthentication",
    ]

    /// Why a keyword Flotilla does not implement would change where or how the connection goes; nil for the
    /// keywords that cannot, and for the values that change nothing (`ProxyJump none`) or only widen or reorder
    /// an algorithm list (`+` and `^` forms: without them a connection can fail, never be weaker).
    static func unhonouredWhy(_ keyword: String, _ args: [String]) -> String? {
        let value = args.first?.lowercased() ?? ""
        switch keyword {
        case "proxyusefdpass":
            return value == "no" ? nil : "it routes the connection through a proxy command"
        case "knownhostscommand":
            return value == "none" ? nil : "it changes which host keys are trusted"
        case "bindaddress", "bindinterface":
            return "it changes where the connection comes from"
        case "addressfamily":
            return value == "any" ? nil : "it changes which addresses are tried"
        case "canonicalizehostname":
            return ["no", "false"].contains(value) ? nil : "it changes the name that is looked up and matched"
        case "kexalgorithms", "ciphers", "macs", "hostkeyalgorithms", "pubkeyacceptedalgorithms",
             "pubkeyacceptedkeytypes", "casignaturealgorithms":
            return value.hasPrefix("+") || value.hasPrefix("^") ? nil : "it restricts the algorithms a connection may use"
        case "certificatefile":
            return "it logs in with a user certificate"
        case "pkcs11provider", "securitykeyprovider":
            return value == "none" ? nil : "it takes keys from a hardware token"
        case "pubkeyauthentication":
            return ["no", "false"].contains(value) ? "it forbids the public-key login Flotilla would use" : nil
        default:
            return nil
        }
    }

    private func single(_ args: [String], at: Location) throws(SSHConfigError) -> String {
        guard args.count == 1 else {
            throw .extraArguments(file: at.file, line: at.line, keyword: at.keyword,
                                  extra: args.dropFirst().joined(separator: " "))
        }
        guard !args[0].isEmpty else { throw at.bad("", expected: "a value") }
        return args[0]
    }

    private func flag(_ value: String, at: Location) throws(SSHConfigError) -> Bool {
        switch value.lowercased() {
        case "yes", "true": true
        case "no", "false": false
        default: throw at.bad(value, expected: "yes or no")
        }
    }

    private func checkPath(_ value: String, at: Location) throws(SSHConfigError) {
        guard !value.isEmpty else { throw at.bad(value, expected: "a file name") }
        if let token = TokenExpansion.invalidToken(in: value, allowed: TokenExpansion.pathTokens) {
            throw at.bad(value, expected: "a file name; \(token) is not a known token")
        }
        if let reference = TokenExpansion.invalidEnvironmentReference(in: value) {
            throw at.bad(value, expected: "a file name; \(reference) is not a complete ${NAME}")
        }
    }

    /// OpenSSH `match_cfg_line`, limited to what can be evaluated without running anything.
    private mutating func matchCondition(_ args: [String], at: Location) throws(SSHConfigError) -> MatchCondition {
        var criteria = [MatchCriterion]()
        var unsupported = [String]()
        var sawAll = false
        var index = 0
        while index < args.count {
            var name = args[index].lowercased()
            index += 1
            let negated = name.hasPrefix("!")
            if negated { name.removeFirst() }
            switch name {
            case "all":
                // OpenSSH allows `all` alone, or after canonical/final.
                let others = args.filter { !["all", "canonical", "final"].contains($0.lowercased()) }
                guard others.isEmpty, !negated else {
                    throw at.bad(args.joined(separator: " "), expected: "'all' alone, not combined with other criteria")
                }
                sawAll = true
            case "canonical", "final":
                unsupported.append(name)
            case "host", "originalhost", "user", "localuser", "exec", "localnetwork", "tagged", "command",
                 "version", "sessiontype":
                guard index < args.count, !args[index].isEmpty else {
                    throw at.bad(args.joined(separator: " "), expected: "an argument after '\(name)'")
                }
                let argument = args[index]
                index += 1
                if let attribute = MatchCriterion.Attribute(rawValue: name) {
                    let patterns = argument.split(separator: ",").map(String.init)
                    criteria.append(MatchCriterion(attribute: attribute, negated: negated, patterns: patterns))
                } else {
                    unsupported.append(name)
                }
            default:
                throw at.bad(name, expected: "a Match criterion (all, host, originalhost, user, localuser...)")
            }
        }
        if !unsupported.isEmpty {
            let list = unsupported.joined(separator: ", ")
            warnings.append(SSHConfigWarning(
                file: at.file, line: at.line,
                message: "Match \(list) cannot be evaluated by Flotilla; a host this block may apply to is refused"))
            return .unsupported(list, evaluable: criteria)
        }
        return sawAll ? .all : .criteria(criteria)
    }

    /// Files named by `Include` patterns: `~` expanded, relative ones under ~/.ssh, globs expanded
    /// (no match is not an error), each parsed one level deeper.
    private mutating func include(_ args: [String], at: Location, depth: Int) throws(SSHConfigError) -> [ConfigSource] {
        guard depth < ConfigParser.maxIncludeDepth else {
            throw .includeTooDeep(file: at.file, line: at.line, limit: ConfigParser.maxIncludeDepth)
        }
        var sources = [ConfigSource]()
        for pattern in args {
            var path = LocalFiles.expandTilde(pattern, home: context.home)
            if !path.hasPrefix("/") { path = context.home + "/.ssh/" + path }
            for file in ConfigParser.glob(path) {
                switch LocalFiles.read(file) {
                case .contents(let bytes):
                    sources.append(try parse(bytes: bytes, file: file, depth: depth + 1))
                case .missing:
                    continue
                case .failed(let code):
                    throw .unreadable(file: file, errno: code)
                }
            }
        }
        return sources
    }

    /// Paths matching a glob pattern, sorted; the pattern itself when it has no wildcard.
    private static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths = [String]()
        for i in 0..<Int(result.gl_pathc) {
            if let p = result.gl_pathv[i] { paths.append(String(cString: p)) }
        }
        return paths
    }
}
