public import FlotillaCore

/// How to reach a host, as far as the inventory says. A field the inventory does not set is `nil`, so
/// that the SSH client configuration (or built-in defaults) can fill it in later.
///
/// Read from these variables; where Ansible accepts several names the later one in each list wins, as in
/// Ansible's ssh connection and sudo become plugins:
///
/// | field | variables |
/// |---|---|
/// | address | `ansible_host`, `ansible_ssh_host` |
/// | port | `ansible_port`, `ansible_ssh_port` (1–65535) |
/// | user | `ansible_user`, `ansible_ssh_user` |
/// | keyFile | `ansible_private_key_file`, `ansible_ssh_private_key_file` |
/// | password | `ansible_password`, `ansible_ssh_pass`, `ansible_ssh_password` |
/// | become | `ansible_become` (yes/no/true/false/on/off/1/0, any case) |
/// | becomeUser | `ansible_become_user`, `ansible_sudo_user` |
/// | becomePassword | `ansible_become_password`, `ansible_become_pass`, `ansible_sudo_pass` |
/// | knownHostsFile | `flotilla_known_hosts_file` |
/// | hostKeyPolicy | `ansible_host_key_checking`/`ansible_ssh_host_key_checking` (false is `off`, true `strict`), overridden by `flotilla_host_key_policy` (strict, accept-new, off) |
/// | connection | `ansible_connection` |
/// | sshArguments | `-o ProxyJump=VALUE` for `flotilla_jump`, then the words of `ansible_ssh_args`, `ansible_ssh_common_args` and `ansible_ssh_extra_args`, in that order (as Ansible puts them on ssh's command line) |
///
/// A variable set to null counts as unset. Paths are kept as written (`~` is not expanded here).
public struct HostConnectionVars: Sendable, Hashable {
    /// The inventory name.
    public var name: String
    public var address: String?
    public var port: Int?
    public var user: String?
    public var keyFile: String?
    public var password: String?
    public var become: Bool?
    public var becomeUser: String?
    public var becomePassword: String?
    public var knownHostsFile: String?
    public var hostKeyPolicy: HostKeyPolicy?
    /// `ansible_connection` as written (ssh, smart, local, docker...).
    public var connection: String?
    /// ssh command-line arguments from the inventory, split as Ansible splits them.
    public var sshArguments: [String] = []
    /// The variables `sshArguments` came from, for messages.
    public var sshArgumentVariables: [String] = []

    public init(
        name: String, address: String? = nil, port: Int? = nil, user: String? = nil, keyFile: String? = nil,
        password: String? = nil, become: Bool? = nil, becomeUser: String? = nil, becomePassword: String? = nil,
        knownHostsFile: String? = nil, hostKeyPolicy: HostKeyPolicy? = nil
    ) {
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.keyFile = keyFile
        self.password = password
        self.become = become
        self.becomeUser = becomeUser
        self.becomePassword = becomePassword
        self.knownHostsFile = knownHostsFile
        self.hostKeyPolicy = hostKeyPolicy
    }

    /// These settings, with every unset field taken from `other` (for example what `~/.ssh/config` says
    /// for the host). The name stays this one's.
    public func filled(from other: HostConnectionVars) -> HostConnectionVars {
        HostConnectionVars(
            name: name, address: address ?? other.address, port: port ?? other.port, user: user ?? other.user,
            keyFile: keyFile ?? other.keyFile, password: password ?? other.password, become: become ?? other.become,
            becomeUser: becomeUser ?? other.becomeUser, becomePassword: becomePassword ?? other.becomePassword,
            knownHostsFile: knownHostsFile ?? other.knownHostsFile, hostKeyPolicy: hostKeyPolicy ?? other.hostKeyPolicy)
    }

    /// A complete target, with the given defaults for what is still unset. The address defaults to the
    /// inventory name; `become` needs `become == true` and then uses `becomeUser` (root when unset).
    public func connectionTarget(
        defaultUser: String = "root", defaultPort: Int = 22, defaultIdentityFiles: [String] = [],
        defaultKnownHostsFiles: [String] = [], defaultHostKeyPolicy: HostKeyPolicy? = nil
    ) -> ConnectionTarget {
        ConnectionTarget(
            name: name,
            address: address ?? name,
            port: port ?? defaultPort,
            user: user ?? defaultUser,
            identityFiles: keyFile.map { [$0] } ?? defaultIdentityFiles,
            password: password,
            become: become == true ? Become(user: becomeUser ?? "root", password: becomePassword) : nil,
            knownHostsFiles: knownHostsFile.map { [$0] } ?? defaultKnownHostsFiles,
            hostKeyPolicy: hostKeyPolicy ?? defaultHostKeyPolicy)
    }

