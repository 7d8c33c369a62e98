import Foundation
import Testing
import FlotillaCore
import FlotillaTesting
import SSH

/// ProxyJump through real sshd servers on loopback: a bastion, and hosts that Flotilla reaches only through it.
/// One login to the bastion carries every host's channel; every host key on the way is checked.
@Suite(.serialized) struct JumpHostTests {
    private func transport() -> SSHTransport { SSHTransport(options: .isolated()) }

    private func logins(_ server: TestSSHServer) -> Int {
        server.log.components(separatedBy: "Accepted publickey").count - 1
    }

    private func withFleet(hosts: Int, _ body: (TestSSHServer, [TestSSHServer]) async throws -> Void) async throws {
        let bastion = try await TestSSHServer.start()
        defer { bastion.stop() }
        var targets: [TestSSHServer] = []
        defer { for t in targets { t.stop() } }
        for _ in 0..<hosts { targets.append(try await TestSSHServer.start()) }
        try await body(bastion, targets)
    }

    private func behind(_ jump: [ConnectionTarget], _ server: TestSSHServer, name: String) -> ConnectionTarget {
        var target = server.target(name: name)
        target.jumps = jump
        return target
    }

    @Test func everyHostBehindTheBastionIsReachedOverOneBastionLogin() async throws {
        try await withFleet(hosts: 4) { bastion, targets in
            let transport = transport()
            let jump = [bastion.target(name: "bastion")]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, server) in targets.enumerated() {
                    group.addTask {
                        let session = try await transport.connect(behind(jump, server, name: "node\(i)"))
                        for round in 0..<3 {
                            let result = try await session.run(.argv(["sh", "-c", "echo $1; echo err >&2", "sh", "node\(i)-\(round)"]))
                            #expect(result.status == .exited(0))
                            #expect(result.stdoutText == "node\(i)-\(round)\n")
                            #expect(result.stderrText == "err\n")
                        }
                        await session.close()
                    }
                }
                try await group.waitForAll()
            }
            #expect(logins(bastion) == 1, "\(bastion.log)")
            for server in targets { #expect(logins(server) == 1) }
        }
    }

    /// Hosts behind the bastion log in with keys held only by an ssh-agent. The server's answer to each agent
    /// signature comes back through the tunnel, which the bastion session's loop pumps; with more hosts than loops
    /// some hosts share that loop, so the login must wait for the answer on the loop, never hold the loop thread
    /// (it did, and every such host ran into the authentication deadline).
    @Test func hostsBehindTheBastionLogInWithKeysOnlyTheAgentHolds() async throws {
        try await withFleet(hosts: 4) { bastion, targets in
            let agent = try await TestSSHAgent.start(keys: targets.map(\.userKeyPath))
            defer { agent.stop() }
            var options = SSHTransport.Options.isolated()
            options.useAgent = true
            options.agentSocket = agent.socket
            let transport = SSHTransport(options: options)
            let jump = [bastion.target(name: "bastion")]
            // One after the other, so that the sessions take the loops in turn and some share the bastion's.
            for (i, server) in targets.enumerated() {
                var target = behind(jump, server, name: "agent\(i)")
                target.identityFiles = []
                target.identitiesOnly = false
                let session = try await transport.connect(target)
                #expect(try await session.run(.shell("echo agent\(i)")).stdoutText == "agent\(i)\n")
                await session.close()
                #expect(logins(server) == 1, "\(server.log)")
            }
            #expect(logins(bastion) == 1)
        }
    }

    /// The bastion's connection sends keepalives at its ServerAliveInterval while it carries an idle host's channel
    /// (a NAT or firewall in front of a bastion must not drop a run's only way in).
    @Test func theJumpConnectionSendsKeepalivesWhileItCarriesChannels() async throws {
        let bastion = try await TestSSHServer.start(logLevel: "DEBUG1")
        defer { bastion.stop() }
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        var hop = bastion.target(name: "bastion")
        hop.keepaliveInterval = .seconds(1)
        var target = behind([hop], server, name: "idle")
        target.keepaliveInterval = .zero  // none of its own: only the jump connection's count
        let session = try await transport().connect(target)
        #expect(try await session.run(.shell("echo ok")).stdoutText == "ok\n")
        func keepalives() -> Int { bastion.log.components(separatedBy: "rtype keepalive@libssh2.org").count - 1 }
        // At least two, a second apart at most; waited for, not timed (the machine may be slow).
        var waited = 0
        while keepalives() < 2, waited < 600 {
            try await Task.sleep(for: .milliseconds(100))
            waited += 1
        }
        #expect(keepalives() >= 2, "\(bastion.log.suffix(2000))")
        // The channel still carries the host's session.
        #expect(try await session.run(.shell("echo still")).stdoutText == "still\n")
        await session.close()
    }

    @Test func megabytesFlowBothWaysThroughTheTunnelIntact() async throws {
        try await withFleet(hosts: 1) { bastion, targets in
            let session = try await transport().connect(behind([bastion.target(name: "bastion")], targets[0], name: "big"))
            defer { Task { await session.close() } }
            let out = try await session.run(.shell("head -c 3145728 /dev/urandom | tee /tmp/flotilla-jump.$$ ; sha256sum < /tmp/flotilla-jump.$$ >&2; rm -f /tmp/flotilla-jump.$$"))
            #expect(out.status == .exited(0))
            #expect(out.stdout.count == 3_145_728)
            #expect(out.stderrText.split(separator: " ").first.map(String.init) == Hex.encode(SHA256.hash(out.stdout)))
            let input = (0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let echoed = try await session.run(RemoteCommand(.shell("sha256sum"), stdin: input))
            #expect(echoed.stdoutText.split(separator: " ").first.map(String.init) == Hex.encode(SHA256.hash(input)))
        }
    }

    @Test func twoHopsEachLogInOnce() async throws {
        try await withFleet(hosts: 2) { outer, targets in
            let inner = try await TestSSHServer.start()
            defer { inner.stop() }
            let chain = [outer.target(name: "outer"), inner.target(name: "inner")]
            let transport = transport()
            for (i, server) in targets.enumerated() {
                let session = try await transport.connect(behind(chain, server, name: "deep\(i)"))
                #expect(try await session.run(.shell("echo deep")).stdoutText == "deep\n")
                await session.close()
            }
            #expect(logins(outer) == 1)
            #expect(logins(inner) == 1)
        }
    }

    @Test func theBastionsHostKeyIsCheckedAndItsRefusalNamesIt() async throws {
        try await withFleet(hosts: 1) { bastion, targets in
            var jump = bastion.target(name: "bastion")
            jump.knownHostsFiles = [targets[0].knownHostsPath]  // lists another server's key, not the bastion's
            let error = await #expect(throws: SSHError.self) {
                try await transport().connect(behind([jump], targets[0], name: "hidden"))
            }
            let text = String(describing: error!)
            #expect(text.contains("hidden: cannot connect"), "\(text)")
            #expect(text.contains("through the jump host bastion"), "\(text)")
            #expect(text.contains("host key is not known"), "\(text)")
            #expect(logins(targets[0]) == 0)
        }
    }

    @Test func theTargetsHostKeyIsCheckedThroughTheTunnel() async throws {
        try await withFleet(hosts: 1) { bastion, targets in
            var target = behind([bastion.target(name: "bastion")], targets[0], name: "impostor")
            target.knownHostsFiles = [bastion.knownHostsPath]
            let error = await #expect(throws: SSHError.self) { try await transport().connect(target) }
            #expect(String(describing: error!).contains("impostor: host key is not known"), "\(String(describing: error!))")
        }
    }

    @Test func aHostTheBastionCannotReachFailsAloneAndSaysSo() async throws {
        try await withFleet(hosts: 1) { bastion, targets in
            let transport = transport()
            let jump = [bastion.target(name: "bastion")]
            var gone = targets[0].target(name: "gone")
            gone.port = TestSSHServer.freePort()
            gone.jumps = jump
            let error = await #expect(throws: SSHError.self) { try await transport.connect(gone) }
            #expect(String(describing: error!).contains("the jump host bastion could not open a channel"), "\(String(describing: error!))")
            // The bastion's connection still carries the others.
            let session = try await transport.connect(behind(jump, targets[0], name: "fine"))
            #expect(try await session.run(.shell("echo fine")).stdoutText == "fine\n")
            await session.close()
            #expect(logins(bastion) == 1)
        }
    }
}
