import Foundation
import Testing
import FlotillaCore
import FlotillaTesting
import SSH

/// A real sshd with a host certificate (`HostCertificate`) made by `ssh-keygen -s`, and a known_hosts file of the
/// test's own with a `@cert-authority` line. The certificate can be re-signed between connections: sshd reads its
/// host keys and certificates at each connection's re-exec.
private struct CertifiedServer {
    let dir: TempDirectory
    let server: TestSSHServer
    /// The known_hosts file: `@cert-authority [127.0.0.1]:PORT CA` on line 1 unless a test writes its own.
    let knownHosts: String
    let caPublicKey: String

    /// `hostKeyType` and `caType` are `ssh-keygen -t` types.
    static func start(hostKeyType: String = "ed25519", caType: String = "ed25519") async throws -> CertifiedServer {
        let dir = try TempDirectory()
        func keygen(_ type: String, _ name: String) async throws {
            try await TestSSHServer.run(["ssh-keygen", "-q", "-t", type, "-N", "", "-f", dir.file(name)] + (type == "rsa" ? ["-b", "2048"] : []))
        }
        try await keygen(caType, "ca")
        try await keygen("ed25519", "other-ca")
        try await keygen(hostKeyType, "hostkey")
        let server = try await TestSSHServer.start(extraConfig: ["HostKey \(dir.file("hostkey"))", "HostCertificate \(dir.file("hostkey-cert.pub"))"])
        let ca = try dir.read("ca.pub").split(separator: " ").prefix(2).joined(separator: " ")
        let setup = CertifiedServer(dir: dir, server: server, knownHosts: dir.file("known_hosts"), caPublicKey: ca)
        try setup.writeKnownHosts("@cert-authority [127.0.0.1]:\(server.port) \(ca)\n")
        try await setup.sign()
        return setup
    }

    func stop() {
        server.stop()
        dir.remove()
    }

    /// (Re)makes the host certificate: `ssh-keygen -s CA [-h] -n PRINCIPALS -V VALIDITY` (no -n when `principals` is
    /// nil: a certificate for every name).
    func sign(ca: String = "ca", principals: String? = "127.0.0.1", validity: String = "-5m:+1h", host: Bool = true) async throws {
        var args = ["ssh-keygen", "-q", "-s", dir.file(ca), "-I", "test-host"]
        if host { args.append("-h") }
        if let principals { args += ["-n", principals] }
        args += ["-V", validity, dir.file("hostkey.pub")]
        try await TestSSHServer.run(args)
    }

    func writeKnownHosts(_ text: String) throws { try text.write(toFile: knownHosts, atomically: true, encoding: .utf8) }

    /// The certified key's `type base64`.
    func hostPublicKey() throws -> String { try dir.read("hostkey.pub").split(separator: " ").prefix(2).joined(separator: " ") }

    func target(_ policy: HostKeyPolicy = .strict, alias: String? = nil) -> ConnectionTarget {
        var target = server.target(name: "certified", policy: policy)
        target.knownHostsFiles = [knownHosts]
        target.hostKeyAlias = alias
        return target
    }

    func connect(_ policy: HostKeyPolicy = .strict, alias: String? = nil) async throws -> SSHSession {
        try await SSHTransport(options: .isolated(policy)).open(target(policy, alias: alias))
    }

    /// The oracle: OpenSSH's ssh on the same server with the same known_hosts (nothing of the user's own read),
    /// strict. Its exit status: 0 when it logged in.
    func openSSH(_ extra: [String] = []) async throws -> Int32 {
        let argv = [
            "ssh", "-F", "/dev/null", "-o", "UserKnownHostsFile=\(knownHosts)", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=60",
            "-i", server.userKeyPath, "-p", "\(server.port)",
        ] + extra + ["root@127.0.0.1", "true"]
        return try await offload { try LocalProcess.run(argv).status }
    }
}

@Suite(.serialized) struct HostCertificateTests {
    @Test func aValidHostCertificateIsAcceptedWithOnlyTheCALine() async throws {
        let setup = try await CertifiedServer.start()
        defer { setup.stop() }
        let before = try setup.dir.read("known_hosts")
        for policy in [HostKeyPolicy.strict, .acceptNew] {
            let session = try await setup.connect(policy)
            #expect(session.negotiated.hostKey == "ssh-ed25519-cert-v01@openssh.com")
            #expect(try await session.run(.shell("echo ok")).stdoutText == "ok\n")
            await session.close()
        }
        // Nothing pinned: the CA's word stays the only one.
        #expect(try setup.dir.read("known_hosts") == before)
        #expect(try await setup.openSSH() == 0)
    }

