import FlotillaCore

/// OpenSSH's `%` tokens and `${VAR}` references in ssh_config values.
enum TokenExpansion {
    /// The tokens `IdentityFile` and `UserKnownHostsFile` accept (OpenSSH's default client set, less
    /// `%j`, `%T` and the like that only make sense with features Flotilla does not use).
    static let pathTokens: Set<Character> = ["%", "C", "d", "h", "i", "k", "L", "l", "n", "p", "r", "u"]
    /// The tokens Flotilla expands in `ProxyCommand`: the host to reach, its port, the user, the original name.
    static let proxyCommandTokens: Set<Character> = ["%", "h", "n", "p", "r"]
    /// `HostName` accepts only `%h` and `%%`.
    static let hostNameTokens: Set<Character> = ["%", "h"]

    /// The first token in `text` outside `allowed` (a lone trailing `%` reads as `%` + nothing); nil if
    /// all are allowed.
    static func invalidToken(in text: String, allowed: Set<Character>) -> String? {
        var chars = text.makeIterator()
        while let c = chars.next() {
            guard c == "%" else { continue }
            guard let t = chars.next() else { return "%" }
            if !allowed.contains(t) { return "%\(t)" }
        }
        return nil
    }

    /// A `${` without its closing `}` (or an empty name); nil when the references are well formed.
    static func invalidEnvironmentReference(in text: String) -> String? {
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}"), end > start.upperBound else {
                return String(rest[start.lowerBound...])
            }
            rest = rest[rest.index(after: end)...]
        }
        return nil
    }

    /// Replaces `%x` with `values[x]`; `%%` is a percent sign. Unknown tokens are left as they are
    /// (the parser has refused them already).
    static func expand(_ text: String, _ values: [Character: String]) -> String {
        guard text.contains("%") else { return text }
        var out = ""
        var chars = text.makeIterator()
        while let c = chars.next() {
            guard c == "%" else {
                out.append(c)
                continue
            }
            guard let t = chars.next() else {
                out.append("%")
                break
            }
            if t == "%" {
                out.append("%")
            } else if let value = values[t] {
                out += value
            } else {
                out += "%\(t)"
            }
        }
        return out
    }

    /// Replaces `${NAME}` with the variable's value; an unset variable is left as written.
    static func expandEnvironment(_ text: String, _ environment: [String: String]) -> String {
        guard text.contains("${") else { return text }
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${"),
              let end = rest[start.upperBound...].firstIndex(of: "}") {
            out += rest[..<start.lowerBound]
            let name = String(rest[start.upperBound..<end])
            out += environment[name] ?? "${\(name)}"
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }

    /// The values of the path tokens for one connection.
    static func pathValues(
        originalHost: String, hostName: String, port: Int, remoteUser: String, local: SSHClientConfig.LocalContext
    ) -> [Character: String] {
        let shortLocal = String(local.hostName.prefix(while: { $0 != "." }))
        // %C: SHA-1 of %l%h%p%r (and %j, always empty here), as ssh_connection_hash computes it.
        let connectionHash = Hex.encode(SHA1.hash(Array((local.hostName + hostName + String(port) + remoteUser).utf8)))
        return [
            "C": connectionHash,
            "d": local.home,
            "h": hostName,
            "i": String(local.uid),
            "k": originalHost,
            "L": shortLocal,
            "l": local.hostName,
            "n": originalHost,
            "p": String(port),
            "r": remoteUser,
            "u": local.userName,
        ]
    }
}
