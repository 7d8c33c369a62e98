import Foundation
import Synchronization
import Testing
import FlotillaCore
import FlotillaTesting
import SSH

/// Host keys, authentication and connection failures against real sshd servers.
@Suite(.serialized) struct SSHConnectTests {
    private func transport(_ policy: HostKeyPolicy = .strict, passphrase: @escaping @Sendable (String) -> String? = { _ in nil }) -> SSHTransport {
        var options = SSHTransport.Options()
        options.userKnownHosts = false
        options.useAgent = false
        options.defaultIdentities = false
        options.hostKeyPolicy = policy
        options.passphrase = passphrase
        return SSHTransport(options: options)
    }

    private func emptyKnownHosts() throws -> String {
        let path = NSTemporaryDirectory() + "flotilla-kh-\(UUID().uuidString)"
        try "".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func strictRefusesAnUnknownHostWithItsFingerprint() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        var target = server.target(name: "web1", policy: nil)
        target.knownHostsFiles = [try emptyKnownHosts()]
        let error = await #expect(throws: SSHError.self) { try await transport(.strict).connect(target) }
        guard case .unknownHostKey(let host, let type, let fingerprint, _) = error else {
            Issue.record("expected unknownHostKey, got \(String(describing: error))")
            return
        }
        #expect(host == "web1")
        #expect(type == "ssh-ed25519")
        #expect(fingerprint.hasPrefix("SHA256:"))
        #expect(String(describing: error!).contains("web1"))
    }