    /// ssh looks a host on another port than 22 up as `[host]:port` and then, for its CA, as the bare host.
    @Test func aCALineForTheBareHostNameVouchesOnAnyPort() async throws {
        let setup = try await CertifiedServer.start()
        defer { setup.stop() }
        try setup.writeKnownHosts("@cert-authority 127.0.0.1 \(setup.caPublicKey)\n")
        let session = try await setup.connect()
        #expect(session.negotiated.hostKey == "ssh-ed25519-cert-v01@openssh.com")
        await session.close()
        #expect(try await setup.openSSH() == 0)
    }

    /// Certificates of every key type libssh2 loads with Flotilla's patch, signed by CAs of other types.
    @Test(arguments: [("ecdsa", "rsa"), ("rsa", "ecdsa"), ("rsa", "ed25519"), ("ed25519", "rsa")])
    func certificatesOfEveryKeyTypeAreAccepted(hostKeyType: String, caType: String) async throws {
        let setup = try await CertifiedServer.start(hostKeyType: hostKeyType, caType: caType)
        defer { setup.stop() }
        let session = try await setup.connect()
        let expected = ["ecdsa": "ecdsa-sha2-nistp256-cert-v01@openssh.com", "rsa": "rsa-sha2-512-cert-v01@openssh.com",
                        "ed25519": "ssh-ed25519-cert-v01@openssh.com"][hostKeyType]
        #expect(session.negotiated.hostKey == expected)
        #expect(try await session.run(.shell("echo ok")).stdoutText == "ok\n")
        await session.close()
        #expect(try await setup.openSSH() == 0)
    }

    /// Each broken certificate is refused under strict and accept-new, with the reason and the @cert-authority line,
    /// nothing is written to known_hosts, and OpenSSH's ssh refuses it too.
    @Test(arguments: [
        ("wrong CA", "other-ca", "127.0.0.1", "-5m:+1h", true, "is not the key of any @cert-authority line for this host"),
        ("wrong principal", "ca", "web1.example.org,10.0.0.1", "-5m:+1h", true,
         "127.0.0.1 is not a listed principal (the certificate names web1.example.org, 10.0.0.1)"),
        ("expired", "ca", "127.0.0.1", "20200101000000Z:20200102000000Z", true, "expired: valid until 2020-01-02T00:00:00Z"),
        ("not yet valid", "ca", "127.0.0.1", "20700101000000Z:20700102000000Z", true, "not yet valid: valid from 2070-01-01T00:00:00Z"),
        ("user certificate", "ca", "127.0.0.1", "-5m:+1h", false, "it is a user certificate, not a host certificate"),
    ])
    func aBrokenCertificateIsRefusedWithItsReason(
        _ name: String, ca: String, principals: String, validity: String, host: Bool, reason: String
    ) async throws {
        let setup = try await CertifiedServer.start()
        defer { setup.stop() }
        try await setup.sign(ca: ca, principals: principals, validity: validity, host: host)
        let before = try setup.dir.read("known_hosts")
        for policy in [HostKeyPolicy.strict, .acceptNew] {
            let error = await #expect(throws: SSHError.self, "\(name)") { try await setup.connect(policy) }
            guard case .hostCertificateRefused(let hostName, _, let said, let file, let line) = error else {
                Issue.record("\(name): expected hostCertificateRefused, got \(String(describing: error))")
                continue
            }
            #expect(hostName == "certified")
            #expect(said.contains(reason), "\(name): \(said)")
            #expect(file == setup.knownHosts && line == 1, "\(name)")
            let text = String(describing: error!)
            #expect(text.contains("certified: host certificate refused: \(said) (@cert-authority line at \(setup.knownHosts):1)"), "\(text)")
        }
        #expect(try setup.dir.read("known_hosts") == before, "\(name): accept-new pinned a key")
        #expect(try await setup.openSSH() != 0, "\(name): OpenSSH accepted it")
    }

    /// A certificate with no principals is valid for every host name, in OpenSSH and so in Flotilla.
    @Test func aCertificateWithoutPrincipalsIsValidForEveryName() async throws {
        let setup = try await CertifiedServer.start()
        defer { setup.stop() }
        try await setup.sign(principals: nil)
        let session = try await setup.connect()
        await session.close()
        #expect(try await setup.openSSH() == 0)
    }

