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
        #expect(result.text.contains("\(dir)/ssh_config:8: bindinterface eth9"), "\(result.text)")
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
            for key in ["hostname", "port", "user", "connecttimeout", "serveraliveinterval"] {
                #expect(ours[key] == theirs[key], "\(host) \(key): flotilla \(ours[key] ?? "-"), ssh \(theirs[key] ?? "-")")
            }
        }
    }
}
