import Foundation
import Testing
import FlotillaCore
import FlotillaTesting

/// The `flotilla` binary itself logs in with RSA keys to OpenSSH 9.2 (which refuses SHA-1 ssh-rsa signatures),
/// from a key file and from a real ssh-agent, as `ssh` does.
@Suite(.serialized) struct RSAKeyTests {
    private func expectSignedWithSHA2(_ server: TestSSHServer) {
        let (signed, queried) = server.publicKeyAlgorithms
        #expect(!signed.isEmpty, "\(server.log)")
        for algorithm in signed + queried {
            #expect(algorithm == "rsa-sha2-512" || algorithm == "rsa-sha2-256", "\(signed) \(queried)")
        }
    }

    /// An inventory for the server, with or without its key file; HOME, the ssh config and the agent are the
    /// test's own, never the user's.
    private func run(_ server: TestSSHServer, keyFile: Bool, agentSocket: String) async throws -> LocalProcess.Output {
        let dir = server.directory
        var line = "rsa1 ansible_host=127.0.0.1 ansible_port=\(server.port) ansible_user=root"
        if keyFile { line += " ansible_ssh_private_key_file=\(server.userKeyPath)" }
        try "[all]\n\(line)\n[all:vars]\nflotilla_known_hosts_file=\(server.knownHostsPath)\n"
            .write(toFile: dir + "/rsa.ini", atomically: true, encoding: .utf8)
        try "".write(toFile: dir + "/ssh_config", atomically: true, encoding: .utf8)
        return try await FlotillaBinary.run(
            ["run", "-i", dir + "/rsa.ini", "-F", dir + "/ssh_config", "--", "echo", "in with rsa"],
            environment: ["HOME": dir, "SSH_AUTH_SOCK": agentSocket])
    }

    @Test func anRSAKeyFileLogsIn() async throws {
        let server = try await TestSSHServer.start(userKeyType: "rsa", logLevel: "DEBUG3")
        defer { server.stop() }
        let result = try await run(server, keyFile: true, agentSocket: server.directory + "/no-agent")
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("rsa1 | ok | exit 0"), "\(result.text)")
        #expect(result.text.contains("in with rsa"), "\(result.text)")
        expectSignedWithSHA2(server)
    }

    @Test func anRSAKeyInTheAgentLogsIn() async throws {
        let server = try await TestSSHServer.start(userKeyType: "rsa", logLevel: "DEBUG3")
        defer { server.stop() }
        let agent = try await TestSSHAgent.start(keys: [server.userKeyPath])
        defer { agent.stop() }
        let result = try await run(server, keyFile: false, agentSocket: agent.socket)
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("rsa1 | ok | exit 0"), "\(result.text)")
        expectSignedWithSHA2(server)
    }
}