    /// With a HostKeyAlias, the CA line is looked up under the alias and the alias must be a principal.
    @Test func theHostKeyAliasIsThePrincipalChecked() async throws {
        let setup = try await CertifiedServer.start()
        defer { setup.stop() }
        try setup.writeKnownHosts("@cert-authority db.example.org \(setup.caPublicKey)\n")
        try await setup.sign(principals: "db.example.org")
        let session = try await setup.connect(alias: "db.example.org")
        await session.close()
        #expect(try await setup.openSSH(["-o", "HostKeyAlias=db.example.org"]) == 0)
        // The address is not a principal: refused, as ssh refuses it.
        try await setup.sign(principals: "127.0.0.1")
        let error = await #expect(throws: SSHError.self) { try await setup.connect(alias: "db.example.org") }
        #expect(String(describing: error!).contains("db.example.org is not a listed principal"), "\(String(describing: error!))")
        #expect(try await setup.openSSH(["-o", "HostKeyAlias=db.example.org"]) != 0)
    }

    /// `@revoked` for the certified key, or for the CA, refuses the certificate whatever else vouches for it.
    @Test(arguments: ["certified key", "CA"])
    func aRevokedKeyOrCAIsRefused(_ what: String) async throws {
        let setup = try await CertifiedServer.start()
        defer { setup.stop() }
        let revoked = what == "CA" ? setup.caPublicKey : try setup.hostPublicKey()
        try setup.writeKnownHosts("@cert-authority [127.0.0.1]:\(setup.server.port) \(setup.caPublicKey)\n@revoked * \(revoked)\n")
        for policy in [HostKeyPolicy.strict, .acceptNew] {
            let error = await #expect(throws: SSHError.self) { try await setup.connect(policy) }
            guard case .revokedHostKey(_, _, let file, let line) = error else {
                Issue.record("expected revokedHostKey, got \(String(describing: error))")
                continue
            }
            #expect(file == setup.knownHosts && line == 2)
        }
        #expect(try await setup.openSSH() != 0)
    }

    /// As ssh does, a certificate that no CA line vouches for falls back to its key: listed as a plain key, it is
    /// accepted.
    @Test func aRefusedCertificateWhoseKeyIsListedPlainIsAccepted() async throws {
        let setup = try await CertifiedServer.start()
        defer { setup.stop() }
        try await setup.sign(ca: "other-ca")
        try setup.writeKnownHosts(
            "@cert-authority [127.0.0.1]:\(setup.server.port) \(setup.caPublicKey)\n[127.0.0.1]:\(setup.server.port) \(try setup.hostPublicKey())\n")
        let session = try await setup.connect()
        #expect(session.negotiated.hostKey == "ssh-ed25519-cert-v01@openssh.com")
        await session.close()
        #expect(try await setup.openSSH() == 0)
    }

    /// Certificate algorithms are offered only when a @cert-authority line could match the host: otherwise the server's
    /// plain key is negotiated, as before.
    @Test func certificatesAreAskedForOnlyWhenACALineMatches() async throws {
        let setup = try await CertifiedServer.start()
        defer { setup.stop() }
        try setup.writeKnownHosts(
            "@cert-authority other.example.org \(setup.caPublicKey)\n[127.0.0.1]:\(setup.server.port) \(setup.server.hostPublicKey)\n")
        let session = try await setup.connect()
        #expect(session.negotiated.hostKey == "ssh-ed25519")
        await session.close()
    }
}