    /// Reads the connection variables out of a host's merged variables; `lookup` resolves templates. For the
    /// errors, `origin` says where a variable was written and `through` where its value came from when it is
    /// a `{{ name }}` of another variable ("from port at host_vars/web1.yml:2:7").
    static func resolve(
        host: String, origin: (String) -> FileLocation? = { _ in nil }, through: (String) -> String? = { _ in nil },
        lookup: (String) throws -> InventoryValue?
    ) throws -> HostConnectionVars {
        func invalid(_ variable: String, _ value: String, expected: String) -> InventoryError {
            .invalidConnectionVariable(
                origin(variable), host: host, variable: variable + (through(variable).map { " (\($0))" } ?? ""),
                value: value, expected: expected)
        }
        func last(_ names: [String]) throws -> (String, InventoryValue)? {
            var found: (String, InventoryValue)?
            for name in names {
                if let value = try lookup(name), value != .null { found = (name, value) }
            }
            return found
        }
        func string(_ names: String...) throws -> String? {
            guard let (name, value) = try last(names) else { return nil }
            switch value {
            case .string(let s): return s
            case .int, .double, .bool: return value.text
            default:
                throw invalid(name, value.jsonText, expected: "a string")
            }
        }
        func bool(_ names: String...) throws -> Bool? {
            guard let (name, value) = try last(names) else { return nil }
            guard let b = AnsibleBoolean.parse(value) else {
                throw invalid(name, value.text, expected: "a boolean (yes/no, true/false, on/off, 1/0)")
            }
            return b
        }
        var vars = HostConnectionVars(name: host)
        vars.address = try string("ansible_host", "ansible_ssh_host")
        if let (name, value) = try last(["ansible_port", "ansible_ssh_port"]) {
            let port: Int?
            switch value {
            case .int(let n): port = n
            case .string(let s): port = Int(s.trimmingWhitespace())
            default: port = nil
            }
            guard let port, (1...65535).contains(port) else {
                throw invalid(name, value.text, expected: "a port number from 1 to 65535")
            }
            vars.port = port
        }
        vars.user = try string("ansible_user", "ansible_ssh_user")
        vars.keyFile = try string("ansible_private_key_file", "ansible_ssh_private_key_file")
        vars.password = try string("ansible_password", "ansible_ssh_pass", "ansible_ssh_password")
        vars.become = try bool("ansible_become")
        vars.becomeUser = try string("ansible_become_user", "ansible_sudo_user")
        vars.becomePassword = try string("ansible_become_password", "ansible_become_pass", "ansible_sudo_pass")
        vars.knownHostsFile = try string("flotilla_known_hosts_file")
        if let checking = try bool("ansible_host_key_checking", "ansible_ssh_host_key_checking") {
            vars.hostKeyPolicy = checking ? .strict : .off
        }
        if let policy = try string("flotilla_host_key_policy") {
            guard let parsed = HostKeyPolicy(rawValue: policy.trimmingWhitespace().lowercased()) else {
                throw invalid("flotilla_host_key_policy", policy, expected: "strict, accept-new or off")
            }
            vars.hostKeyPolicy = parsed
        }
        vars.connection = try string("ansible_connection")
        // Flotilla's own shorthand for a bastion: first on the command line, so it wins over a ProxyJump in the
        // ssh arguments below and in ssh_config (the first value wins).
        if let jump = try string("flotilla_jump") {
            vars.sshArguments = ["-o", "ProxyJump=" + jump.trimmingWhitespace()]
            vars.sshArgumentVariables = ["flotilla_jump"]
        }
        for variable in ["ansible_ssh_args", "ansible_ssh_common_args", "ansible_ssh_extra_args"] {
            guard let text = try string(variable) else { continue }
            do {
                let words = try ShellWords.split(text).map(\.text)
                if !words.isEmpty {
                    vars.sshArguments += words
                    vars.sshArgumentVariables.append(variable)
                }
            } catch {
                throw invalid(
                    variable, text,
                    expected: "ssh arguments with balanced quotes (the \(error.quote) at offset \(error.offset) is never closed)")
            }
        }
        return vars
    }
}

/// Ansible's `boolean()`: yes/no, true/false, on/off, y/n, t/f, 1/0 in any case, and real booleans and 0/1.
public enum AnsibleBoolean {
    public static func parse(_ value: InventoryValue) -> Bool? {
        switch value {
        case .bool(let b): return b
        case .int(let n): return n == 1 ? true : (n == 0 ? false : nil)
        case .double(let d): return d == 1 ? true : (d == 0 ? false : nil)
        case .string(let s):
            switch s.trimmingWhitespace().lowercased() {
            case "y", "yes", "on", "1", "true", "t", "1.0": return true
            case "n", "no", "off", "0", "false", "f", "0.0": return false
            default: return nil
            }
        default: return nil
        }
    }
}
