import Foundation
import Testing
import FlotillaCore
import FlotillaTesting

/// `flotilla ssh-config` against the OpenSSH client's own `ssh -G` on the same files: the oracle for how a host is
/// reached. Nothing connects.
@Suite struct SSHConfigCommandTests {
    private func fields(_ text: String, host: String) -> [String: String] {
        var out: [String: String] = [:]
        var inBlock = false
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            if parts[0] == "host" { inBlock = parts[1] == host; continue }
            if inBlock, out[parts[0]] == nil { out[parts[0]] = parts[1] }
        }
        return out
    }

    @Test func hostsResolveAsSshResolvesThemAndRefusalsNameTheLine() async throws {
        let dir = NSTemporaryDirectory() + "flotilla-sshconfig-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            Host web*
              HostName 127.0.0.1
              IdentityAgent /tmp/flotilla-test-agent.sock
              ConnectTimeout 3
              ServerAliveInterval 15
              User deploy
              Port 2222
            Host db1
              BindInterface eth9
            Host db3
              ProxyCommand ssh -W %h:%p bastion.example.org
            Host db2
              ProxyJump ops@bastion.example.org:2200
            Host bastion.example.org
              HostName 10.0.0.1
            """.write(toFile: dir + "/ssh_config", atomically: true, encoding: .utf8)
        try """
            [web]
            web1
            web2 ansible_ssh_common_args='-o ConnectTimeout=5 -p 2201 -l admin'
            [db]
            db1 ansible_become=true ansible_become_password=hunter2
            db2
            db3 ansible_port=2203

            """.write(toFile: dir + "/hosts.ini", atomically: true, encoding: .utf8)
        let result = try await FlotillaBinary.run(["ssh-config", "-i", dir + "/hosts.ini", "-F", dir + "/ssh_config"])
        #expect(result.status == 1, "\(result.text)")
        #expect(result.text.contains("refused db1: not connecting"), "\(result.text)")
        #expect(result.text.contains("\(dir)/ssh_config:9: bindinterface eth9"), "\(result.text)")
        #expect(fields(result.text, host: "db3")["proxycommand"] == "ssh -W db3:2203 bastion.example.org", "\(result.text)")
        // The jump host resolved through its own Host block, as ssh does.
        #expect(fields(result.text, host: "db2")["proxyjump"] == "ops@10.0.0.1:2200", "\(result.text)")
        #expect(!result.text.contains("hunter2"))

        // The oracle: ssh -G with the same config and, for web2, the same options on its command line.
        for (host, extra) in [("web1", [String]()), ("web2", ["-o", "ConnectTimeout=5", "-p", "2201", "-l", "admin"])] {
            let ssh = try LocalProcess.run(["ssh", "-G", "-F", dir + "/ssh_config"] + extra + [host])
            #expect(ssh.status == 0, "\(ssh.text)")
            #expect(ssh.text.contains("host \(host)"), "\(ssh.text.prefix(300))")
            let theirs = fields(ssh.text, host: host)
            let ours = fields(result.text, host: host)
            for key in ["hostname", "port", "user", "connecttimeout", "serveraliveinterval", "identityagent"] {
                #expect(ours[key] == theirs[key], "\(host) \(key): flotilla \(ours[key] ?? "-"), ssh \(theirs[key] ?? "-")")
            }
        }
    }
    /// The @cert-authority lines that could vouch for a host's certificate are shown with their file and line: under
    /// `[host]:port` and the bare name, as ssh looks them up, and not those of other hosts.
    @Test func certificateAuthoritiesOfEachHostAreShown() async throws {
        let dir = NSTemporaryDirectory() + "flotilla-sshconfig-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/home/.ssh", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try LocalProcess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir + "/ca"])
        let ca = try String(contentsOfFile: dir + "/ca.pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        let fingerprint = try LocalProcess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", dir + "/ca.pub"]).text.split(separator: " ")[1]
        try """
            @cert-authority *.example.org \(ca)
            @cert-authority [db1.internal]:2222 \(ca)
            @cert-authority other.example.com \(ca)

            """.write(toFile: dir + "/known_hosts", atomically: true, encoding: .utf8)
        try """
            web1.example.org
            db1.internal ansible_port=2222
            lone.example.com

            """.write(toFile: dir + "/hosts.ini", atomically: true, encoding: .utf8)
        try "".write(toFile: dir + "/ssh_config", atomically: true, encoding: .utf8)
        let result = try await FlotillaBinary.run(
            ["ssh-config", "-i", dir + "/hosts.ini", "-F", dir + "/ssh_config", "--known-hosts", dir + "/known_hosts"],
            environment: ["HOME": dir + "/home"])
        #expect(result.status == 0, "\(result.text)")
        let blocks = result.text.components(separatedBy: "\n\n")
        func block(_ host: String) -> String { blocks.first { $0.hasPrefix("host \(host)\n") } ?? "" }
        #expect(block("web1.example.org").contains("certauthority \(dir)/known_hosts:1 *.example.org ssh-ed25519 \(fingerprint)"), "\(result.text)")
        #expect(block("db1.internal").contains("certauthority \(dir)/known_hosts:2 [db1.internal]:2222 ssh-ed25519 \(fingerprint)"), "\(result.text)")
        #expect(!block("lone.example.com").contains("certauthority"), "\(result.text)")
        #expect(!block("web1.example.org").contains("known_hosts:2"), "\(result.text)")
    }

    /// `flotilla_jump` is `-o ProxyJump=...` first on the inventory's ssh command line: it wins over ssh_config and
    /// the hops resolve through their own Host blocks; a malformed value refuses the host naming the variable.
    @Test func flotillaJumpIsAProxyJump() async throws {
        let dir = NSTemporaryDirectory() + "flotilla-sshconfig-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
            Host app*
              ProxyJump other.example.org
            Host bastion.example.org
              HostName 10.0.0.1
            """.write(toFile: dir + "/ssh_config", atomically: true, encoding: .utf8)
        try """
            app1 flotilla_jump=ops@bastion.example.org:2200
            app2 flotilla_jump=ops@:bad:
            app3

            """.write(toFile: dir + "/hosts.ini", atomically: true, encoding: .utf8)
        let result = try await FlotillaBinary.run(["ssh-config", "-i", dir + "/hosts.ini", "-F", dir + "/ssh_config"])
        #expect(result.status == 1, "\(result.text)")
        #expect(fields(result.text, host: "app1")["proxyjump"] == "ops@10.0.0.1:2200", "\(result.text)")
        #expect(fields(result.text, host: "app3")["proxyjump"]?.hasSuffix("@other.example.org:22") == true, "\(result.text)")
        // The refusal names where the variable was written.
        #expect(result.text.contains("host app2\nrefused \(dir)/hosts.ini:2:6: app2's flotilla_jump"), "\(result.text)")
    }
}