/// Certificate parsing and checks without a server: exact validity boundaries, tampering, SHA-1 CA signatures.
@Suite struct CertificateParsingTests {
    private func makeCertificate(_ extra: [String], caType: String = "ed25519") async throws -> (TempDirectory, SSHCertificate) {
        let dir = try TempDirectory()
        try await TestSSHServer.run(["ssh-keygen", "-q", "-t", caType, "-N", "", "-f", dir.file("ca")])
        try await TestSSHServer.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.file("key")])
        try await TestSSHServer.run(["ssh-keygen", "-q", "-s", dir.file("ca"), "-I", "unit"] + extra + [dir.file("key.pub")])
        let fields = try dir.read("key-cert.pub").split(separator: " ")
        let blob = try #require(HostKey(base64: fields[1])).blob
        return (dir, try SSHCertificate(blob: blob))
    }

    @Test func validityIsCheckedAtItsExactBoundaries() async throws {
        let (dir, cert) = try await makeCertificate(["-h", "-n", "web1", "-V", "20300101000000Z:20300102000000Z"])
        defer { dir.remove() }
        #expect(cert.validAfter == 1_893_456_000)
        #expect(cert.validBefore == 1_893_542_400)
        #expect(cert.kind == .host)
        #expect(cert.principals == ["web1"])
        #expect(cert.key.type == "ssh-ed25519")
        #expect(try cert.signatureIsValid())
        #expect(cert.hostRefusal(name: "web1", now: cert.validAfter - 1)?.hasPrefix("not yet valid") == true)
        #expect(cert.hostRefusal(name: "web1", now: cert.validAfter) == nil)
        #expect(cert.hostRefusal(name: "web1", now: cert.validBefore - 1) == nil)
        #expect(cert.hostRefusal(name: "web1", now: cert.validBefore)?.hasPrefix("expired") == true)
        // Principals are compared exactly, as OpenSSH compares them (no patterns).
        #expect(cert.hostRefusal(name: "web", now: cert.validAfter) != nil)
        #expect(cert.hostRefusal(name: "web1.lab", now: cert.validAfter) != nil)
    }

    @Test func criticalOptionsRefuseAHostCertificate() async throws {
        let (dir, cert) = try await makeCertificate(["-h", "-n", "web1", "-O", "force-command=true"])
        defer { dir.remove() }
        #expect(cert.criticalOptions == ["force-command"])
        #expect(cert.hostRefusal(name: "web1", now: cert.validAfter + 1)?.contains("critical options (force-command)") == true)
    }

    @Test func aTamperedCertificateFailsItsSignature() async throws {
        for caType in ["ed25519", "ecdsa", "rsa"] {
            let (dir, cert) = try await makeCertificate(["-h", "-n", "web1"], caType: caType)
            defer { dir.remove() }
            #expect(try cert.signatureIsValid(), "\(caType)")
            // Rename the principal (web1 -> web2): same length, so the certificate still parses.
            var blob = cert.blob
            let name = Array("web1".utf8)
            let at = try #require((0...(blob.count - 4)).first { Array(blob[$0..<$0 + 4]) == name })
            blob[at + 3] = UInt8(ascii: "2")
            let tampered = try SSHCertificate(blob: blob)
            #expect(tampered.principals == ["web2"])
            #expect(try tampered.signatureIsValid() == false, "\(caType)")
        }
    }

    /// OpenSSH's default CASignatureAlgorithms leaves out SHA-1 `ssh-rsa`.
    @Test func aSHA1RSASignatureIsRefused() async throws {
        let (dir, cert) = try await makeCertificate(["-h", "-n", "web1", "-t", "ssh-rsa"], caType: "rsa")
        defer { dir.remove() }
        #expect(cert.signatureAlgorithm == "ssh-rsa")
        #expect(throws: SSHCertificateError.signatureAlgorithm("ssh-rsa")) { try cert.signatureIsValid() }
    }

    @Test func truncatedCertificatesAreMalformedNotACrash() async throws {
        let (dir, cert) = try await makeCertificate(["-h", "-n", "web1"])
        defer { dir.remove() }
        for length in stride(from: 0, to: cert.blob.count, by: 7) {
            #expect(throws: SSHCertificateError.self) { try SSHCertificate(blob: Array(cert.blob.prefix(length))) }
        }
        #expect(throws: SSHCertificateError.self) { try SSHCertificate(blob: cert.blob + [0]) }
    }

    @Test func lookupNamesFollowSSH() {
        #expect(HostCertificateCheck.lookupNames(host: "Web1", port: 22, alias: nil) == ["web1"])
        #expect(HostCertificateCheck.lookupNames(host: "web1", port: 2222, alias: nil) == ["[web1]:2222", "web1"])
        #expect(HostCertificateCheck.lookupNames(host: "web1", port: 2222, alias: "db") == ["db"])
        #expect(HostCertificateCheck.principal(host: "Web1", alias: nil) == "web1")
    }
}

/// User certificates (`IDENTITY-cert.pub` next to the key, as ssh finds them) against sshd's TrustedUserCAKeys, with a
/// key the server does not list in authorized_keys: only the certificate can log in.
@Suite(.serialized) struct UserCertificateTests {
    private struct Setup {
        let dir: TempDirectory
        let server: TestSSHServer

