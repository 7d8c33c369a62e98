import Foundation
import Synchronization
import Testing
import FlotillaCore
import FlotillaTesting
import SSH

/// Host keys, authentication and connection failures against real sshd servers.
@Suite(.serialized) struct SSHConnectTests {
    private func transport(_ policy: HostKeyPolicy = .strict, passphrase: @escaping @Sendable (String) -> String? = { _ in nil }) -> SSHTransport {
        var options = SSHTransport.Options.isolated(policy)
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
        var options = SSHTransport.Options.isolated(.acceptNew)
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

    /// A host that known_hosts trusts only through a certificate authority and that presents no certificate (this
    /// server has none) is refused with the @cert-authority line named, under strict and under accept-new, which must
    /// not pin the plain key in place of the CA's word. (HostCertificateTests: servers with certificates.)
    @Test func aHostVouchedForByACertificateAuthorityIsRefusedNotPinned() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let file = try emptyKnownHosts()
        try await TestSSHServer.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", server.directory + "/ca"])
        let ca = try String(contentsOfFile: server.directory + "/ca.pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        let authority = "@cert-authority [127.0.0.1]:\(server.port) \(ca)\n"
        try authority.write(toFile: file, atomically: true, encoding: .utf8)
        for policy in [HostKeyPolicy.strict, .acceptNew] {
            var target = server.target(name: "certified", policy: policy)
            target.knownHostsFiles = [file]
            let error = await #expect(throws: SSHError.self) { try await transport(policy).connect(target) }
            #expect(String(describing: error!).contains("certified: known_hosts trusts this host only through the @cert-authority line at \(file):1"), "\(String(describing: error!))")
        }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == authority)
    }

    /// sshd hangs up after MaxAuthTries failed keys: said as such, with the keys that were tried.
    @Test func tooManyAuthenticationFailuresIsSaidWithWhatWasTried() async throws {
        let server = try await TestSSHServer.start(extraConfig: ["MaxAuthTries 1"])
        defer { server.stop() }
        let other = try await TestSSHServer.start()
        defer { other.stop() }
        var target = server.target(name: "strict1")
        target.identityFiles = [other.userKeyPath, server.userKeyPath]
        let error = await #expect(throws: SSHError.self) { try await transport().connect(target) }
        let text = String(describing: error!)
        #expect(text.contains("strict1: authentication failed for user root; tried: publickey \(other.userKeyPath)"), "\(text)")
        #expect(text.contains("Too many authentication failures"), "\(text)")
        #expect(text.contains("MaxAuthTries"), "\(text)")
    }

    /// HostKeyAlias: the key is looked up (and recorded) under the alias, without a port, as ssh does; and a
    /// GlobalKnownHostsFile of the target's own vouches like the user's files.
    @Test func hostKeyAliasAndGlobalKnownHostsFilesVouchAsInSsh() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let aliasFile = try emptyKnownHosts()
        try "shared-alias \(server.hostPublicKey)\n".write(toFile: aliasFile, atomically: true, encoding: .utf8)
        var aliased = server.target(name: "aliased")
        aliased.knownHostsFiles = [aliasFile]
        // Without the alias the address is looked up, and nothing vouches for it.
        await #expect(throws: SSHError.self) { try await transport().connect(aliased) }
        aliased.hostKeyAlias = "shared-alias"
        let first = try await transport().connect(aliased)
        await first.close()

        var global = server.target(name: "global")
        global.knownHostsFiles = []
        global.globalKnownHostsFiles = [server.knownHostsPath]
        let second = try await transport().connect(global)
        await second.close()

        // accept-new records under the alias.
        let recorded = try emptyKnownHosts()
        var fresh = server.target(name: "fresh", policy: .acceptNew)
        fresh.knownHostsFiles = [recorded]
        fresh.hostKeyAlias = "fresh-alias"
        let third = try await transport(.acceptNew).connect(fresh)
        await third.close()
        #expect(try String(contentsOfFile: recorded, encoding: .utf8) == "fresh-alias \(server.hostPublicKey)\n")
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

    private func expectSignedWithSHA2(_ server: TestSSHServer) {
        let (signed, queried) = server.publicKeyAlgorithms
        #expect(!signed.isEmpty, "\(server.log)")
        for algorithm in signed + queried {
            #expect(algorithm == "rsa-sha2-512" || algorithm == "rsa-sha2-256", "\(signed) \(queried)")
        }
        #expect(server.log.contains("Accepted publickey for root"), "\(server.log)")
    }

