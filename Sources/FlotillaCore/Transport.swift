/// Where and how to reach one host: everything the inventory and the SSH client config resolved.
public struct ConnectionTarget: Sendable, Hashable {
    /// The inventory name, used in every message about this host.
    public var name: String
    /// The address or DNS name to connect to (`ansible_host`, or the name).
    public var address: String
    public var port: Int
    public var user: String
    /// Private key files to try, in order (the inventory's key first).
    public var identityFiles: [String]
    /// Only the listed identity files, not the agent or ~/.ssh defaults (OpenSSH `IdentitiesOnly`).
    public var identitiesOnly: Bool
    /// Password authentication, when the inventory gives one.
    public var password: String?
    public var become: Become?
    /// Extra known_hosts files to read (and, under accept-new, to write to: the first one).
    public var knownHostsFiles: [String]
    public var hostKeyPolicy: HostKeyPolicy?
    /// The TCP connect limit for this host (ssh_config's `ConnectTimeout`); nil: the transport's.
    public var connectTimeout: Duration?
    /// Keepalive requests while the session is idle (ssh_config's `ServerAliveInterval`; zero turns them off);
    /// nil: the transport's.
    public var keepaliveInterval: Duration?
    /// Jump hosts (`ProxyJump`), the first hop first: the connection goes through each in turn, one login to each
    /// shared by every host behind it.
    public var jumps: [ConnectionTarget] = []
    /// `GlobalKnownHostsFile`: the system-wide known_hosts files read for this host; nil for OpenSSH's default
    /// (/etc/ssh/ssh_known_hosts and ssh_known_hosts2), empty for none.
    public var globalKnownHostsFiles: [String]?
    /// `HostKeyAlias`: the name its host key is looked up and recorded under in known_hosts instead of the address
    /// (without a port, as ssh does).
    public var hostKeyAlias: String?
    /// `ProxyCommand`, tokens expanded: a local command (run by `sh -c`) whose stdin and stdout carry the
    /// connection instead of a TCP socket.
    public var proxyCommand: String?
    /// ssh_config's `IdentityAgent`: the ssh-agent socket whose keys are offered to this host, or `none` for no
    /// agent; nil for the run's default (`SSH_AUTH_SOCK`).
    public var identityAgent: String?

    public init(
        name: String,
        address: String? = nil,
        port: Int = 22,
        user: String = "root",
        identityFiles: [String] = [],
        identitiesOnly: Bool = false,
        password: String? = nil,
        become: Become? = nil,
        knownHostsFiles: [String] = [],
        hostKeyPolicy: HostKeyPolicy? = nil
    ) {
        self.name = name
        self.address = address ?? name
        self.port = port
        self.user = user
        self.identityFiles = identityFiles
        self.identitiesOnly = identitiesOnly
        self.password = password
        self.become = become
        self.knownHostsFiles = knownHostsFiles
        self.hostKeyPolicy = hostKeyPolicy
    }
}

extension ConnectionTarget: CustomStringConvertible, CustomDebugStringConvertible {
    /// user@address:port, with the password (and the become password) masked: no interpolation or dump of a
    /// target can show a secret.
    public var description: String {
        "\(name) (\(user)@\(address):\(port)\(password == nil ? "" : ", password ********")\(become.map { ", \($0)" } ?? ""))"
    }
    public var debugDescription: String { description }
}

/// What to do with a host key that known_hosts does not vouch for.
public enum HostKeyPolicy: String, Sendable, Hashable, CaseIterable {
    /// Unknown and changed keys are refused (the default).
    case strict
    /// Unknown keys are recorded in known_hosts; changed keys are still refused.
    case acceptNew = "accept-new"
    /// Nothing is checked. Explicit, and loudly warned about.
    case off
}

/// An open connection to one host that runs commands one after another.
public protocol Connection: Sendable {
    var target: ConnectionTarget { get }
    /// Runs a command to completion. Failures of the command itself are in the result; a thrown error
    /// means the connection could not carry the command.
    func run(_ command: RemoteCommand) async throws -> CommandResult
    /// Runs a command and hands its output over as it arrives; the stream ends with the exit status.
    func stream(_ command: RemoteCommand) -> AsyncThrowingStream<StreamEvent, any Error>
    /// Runs a command that answers prompts turn by turn (see `Turns`), timing each turn. The default sends every
    /// prompt up front; the SSH transport holds each prompt back until the previous answer has arrived.
    func converse(_ command: RemoteCommand, turns: Turns) async throws -> Conversation
    /// Closes the connection politely. Idempotent.
    func close() async
}

/// An event of a streaming command.
public enum StreamEvent: Sendable, Hashable {
    case output(OutputChunk)
    case exit(ExitStatus)
}

/// Opens connections. The SSH module implements it over libssh2; FlotillaTesting has no fake of it that
/// pretends to be a host: tests use real sshd servers.
public protocol Transport: Sendable {
    func connect(_ target: ConnectionTarget) async throws -> any Connection
}

extension Connection {
    /// Writes `content` to `path` atomically (a temporary file in the same directory, then rename), with
    /// `mode`, through the command's become settings. The file is complete or absent, never half-written.
    public func writeFile(
        _ path: String, content: [UInt8], mode: String = "0644", owner: String? = nil, become: Become? = nil,
        timeout: Duration? = .seconds(60)
    ) async throws -> CommandResult {
        let script = AtomicWrite.script
        var args = ["sh", "-c", script, "flotilla-write", path, mode]
        if let owner { args.append(owner) }
        var command = RemoteCommand(.argv(args), stdin: content, timeout: timeout, become: become)
        command.outputLimit = 64 << 10
        return try await run(command)
    }
}

/// The remote side of an atomic file write; arguments are "$1" path, "$2" mode, "$3" optional owner.
public enum AtomicWrite {
    public static let script = #"""
set -e
f=$1; mode=$2; owner=${3-}
dir=$(dirname -- "$f")
tmp=$(mktemp "$dir/.flotilla.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
chmod "$mode" "$tmp"
if [ -n "$owner" ]; then chown "$owner" "$tmp"; fi
mv -f -- "$tmp" "$f"
trap - EXIT
"""#
}