    @Test func acceptNewRecordsTheKeyAndStrictAcceptsItAfterwards() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        var target = server.target(policy: nil)
        let file = try emptyKnownHosts()
        target.knownHostsFiles = [file]
        let first = try await transport(.acceptNew).connect(target)
        await first.close()
        let written = try String(contentsOfFile: file, encoding: .utf8)
        #expect(written == "[127.0.0.1]:\(server.port) \(server.hostPublicKey)\n")
        // A new transport reads the file anew: strict now accepts the host.
        let second = try await transport(.strict).connect(target)
        #expect(try await second.run(.shell("echo ok")).stdoutText == "ok\n")
        await second.close()
    }

    /// A server with ECDSA and RSA host keys listed before its ED25519 one: accept-new records the ED25519 key, the
    /// type OpenSSH prefers and records, and says what it recorded where.
    @Test func acceptNewRecordsTheKeyTypeOpenSSHWouldAndSaysSo() async throws {
        let keys = NSTemporaryDirectory() + "flotilla-hostkeys-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: keys) }
        try await TestSSHServer.run(["ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", keys + "/ecdsa"])
        try await TestSSHServer.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", keys + "/rsa"])
        let server = try await TestSSHServer.start(extraConfig: ["HostKey \(keys)/ecdsa", "HostKey \(keys)/rsa"])
        defer { server.stop() }
        var target = server.target(policy: nil)
        let file = try emptyKnownHosts()
        target.knownHostsFiles = [file]
        let told = Mutex<[String]>([])
        var options = SSHTransport.Options()
        options.userKnownHosts = false
        options.useAgent = false
        options.defaultIdentities = false
        options.hostKeyPolicy = .acceptNew
        options.hostKeyRecorded = { host, type, fingerprint, path in told.withLock { $0.append("\(host) \(type) \(fingerprint) \(path)") } }
        let session = try await SSHTransport(options: options).connect(target)
        await session.close()
        let written = try String(contentsOfFile: file, encoding: .utf8)
        #expect(written == "[127.0.0.1]:\(server.port) \(server.hostPublicKey)\n")
        #expect(written.contains("ssh-ed25519"))
        let lines = told.withLock { $0 }
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("testhost ED25519 SHA256:") == true, "\(lines)")
        #expect(lines.first?.hasSuffix(" \(file)") == true, "\(lines)")
    }

    /// A key exchange mismatch names what each side offered, read from the server's own KEXINIT.
    @Test func aKeyExchangeMismatchNamesWhatEachSideOffered() async throws {
        let server = try await TestSSHServer.start(extraConfig: ["KexAlgorithms sntrup761x25519-sha512@openssh.com"])
        defer { server.stop() }
        let error = await #expect(throws: SSHError.self) { try await transport().connect(server.target()) }
        let text = String(describing: error!)
        #expect(text.contains("no common key exchange algorithm: the server offers sntrup761x25519-sha512@openssh.com"), "\(text)")
        #expect(text.contains("offers curve25519-sha256"), "\(text)")
        #expect(!text.contains("no common host key"), "\(text)")
    }

    /// A server that speaks only SSH-1 is refused as soon as its banner arrives, not after the handshake timeout
    /// (the message would then be the deadline's).
    @Test func anSSH1ServerIsRefusedByItsBanner() async throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listen(fd, 4)
        defer { close(fd) }
        let port = Int(UInt16(bigEndian: address.sin_port))
        // The old server: its banner, then silence until the client gives up.
        let thread = Thread {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            _ = "SSH-1.5-OldServer_1.2.33\r\n".withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            var byte: UInt8 = 0
            _ = recv(client, &byte, 1, 0)
            close(client)
        }
        thread.start()
        let target = ConnectionTarget(name: "relic", address: "127.0.0.1", port: port, hostKeyPolicy: .off)
        let error = await #expect(throws: SSHError.self) { try await transport().connect(target) }
        #expect(String(describing: error!).contains("relic: SSH handshake failed: the server speaks only SSH protocol 1 (SSH-1.5-OldServer_1.2.33)"), "\(String(describing: error!))")
    }

    @Test func aChangedHostKeyIsRefusedUnderEveryPolicyButOff() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        try await server.regenerateHostKey()
        let target = server.target(policy: nil)
        for policy in [HostKeyPolicy.strict, .acceptNew] {
            let error = await #expect(throws: SSHError.self) { try await transport(policy).connect(target) }
            guard case .changedHostKey(_, _, _, let file, let line) = error else {
                Issue.record("\(policy): expected changedHostKey, got \(String(describing: error))")
                continue
            }
            #expect(file == server.knownHostsPath)
            #expect(line == 1)
        }
        let session = try await transport(.off).connect(target)
        #expect(try await session.run(.shell("true")).status == .exited(0))
        await session.close()
    }

    @Test func aWrongKeyFailsAuthenticationNamingHostAndMethods() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let other = try await TestSSHServer.start()
        defer { other.stop() }
        var target = server.target(name: "db7")
        target.identityFiles = [other.userKeyPath]
        let error = await #expect(throws: SSHError.self) { try await transport().connect(target) }
        guard case .authentication(let host, let user, let tried, let methods, _) = error else {
            Issue.record("expected authentication, got \(String(describing: error))")
            return
        }
        #expect(host == "db7")
        #expect(user == "root")
        #expect(tried == ["publickey \(other.userKeyPath) (ssh-ed25519)"])
        #expect(methods.contains("publickey"))
    }

    @Test func anRSAKeyRefusedByTheServerExplainsLibssh2sLimitation() async throws {
        let server = try await TestSSHServer.start(userKeyType: "rsa")
        defer { server.stop() }
        let error = await #expect(throws: SSHError.self) { try await transport().connect(server.target()) }
        #expect(String(describing: error!).contains("ssh-rsa (SHA-1)"))
    }

    @Test func aClosedPortFailsFastWithAClearError() async throws {
        let port = TestSSHServer.freePort()
        let target = ConnectionTarget(name: "gone", address: "127.0.0.1", port: port, user: "root")
        let started = ContinuousClock.now
        let error = await #expect(throws: SSHError.self) { try await transport().connect(target) }
        #expect(started.duration(to: .now) < .seconds(1))
        #expect(String(describing: error!) == "gone: cannot connect to 127.0.0.1 port \(port): Connection refused")
    }

    @Test func anUnresolvableNameSaysSo() async throws {
        let target = ConnectionTarget(name: "nowhere", address: "no-such-host.invalid", port: 22, user: "root")
        let error = await #expect(throws: SSHError.self) { try await transport().connect(target) }
        guard case .resolve(let host, _, _) = error else {
            Issue.record("expected resolve, got \(String(describing: error))")
            return
        }
        #expect(host == "nowhere")
    }

    /// As ssh: a private key that others may read is refused, with ssh's reason, before it is ever used; the same
    /// key at 0600 logs in.
    @Test func aPrivateKeyReadableByOthersIsRefusedAsSshRefusesIt() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        for mode: mode_t in [0o644, 0o640, 0o604, 0o660] {
            chmod(server.userKeyPath, mode)
            let error = await #expect(throws: SSHError.self) { try await transport().connect(server.target()) }
            let text = String(describing: error!)
            #expect(text.contains(server.userKeyPath), "\(text)")
            #expect(text.contains("permissions 0\(String(mode, radix: 8)) are too open"), "\(text)")
            #expect(text.contains("UNPROTECTED PRIVATE KEY FILE"), "\(text)")
        }
        chmod(server.userKeyPath, 0o600)
        let session = try await transport().connect(server.target())
        #expect(try await session.run(.shell("true")).status == .exited(0))
        await session.close()
    }

    @Test func aPassphraseProtectedKeyIsDecryptedOncePerRun() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let encrypted = server.directory + "/id_protected"
        try FileManager.default.copyItem(atPath: server.userKeyPath, toPath: encrypted)
        try await TestSSHServer.run(["ssh-keygen", "-q", "-p", "-P", "", "-N", "s3cret", "-f", encrypted])

        let asked = Counter()
        let transport = transport(passphrase: { _ in asked.increment(); return "s3cret" })
        var protectedTarget = server.target()
        protectedTarget.identityFiles = [encrypted]
        let target = protectedTarget
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    let session = try await transport.connect(target)
                    #expect(try await session.run(.shell("true")).status == .exited(0))
                    await session.close()
                }
            }
            try await group.waitForAll()
        }
        #expect(asked.value == 1)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
