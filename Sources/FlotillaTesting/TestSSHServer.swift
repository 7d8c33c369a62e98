import Foundation
public import FlotillaCore

/// A real OpenSSH server on loopback, started by a test with its own config, generated ed25519 host and user
/// keys and a free port, and stopped (by its PID) when the test is done.
public final class TestSSHServer: Sendable {
    public let port: Int
    public let directory: String
    /// The client key that root may log in with.
    public let userKeyPath: String
    /// A known_hosts file that lists this server's key as `[127.0.0.1]:port`.
    public let knownHostsPath: String
    public let hostPublicKey: String
    private let pid: Int32

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

    /// Starts sshd. `extraConfig` lines are appended to sshd_config.
    public static func start(extraConfig: [String] = [], userKeyType: String = "ed25519") async throws -> TestSSHServer {
        try await offload { try TestSSHServer(extraConfig: extraConfig, userKeyType: userKeyType) }
    }

    private init(extraConfig: [String], userKeyType: String) throws {
        guard getuid() == 0 else { throw Failure.notRoot }
        var template = Array("/tmp/flotilla-sshd.XXXXXX".utf8CString)
        guard let dirPointer = mkdtemp(&template) else { throw Failure.didNotStart("mkdtemp failed") }
        directory = String(cString: dirPointer)
        chmod(directory, 0o755)
        let hostKey = directory + "/host_ed25519"
        userKeyPath = directory + "/id_\(userKeyType)"
        try Self.shell(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey])
        var userKeyArgs = ["ssh-keygen", "-q", "-t", userKeyType, "-N", "", "-f", userKeyPath]
        if userKeyType == "rsa" { userKeyArgs += ["-b", "2048"] }
        try Self.shell(userKeyArgs)
        try FileManager.default.copyItem(atPath: userKeyPath + ".pub", toPath: directory + "/authorized_keys")
        hostPublicKey = try String(contentsOfFile: hostKey + ".pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)

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
                LogLevel VERBOSE
                Subsystem sftp internal-sftp
                """ + "\n" + extraConfig.joined(separator: "\n") + "\n"
            try config.write(toFile: directory + "/sshd_config", atomically: true, encoding: .utf8)
            let started = try LocalProcess.start(
                ["/usr/sbin/sshd", "-D", "-e", "-f", directory + "/sshd_config"], logFile: directory + "/sshd.log")
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

    /// A target for this server as root with the generated key and known_hosts.
    public func target(name: String = "testhost", policy: HostKeyPolicy? = .strict) -> ConnectionTarget {
        ConnectionTarget(
            name: name, address: "127.0.0.1", port: port, user: "root", identityFiles: [userKeyPath],
            identitiesOnly: true, knownHostsFiles: [knownHostsPath], hostKeyPolicy: policy)
    }

    /// Replaces the server's host key (as a reinstalled host would) and restarts nothing: sshd reads host
    /// keys at each connection's re-exec.
    public func regenerateHostKey() async throws {
        let hostKey = directory + "/host_ed25519"
        try await offload {
            try? FileManager.default.removeItem(atPath: hostKey)
            try? FileManager.default.removeItem(atPath: hostKey + ".pub")
            try Self.shell(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey])
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
    }

    public var log: String { (try? String(contentsOfFile: directory + "/sshd.log", encoding: .utf8)) ?? "" }

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
