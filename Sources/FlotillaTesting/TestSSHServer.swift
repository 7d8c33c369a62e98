import Foundation
public import FlotillaCore

/// A real OpenSSH server on loopback, started by a test with its own config, generated host and user keys
/// (ed25519 unless asked otherwise) and a free port, and stopped (by its PID) when the test is done.
public final class TestSSHServer: Sendable {
    public let port: Int
    public let directory: String
    /// The client key that root may log in with.
    public let userKeyPath: String
    /// A known_hosts file that lists this server's key as `[127.0.0.1]:port`.
    public let knownHostsPath: String
    public let hostPublicKey: String
    private let hostKeyPath: String
    private let hostKeyType: String
    private let pid: Int32
    /// The login users this server has besides root (see `SudoUser`).
    public let users: [SudoUser]

    public enum Failure: Error, CustomStringConvertible {
        case notRoot
        case command(String, Int32, String)
        case didNotStart(String)

        public var description: String {
            switch self {
            case .notRoot: "TestSSHServer needs root (sshd's privilege separation and root login)"
            case .command(let cmd, let status, let output): "\(cmd) exited \(status): \(output)"
            case .didNotStart(let log): "sshd did not start listening: \(log)"
            }
        }
    }

    /// A login user of a test server and what sudo lets it do.
    public struct SudoUser: Sendable, Hashable {
        public enum Rule: Sendable, Hashable {
            /// `NOPASSWD: ALL`: sudo never asks.
            case noPassword
            /// `ALL`: sudo asks for the password every time (no cached timestamp between commands).
            case password
            /// `ALL` with one timestamp for all of the user's sessions: after one sudo, later ones do not ask.
            case cachedPassword
        }
        /// A name made for this server alone (never one of the machine's own users).
        public let name: String
        public let password: String
        public let rule: Rule
    }

    /// Starts sshd. `extraConfig` lines are appended to sshd_config (sshd takes the first value of a keyword, so
    /// they cannot override the defaults below; `logLevel` can: `DEBUG3` logs the signature algorithm of each
    /// public key authentication). `userKeyType` and `hostKeyType` are `ssh-keygen -t` types.
    ///
    /// With `sudoRules`, sshd runs in a mount namespace of its own where /etc/passwd, /etc/shadow and
    /// /etc/sudoers are the machine's plus one user per rule (and sudoers has only root's line and theirs): sudo
    /// then asks for real passwords through PAM while the machine's own users, files and sudoers stay untouched.
    public static func start(
        extraConfig: [String] = [], userKeyType: String = "ed25519", hostKeyType: String = "ed25519",
        logLevel: String = "VERBOSE", sudoRules: [SudoUser.Rule] = []
    ) async throws -> TestSSHServer {
        try await offload {
            try TestSSHServer(
                extraConfig: extraConfig, userKeyType: userKeyType, hostKeyType: hostKeyType, logLevel: logLevel,
                sudoRules: sudoRules)
        }
    }