        static func start() async throws -> Setup {
            let dir = try TempDirectory()
            try await TestSSHServer.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.file("user-ca")])
            let server = try await TestSSHServer.start(extraConfig: ["TrustedUserCAKeys \(dir.file("user-ca.pub"))"])
            return Setup(dir: dir, server: server)
        }

        func stop() {
            server.stop()
            dir.remove()
        }

        /// A key of `type` and its certificate `KEY-cert.pub` for `principals`; the key's path.
        func certifiedKey(_ type: String, principals: String = "root", name: String = "id") async throws -> String {
            let key = dir.file("\(name)_\(type)")
            try await TestSSHServer.run(["ssh-keygen", "-q", "-t", type, "-N", "", "-f", key] + (type == "rsa" ? ["-b", "2048"] : []))
            try await TestSSHServer.run(["ssh-keygen", "-q", "-s", dir.file("user-ca"), "-I", "unit-user", "-n", principals, key + ".pub"])
            return key
        }

        func connect(key: String) async throws -> SSHSession {
            var target = server.target(name: "certuser")
            target.identityFiles = [key]
            return try await SSHTransport(options: .isolated()).open(target)
        }

        func openSSH(key: String) async throws -> Int32 {
            let argv = [
                "ssh", "-F", "/dev/null", "-o", "UserKnownHostsFile=\(server.knownHostsPath)", "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-i", key, "-p", "\(server.port)", "root@127.0.0.1", "true",
            ]
            return try await offload { try LocalProcess.run(argv).status }
        }
    }

    @Test(arguments: ["ed25519", "ecdsa", "rsa"])
    func aUserCertificateLogsIn(_ type: String) async throws {
        let setup = try await Setup.start()
        defer { setup.stop() }
        let key = try await setup.certifiedKey(type)
        let session = try await setup.connect(key: key)
        #expect(try await session.run(.shell("echo ok")).stdoutText == "ok\n")
        await session.close()
        // sshd says it took the certificate ("Accepted publickey for root ... ED25519-CERT ... ID unit-user").
        #expect(setup.server.log.contains("-CERT SHA256:"), "\(setup.server.log)")
        #expect(setup.server.log.contains("ID unit-user"))
        #expect(try await setup.openSSH(key: key) == 0)
    }

    /// ssh-add adds `KEY-cert.pub` with the key: the agent's certificate logs in as well.
    @Test func aCertificateInTheAgentLogsIn() async throws {
        let setup = try await Setup.start()
        defer { setup.stop() }
        let key = try await setup.certifiedKey("ed25519")
        let agent = try await TestSSHAgent.start(keys: [key])
        defer { agent.stop() }
        var options = SSHTransport.Options.isolated()
        options.useAgent = true
        options.agentSocket = agent.socket
        var target = setup.server.target(name: "certuser")
        target.identityFiles = []
        target.identitiesOnly = false
        let session = try await SSHTransport(options: options).open(target)
        #expect(try await session.run(.shell("echo ok")).stdoutText == "ok\n")
        await session.close()
        #expect(setup.server.log.contains("ID unit-user"), "\(setup.server.log)")
    }

    @Test func aCertificateForAnotherPrincipalIsRefusedAndSaidSo() async throws {
        let setup = try await Setup.start()
        defer { setup.stop() }
        let key = try await setup.certifiedKey("ed25519", principals: "alice")
        let error = await #expect(throws: SSHError.self) { try await setup.connect(key: key) }
        let text = String(describing: error!)
        #expect(text.contains("tried: publickey \(key) with certificate \(key)-cert.pub (ssh-ed25519-cert-v01@openssh.com), publickey \(key) (ssh-ed25519)"), "\(text)")
        #expect(try await setup.openSSH(key: key) != 0)
    }

    /// A certificate file that cannot be used is named with the reason, and the key is still offered on its own.
    @Test func anUnusableCertificateFileIsNamedAndTheKeyStillTried() async throws {
        let setup = try await Setup.start()
        defer { setup.stop() }
        let key = try await setup.certifiedKey("ed25519")
        // The certificate of another key.
        let other = try await setup.certifiedKey("ed25519", name: "other")
        try FileManager.default.removeItem(atPath: key + "-cert.pub")
        try FileManager.default.copyItem(atPath: other + "-cert.pub", toPath: key + "-cert.pub")
        let error = await #expect(throws: SSHError.self) { try await setup.connect(key: key) }
        #expect(String(describing: error!).contains("certificate \(key)-cert.pub: certifies another key than \(key).pub (not offered)"), "\(String(describing: error!))")
        // Garbage.
        try "ssh-ed25519-cert-v01@openssh.com AAAA\n".write(toFile: key + "-cert.pub", atomically: true, encoding: .utf8)
        let garbage = await #expect(throws: SSHError.self) { try await setup.connect(key: key) }
        #expect(String(describing: garbage!).contains("certificate \(key)-cert.pub: "), "\(String(describing: garbage!))")
        // The key alone logs in where the server lists it.
        let listed = try await TestSSHServer.start(extraConfig: [])
        defer { listed.stop() }
        try FileManager.default.removeItem(atPath: listed.directory + "/authorized_keys")
        try FileManager.default.copyItem(atPath: key + ".pub", toPath: listed.directory + "/authorized_keys")
        var target = listed.target()
        target.identityFiles = [key]
        let session = try await SSHTransport(options: .isolated()).open(target)
        await session.close()
    }
}