    /// The test binary runs with the libssh2 scripts/setup.sh provides, not Debian 12's 1.10.
    @Test func theLibssh2InUseSignsRSAKeysWithSHA2() {
        let version = SSHTransport.libssh2Version
        let parts = version.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count >= 2 && (parts[0], parts[1]) >= (1, 11), "\(version)")
        #expect(SSHTransport.rsaRefusalHint(libssh2Version: version) == nil)
    }

    /// A binary that somehow runs with an older libssh2 says why the RSA key was refused.
    @Test func anOlderLibssh2WouldBeNamedWhenAnRSAKeyIsRefused() throws {
        let hint = try #require(SSHTransport.rsaRefusalHint(libssh2Version: "1.10.0"))
        #expect(hint.contains("(1.10.0) is older than 1.11"))
        #expect(hint.contains("ssh-rsa (SHA-1)"))
        #expect(hint.contains("scripts/setup.sh"))
        #expect(SSHTransport.rsaRefusalHint(libssh2Version: "1.11.1") == nil)
        #expect(SSHTransport.rsaRefusalHint(libssh2Version: "1.11.1_DEV") == nil)
        #expect(SSHTransport.rsaRefusalHint(libssh2Version: "2.0.0") == nil)
    }

    /// OpenSSH 8.8+ refuses SHA-1 `ssh-rsa` signatures; libssh2 1.11 signs with rsa-sha2-512/256 (as the server's
    /// server-sig-algs allows), so an RSA key file logs in.
    @Test func anRSAKeyFileLogsInSigningWithSHA2() async throws {
        let server = try await TestSSHServer.start(userKeyType: "rsa", logLevel: "DEBUG3")
        defer { server.stop() }
        let session = try await transport().connect(server.target())
        #expect(try await session.run(.shell("echo ok")).stdoutText == "ok\n")
        await session.close()
        expectSignedWithSHA2(server)
    }

    /// The same through a real ssh-agent (started for this test on its own socket) holding the RSA key, with no
    /// key file to fall back on.
    @Test func anRSAKeyInTheAgentLogsInSigningWithSHA2() async throws {
        let server = try await TestSSHServer.start(userKeyType: "rsa", logLevel: "DEBUG3")
        defer { server.stop() }
        let agent = try await TestSSHAgent.start(keys: [server.userKeyPath])
        defer { agent.stop() }
        var options = SSHTransport.Options()
        options.userKnownHosts = false
        options.defaultIdentities = false
        options.useAgent = true
        options.agentSocket = agent.socket
        var target = server.target()
        target.identityFiles = []
        target.identitiesOnly = false
        let session = try await SSHTransport(options: options).connect(target)
        #expect(try await session.run(.shell("echo ok")).stdoutText == "ok\n")
        await session.close()
        expectSignedWithSHA2(server)
    }

    /// An agent that holds only keys the server refuses is tried, named in the error, and not a login.
    @Test func anAgentWithoutTheKeyIsNamedInTheError() async throws {
        let server = try await TestSSHServer.start(userKeyType: "rsa")
        defer { server.stop() }
        let other = try await TestSSHServer.start(userKeyType: "rsa")
        defer { other.stop() }
        let agent = try await TestSSHAgent.start(keys: [other.userKeyPath])
        defer { agent.stop() }
        var options = SSHTransport.Options()
        options.userKnownHosts = false
        options.defaultIdentities = false
        options.agentSocket = agent.socket
        var target = server.target()
        target.identityFiles = []
        target.identitiesOnly = false
        let error = await #expect(throws: SSHError.self) { try await SSHTransport(options: options).connect(target) }
        guard case .authentication(_, _, let tried, _, let hint) = error else {
            Issue.record("expected authentication, got \(String(describing: error))")
            return
        }
        #expect(tried == ["ssh-agent (1 key)"])
        #expect(hint == nil)
    }

    /// An RSA host key is negotiated as rsa-sha2 (OpenSSH 8.8+ offers no ssh-rsa host key signatures) and checked
    /// against known_hosts' ssh-rsa line; accept-new records it as ssh-rsa, which strict then accepts.
    @Test func anRSAHostKeyVerifiesWithSHA2() async throws {
        let server = try await TestSSHServer.start(hostKeyType: "rsa")
        defer { server.stop() }
        #expect(server.hostPublicKey.hasPrefix("ssh-rsa "))
        let session = try await SSHTransport(options: .isolated()).open(server.target())
        #expect(["rsa-sha2-512", "rsa-sha2-256"].contains(session.negotiated.hostKey), "\(session.negotiated)")
        #expect(try await session.run(.shell("echo ok")).stdoutText == "ok\n")
        await session.close()

        var target = server.target(policy: nil)
        let file = try emptyKnownHosts()
        target.knownHostsFiles = [file]
        let first = try await transport(.acceptNew).connect(target)
        await first.close()
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "[127.0.0.1]:\(server.port) \(server.hostPublicKey)\n")
        let second = try await transport(.strict).connect(target)
        #expect(try await second.run(.shell("echo ok")).stdoutText == "ok\n")
        await second.close()

        // A different RSA key under the same name is refused.
        try await server.regenerateHostKey()
        let error = await #expect(throws: SSHError.self) { try await transport(.strict).connect(target) }
        guard case .changedHostKey(_, let type, _, _, _) = error else {
            Issue.record("expected changedHostKey, got \(String(describing: error))")
            return
        }
        #expect(type == "ssh-rsa")
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

    /// A host's IdentityAgent is the agent whose keys are offered to it: its socket rather than the run's, and `none`
    /// for no agent at all.
    @Test func aHostsIdentityAgentDecidesWhichAgentIsAsked() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let agent = try await TestSSHAgent.start(keys: [server.userKeyPath])
        defer { agent.stop() }
        var options = SSHTransport.Options.isolated()
        options.useAgent = true
        options.agentSocket = server.directory + "/no-agent-here.sock"
        var target = server.target()
        target.identityFiles = []
        target.identitiesOnly = false
        target.identityAgent = agent.socket
        let session = try await SSHTransport(options: options).connect(target)
        #expect(try await session.run(.shell("echo ok")).stdoutText == "ok\n")
        await session.close()
        // The run's agent holds the key, but the host says none.
        options.agentSocket = agent.socket
        target.identityAgent = "none"
        let error = await #expect(throws: SSHError.self) { try await SSHTransport(options: options).connect(target) }
        guard case .authentication(_, _, let tried, _, _) = error else {
            Issue.record("expected authentication, got \(String(describing: error))")
            return
        }
        #expect(!tried.contains { $0.hasPrefix("ssh-agent") }, "\(tried)")
    }
}
