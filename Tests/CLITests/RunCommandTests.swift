import Foundation
import Testing
import FlotillaCore
import FlotillaTesting

/// `flotilla run` end to end: the real binary against real sshd servers on loopback.
@Suite(.serialized) struct RunCommandTests {
    /// Three servers in an INI inventory, plus one host on a closed port.
    private func withFleet(_ body: (String, [TestSSHServer]) async throws -> Void) async throws {
        var servers: [TestSSHServer] = []
        for _ in 0..<3 { servers.append(try await TestSSHServer.start()) }
        defer { for server in servers { server.stop() } }
        let dir = servers[0].directory
        var known = ""
        var ini = "[web]\n"
        for (i, server) in servers.enumerated() {
            known += "[127.0.0.1]:\(server.port) \(server.hostPublicKey)\n"
            ini += "web\(i + 1) ansible_host=127.0.0.1 ansible_port=\(server.port) ansible_ssh_private_key_file=\(server.userKeyPath)\n"
        }
        ini += "[down]\ngone ansible_host=127.0.0.1 ansible_port=\(TestSSHServer.freePort())\n"
        ini += "[all:vars]\nansible_user=root\nflotilla_known_hosts_file=\(dir)/fleet_known_hosts\n"
        try known.write(toFile: dir + "/fleet_known_hosts", atomically: true, encoding: .utf8)
        // Every server accepts the first server's key too, so one key file works for all.
        for server in servers.dropFirst() {
            let key = try String(contentsOfFile: servers[0].userKeyPath + ".pub", encoding: .utf8)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: server.directory + "/authorized_keys"))
            handle.seekToEndOfFile()
            handle.write(Data(key.utf8))
            try handle.close()
        }
        try ini.write(toFile: dir + "/hosts.ini", atomically: true, encoding: .utf8)
        try await body(dir + "/hosts.ini", servers)
    }

    @Test func everyHostRunsAndTheRecapCountsOkAndUnreachable() async throws {
        try await withFleet { inventory, _ in
            let result = try await FlotillaBinary.run(["run", "-i", inventory, "--", "echo", "hello from $(hostname)"])
            #expect(result.status == 4, "\(result.text)")
            for host in ["web1", "web2", "web3"] {
                #expect(result.text.contains("\(host) | ok | exit 0"))
            }
            #expect(result.text.contains("gone | UNREACHABLE | gone: cannot connect to 127.0.0.1 port"))
            #expect(result.text.contains("Recap: 4 hosts in"))
            #expect(result.text.contains("3 ok, 0 failed, 1 unreachable"))
        }
    }

    @Test func aFailingCommandMakesTheExitStatusTwo() async throws {
        try await withFleet { inventory, _ in
            let result = try await FlotillaBinary.run(["run", "-i", inventory, "--limit", "web", "--", "exit 7"])
            #expect(result.status == 2)
            #expect(result.text.contains("web2 | FAILED | exit 7"))
            #expect(result.text.contains("0 ok, 3 failed, 0 unreachable"))
        }
    }

    @Test func jsonPrintsOneObjectPerHostPerLine() async throws {
        try await withFleet { inventory, _ in
            let result = try await FlotillaBinary.run(["run", "-i", inventory, "--json", "-c", "echo one", "-c", "echo two"])
            let lines = result.text.split(separator: "\n").filter { $0.hasPrefix("{") }
            #expect(lines.count == 4)
            var byHost: [String: [String: Any]] = [:]
            for line in lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                byHost[object["host"] as! String] = object
            }
            let web1 = try #require(byHost["web1"])
            #expect(web1["status"] as? String == "ok")
            let commands = try #require(web1["commands"] as? [[String: Any]])
            #expect(commands.map { $0["stdout"] as? String } == ["one\n", "two\n"])
            #expect(byHost["gone"]?["status"] as? String == "unreachable")
        }
    }

    @Test func limitSelectsHostsAndBecomeRunsThroughSudo() async throws {
        try await withFleet { inventory, _ in
            let result = try await FlotillaBinary.run(["run", "-i", inventory, "--limit", "web*:!web2", "--become", "--", "id -un"])
            #expect(result.status == 0, "\(result.text)")
            #expect(result.text.contains("web1 | ok"))
            #expect(result.text.contains("web3 | ok"))
            #expect(!result.text.contains("web2"))
            #expect(result.text.contains("Recap: 2 hosts"))
        }
    }

    @Test func anUnknownHostKeyIsRefusedPerHostAndTheOthersRun() async throws {
        try await withFleet { inventory, servers in
            // web2's key changes: only web2 is refused.
            try await servers[1].regenerateHostKey()
            let result = try await FlotillaBinary.run(["run", "-i", inventory, "--limit", "web", "--", "true"])
            #expect(result.status == 4)
            #expect(result.text.contains("web2 | UNREACHABLE | web2: HOST KEY CHANGED"))
            #expect(result.text.contains("web1 | ok"))
            #expect(result.text.contains("web3 | ok"))
        }
    }

    @Test func theOpenSSHClientConfigFillsWhatTheInventoryLeavesUnset() async throws {
        let server = try await TestSSHServer.start()
        defer { server.stop() }
        let dir = server.directory
        try """
            Host db-*
                HostName 127.0.0.1
                Port \(server.port)
                User root
                IdentityFile \(server.userKeyPath)
                IdentitiesOnly yes
                UserKnownHostsFile \(server.knownHostsPath)
                StrictHostKeyChecking yes
            """.write(toFile: dir + "/ssh_config", atomically: true, encoding: .utf8)
        try "[db]\ndb-primary\n".write(toFile: dir + "/db.ini", atomically: true, encoding: .utf8)
        let result = try await FlotillaBinary.run(["run", "-i", dir + "/db.ini", "-F", dir + "/ssh_config", "--", "echo reached"])
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("db-primary | ok | exit 0"))
        #expect(result.text.contains("reached"))
    }

    @Test func aBrokenInventoryNamesFileAndLine() async throws {
        let path = NSTemporaryDirectory() + "flotilla-broken-\(UUID().uuidString).ini"
        try "[web]\nweb1\n[web\nweb2\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await FlotillaBinary.run(["run", "-i", path, "--", "true"])
        #expect(result.status == 1)
        #expect(result.text.contains("\(path):3:"), "\(result.text)")
    }

    /// The issue's repro: with a become password and nothing that makes sudo ask (root, NOPASSWD, a cached
    /// timestamp), `cat` used to print the password and --json put it in "stdout". The password here is set only as
    /// ansible_become_password, without ansible_become: --become alone must use it, as Ansible's does.
    @Test func becomePasswordNeverReachesTheCommandOrTheOutput() async throws {
        let server = try await TestSSHServer.start(sudoRules: [.noPassword, .password])
        defer { server.stop() }
        let dir = server.directory
        let nopass = try #require(server.user(.noPassword)), pass = try #require(server.user(.password))
        func quoted(_ text: String) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast().description
        }
        func host(_ user: String, _ password: String) throws -> String {
            """
                  ansible_host: 127.0.0.1
                  ansible_port: \(server.port)
                  ansible_ssh_private_key_file: \(try quoted(server.userKeyPath))
                  ansible_user: \(user)
                  ansible_become_password: \(try quoted(password))
            """
        }
        let yaml = """
            all:
              vars:
                flotilla_known_hosts_file: \(try quoted(server.knownHostsPath))
              hosts:
                asroot:
            \(try host("root", "RootHasNoNeedOfThis"))
                nopasswd:
            \(try host(nopass.name, "NeverAskedFor"))
                password:
            \(try host(pass.name, pass.password))

            """
        try yaml.write(toFile: dir + "/become.yml", atomically: true, encoding: .utf8)
        for format in [["--json"], []] {
            let result = try await FlotillaBinary.run(["run", "-i", dir + "/become.yml", "--become"] + format + ["--", "cat; echo END; id -un"])
            #expect(result.status == 0, "\(result.text)")
            for secret in ["RootHasNoNeedOfThis", "NeverAskedFor", pass.password, "flotilla-sudo-", "flotilla-become-ready-"] {
                #expect(!result.text.contains(secret), "\(format): \(secret) in \(result.text)")
            }
            if format == ["--json"] {
                let lines = result.text.split(separator: "\n").filter { $0.hasPrefix("{") }
                #expect(lines.count == 3)
                for line in lines {
                    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                    let commands = try #require(object["commands"] as? [[String: Any]])
                    #expect(commands.map { $0["stdout"] as? String } == ["END\nroot\n"], "\(line)")
                }
            }
        }
    }

    /// A bastion in ssh_config or in the inventory's ssh arguments is used, never bypassed: both hosts behind it
    /// are reached over one bastion login; a ProxyCommand (OpenSSH's own `ssh -W` here) carries a third. What
    /// Flotilla cannot honour (BindAddress, ansible_connection=local) is refused with where it was written, and
    /// the host is never contacted.
    @Test func aBastionIsUsedNeverBypassedAndWhatCannotBeHonouredIsRefused() async throws {
        let bastion = try await TestSSHServer.start()
        defer { bastion.stop() }
        let target = try await TestSSHServer.start()
        defer { target.stop() }
        let dir = bastion.directory
        // One key for both servers, one known_hosts for both.
        let key = try String(contentsOfFile: bastion.userKeyPath + ".pub", encoding: .utf8)
        try (try String(contentsOfFile: target.directory + "/authorized_keys", encoding: .utf8) + key)
            .write(toFile: target.directory + "/authorized_keys", atomically: true, encoding: .utf8)
        let known = try String(contentsOfFile: bastion.knownHostsPath, encoding: .utf8) + String(contentsOfFile: target.knownHostsPath, encoding: .utf8)
        try known.write(toFile: dir + "/fleet_known_hosts", atomically: true, encoding: .utf8)
        try """
            Host bastion
              HostName 127.0.0.1
              Port \(bastion.port)
            Host behind-*
              HostName 127.0.0.1
              Port \(target.port)
              ProxyJump bastion
            Host *
              User root
              IdentityFile \(bastion.userKeyPath)
              IdentitiesOnly yes
              UserKnownHostsFile \(dir)/fleet_known_hosts
            """.write(toFile: dir + "/ssh_config", atomically: true, encoding: .utf8)
        // As under Ansible, ssh_config's Host lines see ansible_host when the inventory gives one: the behind-*
        // hosts have none, so the config's block (and its bastion) applies to them.
        let direct = "ansible_host=127.0.0.1 ansible_port=\(target.port)"
        try """
            [fleet]
            behind-1
            args-jump \(direct) ansible_ssh_common_args='-J bastion'
            command-proxy \(direct) ansible_ssh_common_args='-o ProxyCommand="ssh -F \(dir)/ssh_config -W %h:%p bastion"'
            aliased \(direct) ansible_ssh_common_args='-o BindAddress=127.0.0.2'
            local-one ansible_connection=local

            """.write(toFile: dir + "/hosts.ini", atomically: true, encoding: .utf8)
        func run(_ limit: String) async throws -> LocalProcess.Output {
            try await FlotillaBinary.run(["run", "-i", dir + "/hosts.ini", "-F", dir + "/ssh_config", "--limit", limit, "--", "echo reached"])
        }
        func logins(_ server: TestSSHServer) -> Int { server.log.components(separatedBy: "Accepted publickey").count - 1 }

        let jumped = try await run("behind-1:args-jump")
        #expect(jumped.status == 0, "\(jumped.text)")
        #expect(jumped.text.contains("behind-1 | ok"), "\(jumped.text)")
        #expect(jumped.text.contains("args-jump | ok"), "\(jumped.text)")
        #expect(logins(bastion) == 1, "one bastion login for both hosts: \(bastion.log)")
        #expect(logins(target) == 2)

        let proxy = try await run("command-proxy")
        #expect(proxy.status == 0, "\(proxy.text)")
        #expect(proxy.text.contains("command-proxy | ok"), "\(proxy.text)")
        #expect(logins(bastion) == 2, "ssh -W logged in to the bastion")
        #expect(logins(target) == 3)

        let aliased = try await run("aliased")
        #expect(aliased.status != 0)
        #expect(aliased.text.contains("aliased: not connecting"), "\(aliased.text)")
        // The refusal names where the variable was written: the word on line 5 of hosts.ini.
        #expect(aliased.text.contains("\(dir)/hosts.ini:5:\(direct.count + 10): aliased's ansible_ssh_common_args: bindaddress 127.0.0.2"), "\(aliased.text)")

        let local = try await run("local-one")
        #expect(local.status != 0)
        #expect(local.text.contains("\(dir)/hosts.ini:6:11: local-one: ansible_connection=local is not supported"), "\(local.text)")

        #expect(logins(target) == 3, "a refused host was contacted")
        #expect(logins(bastion) == 2)
    }

    /// A mistyped option used to become the start of the remote command, which then ran on every host.
    @Test func aMistypedOptionIsAnErrorAndNothingRuns() async throws {
        try await withFleet { inventory, servers in
            for words in [["--limt", "web1", "--", "touch /tmp/flotilla-limt-ran"], ["--limt=web1", "--", "true"], ["--becom", "--", "true"]] {
                let result = try await FlotillaBinary.run(["run", "-i", inventory] + words)
                #expect(result.status == 64, "\(words): \(result.text)")
                #expect(result.text.contains("Unknown option '\(words[0].split(separator: "=")[0])'"), "\(result.text)")
            }
            let limt = try await FlotillaBinary.run(["run", "-i", inventory, "--limt", "web1", "--", "true"])
            #expect(limt.text.contains("Did you mean '--limit'?"), "\(limt.text)")
            for server in servers { #expect(!server.log.contains("Accepted publickey"), "a host was contacted") }
            // Options after the command belong to the command.
            let passed = try await FlotillaBinary.run(["run", "-i", inventory, "--limit", "web1", "echo", "--limt"])
            #expect(passed.status == 0, "\(passed.text)")
            #expect(passed.text.contains("--limt"))
        }
    }
}