    private init(extraConfig: [String], userKeyType: String, hostKeyType: String, logLevel: String, sudoRules: [SudoUser.Rule]) throws {
        guard getuid() == 0 else { throw Failure.notRoot }
        var template = Array("/tmp/flotilla-sshd.XXXXXX".utf8CString)
        guard let dirPointer = mkdtemp(&template) else { throw Failure.didNotStart("mkdtemp failed") }
        directory = String(cString: dirPointer)
        chmod(directory, 0o755)
        let hostKey = directory + "/host_\(hostKeyType)"
        hostKeyPath = hostKey
        self.hostKeyType = hostKeyType
        userKeyPath = directory + "/id_\(userKeyType)"
        try Self.shell(["ssh-keygen", "-q", "-t", hostKeyType, "-N", "", "-f", hostKey])
        var userKeyArgs = ["ssh-keygen", "-q", "-t", userKeyType, "-N", "", "-f", userKeyPath]
        if userKeyType == "rsa" { userKeyArgs += ["-b", "2048"] }
        try Self.shell(userKeyArgs)
        try FileManager.default.copyItem(atPath: userKeyPath + ".pub", toPath: directory + "/authorized_keys")
        hostPublicKey = try String(contentsOfFile: hostKey + ".pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        // Sessions get a HOME of their own: Debian's bash sources ~/.bashrc for every command over ssh, and the
        // machine's own root .bashrc (pyenv, cargo...) must neither slow the tests nor print into their output.
        try FileManager.default.createDirectory(atPath: directory + "/home", withIntermediateDirectories: true)
        users = try Self.writeUserFiles(sudoRules, directory: directory)
        var command = ["/usr/sbin/sshd", "-D", "-e", "-f", directory + "/sshd_config"]
        if !users.isEmpty {
            // unshare execs (no fork), so the PID is sshd's own; every session inherits the namespace.
            command = [
                "unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount --bind \"$1/passwd\" /etc/passwd && mount --bind \"$1/shadow\" /etc/shadow && "
                    + "mount --bind \"$1/sudoers\" /etc/sudoers && shift && exec \"$@\"",
                "sh", directory,
            ] + command
        }

        var lastLog = ""
        for _ in 0..<20 {
            let candidate = Self.freePort()
            let config = """
                Port \(candidate)
                ListenAddress 127.0.0.1
                HostKey \(hostKey)
                PidFile \(directory)/sshd.pid
                AuthorizedKeysFile \(directory)/authorized_keys
                PermitRootLogin prohibit-password
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                StrictModes no
                MaxStartups 1000
                MaxSessions 100
                LogLevel \(logLevel)
                Subsystem sftp internal-sftp
                SetEnv HOME=\(directory)/home
                """ + "\n" + extraConfig.joined(separator: "\n") + "\n"
            try config.write(toFile: directory + "/sshd_config", atomically: true, encoding: .utf8)
            let started = try LocalProcess.start(command, logFile: directory + "/sshd.log")
            // Wait for the port to accept connections.
            for _ in 0..<100 {
                if Self.canConnect(port: candidate) {
                    port = candidate
                    pid = started
                    knownHostsPath = directory + "/known_hosts"
                    try "[127.0.0.1]:\(candidate) \(hostPublicKey)\n".write(toFile: knownHostsPath, atomically: true, encoding: .utf8)
                    return
                }
                var status: Int32 = 0
                if waitpid(started, &status, WNOHANG) == started { break }
                usleep(20_000)
            }
            kill(started, SIGTERM)
            _ = LocalProcess.wait(started)
            lastLog = (try? String(contentsOfFile: directory + "/sshd.log", encoding: .utf8)) ?? ""
        }
        throw Failure.didNotStart(lastLog)
    }

    /// A target for this server as root (or `user`) with the generated key and known_hosts.
    public func target(name: String = "testhost", user: String = "root", policy: HostKeyPolicy? = .strict) -> ConnectionTarget {
        ConnectionTarget(
            name: name, address: "127.0.0.1", port: port, user: user, identityFiles: [userKeyPath],
            identitiesOnly: true, knownHostsFiles: [knownHostsPath], hostKeyPolicy: policy)
    }

    /// The user made for `rule`.
    public func user(_ rule: SudoUser.Rule) -> SudoUser? { users.first { $0.rule == rule } }

    /// passwd, shadow and sudoers for the namespace: the machine's files plus one user per rule, all logging in
    /// with the server's user key, their home the server's directory.
    private static func writeUserFiles(_ rules: [SudoUser.Rule], directory: String) throws -> [SudoUser] {
        guard !rules.isEmpty else { return [] }
        let tag = String(UInt32.random(in: 0x1000_0000...0xffff_ffff), radix: 16)
        var passwd = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
        var shadow = try String(contentsOfFile: "/etc/shadow", encoding: .utf8)
        var sudoers = """
            Defaults env_reset
            Defaults lecture=never
            Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
            root ALL=(ALL:ALL) ALL

            """
        var users: [SudoUser] = []
        for (index, rule) in rules.enumerated() {
            let user = SudoUser(name: "flt\(tag)u\(index)", password: "pw-\(tag)-\(index) \\'\"$x", rule: rule)
            let uid = 64_000 + Int(UInt16.random(in: 0...999)) * 10 + index
            let hash = try LocalProcess.run(["openssl", "passwd", "-6", "-stdin"], stdin: Array((user.password + "\n").utf8))
            guard hash.status == 0 else { throw Failure.command("openssl passwd -6", hash.status, hash.text) }
            passwd += "\(user.name):x:\(uid):65534::\(directory):/bin/bash\n"
            shadow += "\(user.name):\(hash.text.trimmingCharacters(in: .whitespacesAndNewlines)):19000:0:99999:7:::\n"
            switch rule {
            case .noPassword: sudoers += "\(user.name) ALL=(ALL:ALL) NOPASSWD: ALL\n"
            case .password: sudoers += "\(user.name) ALL=(ALL:ALL) ALL\n"
            case .cachedPassword: sudoers += "Defaults:\(user.name) timestamp_type=global\n\(user.name) ALL=(ALL:ALL) ALL\n"
            }
            users.append(user)
        }
        try passwd.write(toFile: directory + "/passwd", atomically: true, encoding: .utf8)
        try shadow.write(toFile: directory + "/shadow", atomically: true, encoding: .utf8)
        try sudoers.write(toFile: directory + "/sudoers", atomically: true, encoding: .utf8)
        chmod(directory + "/passwd", 0o644)
        chmod(directory + "/shadow", 0o640)
        chmod(directory + "/sudoers", 0o440)
        return users
    }

    /// Replaces the server's host key (as a reinstalled host would) and restarts nothing: sshd reads host
    /// keys at each connection's re-exec.
    public func regenerateHostKey() async throws {
        let hostKey = hostKeyPath
        let type = hostKeyType
        try await offload {
            try? FileManager.default.removeItem(atPath: hostKey)
            try? FileManager.default.removeItem(atPath: hostKey + ".pub")
            try Self.shell(["ssh-keygen", "-q", "-t", type, "-N", "", "-f", hostKey])
        }
    }

    /// Runs a local command to completion on the blocking pool (never on the cooperative pool).
    public static func run(_ args: [String]) async throws {
        try await offload { try shell(args) }
    }

    /// Stops sshd (by its PID) and removes its directory.
    public func stop() {
        kill(pid, SIGTERM)
        _ = LocalProcess.wait(pid)
        try? FileManager.default.removeItem(atPath: directory)
        // sudo's timestamps of the server's users (kept outside the namespace, in /run).
        for user in users { try? FileManager.default.removeItem(atPath: "/run/sudo/ts/" + user.name) }
    }

    public var log: String { (try? String(contentsOfFile: directory + "/sshd.log", encoding: .utf8)) ?? "" }

    /// With `logLevel: "DEBUG3"`: the algorithms of the public key signatures sshd received
    /// ("userauth_pubkey: publickey have rsa-sha2-512 signature for RSA SHA256:...") and of the queries before
    /// them ("publickey test pkalg rsa-sha2-512 pkblob ...").
    public var publicKeyAlgorithms: (signed: [String], queried: [String]) {
        let lines = log.split(separator: "\n")
        func words(after marker: String) -> [String] {
            lines.compactMap { line in
                line.range(of: marker).flatMap { line[$0.upperBound...].split(separator: " ").first.map(String.init) }
            }
        }
        return (words(after: "publickey have "), words(after: "publickey test pkalg "))
    }

    // MARK: Helpers (blocking; this initializer runs on the blocking pool)

    static func shell(_ args: [String]) throws {
        let result = try LocalProcess.run(args)
        if result.status != 0 { throw Failure.command(args.joined(separator: " "), result.status, result.text) }
    }

    /// A port the kernel just handed out, released again for sshd to take.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
