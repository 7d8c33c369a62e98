import Foundation
import FlotillaCore
import SSH
import Testing

@Suite struct ClientConfigTests {
    /// A fixed local side: home in a fresh temp dir, so `~` and Include resolve there.
    struct Fixture {
        let dir: TempDirectory
        let context: SSHClientConfig.LocalContext

        init() throws {
            dir = try TempDirectory()
            try FileManager.default.createDirectory(atPath: dir.file(".ssh"), withIntermediateDirectories: true)
            context = SSHClientConfig.LocalContext(home: dir.path, userName: "alice", hostName: "ctl.example.org", uid: 1000,
                                   environment: ["KEYDIR": "/srv/keys"])
        }

        var home: String { dir.path }

        func parse(_ text: String) throws(SSHConfigError) -> SSHClientConfig {
            try SSHClientConfig.parse(text: text, file: "test_config", context: context)
        }

        /// Writes `text` to ~/.ssh/config and loads it from there.
        func load(_ text: String) throws -> SSHClientConfig {
            try dir.write(".ssh/config", text)
            return try SSHClientConfig.load(path: "~/.ssh/config", context: context)
        }

        /// The error a config text fails with.
        func error(_ text: String) -> SSHConfigError? {
            do {
                _ = try parse(text)
                return nil
            } catch {
                return error
            }
        }
    }

    @Test func hostBlocksApplyInOrderAndTheFirstValueWins() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("""
            # global defaults come first in OpenSSH only if written first
            ServerAliveInterval 20
            Host web*
              User deploy
              Port 2222
            Host web1
              User other
              HostName 10.0.0.1
            Host *
              User fallback
              Port 22
              IdentityFile ~/.ssh/id_ed25519
            """)
        let web1 = config.resolve(host: "web1")
        #expect(web1.user == "deploy")
        #expect(web1.port == 2222)
        #expect(web1.hostName == "10.0.0.1")
        #expect(web1.identityFiles == [f.home + "/.ssh/id_ed25519"])
        #expect(web1.serverAliveInterval == .seconds(20))
        let db = config.resolve(host: "db")
        #expect(db.user == "fallback")
        #expect(db.port == 22)
        #expect(db.hostName == nil)
        #expect(config.warnings.isEmpty)
    }

    @Test func unmatchedHostGetsNothing() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("Host web1\n  User deploy\n")
        #expect(config.resolve(host: "db1") == SSHHostConfig(host: "db1"))
    }

    @Test func hostLinesTakeSeveralPatternsWildcardsAndNegation() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("""
            Host *.lab !bad.lab
              User labuser
            Host a.prod b.prod db?.prod
              User produser
            """)
        #expect(config.resolve(host: "x.lab").user == "labuser")
        #expect(config.resolve(host: "X.LAB").user == nil)   // OpenSSH's Host matching is case-sensitive
        #expect(config.resolve(host: "bad.lab").user == nil)
        #expect(config.resolve(host: "b.prod").user == "produser")
        #expect(config.resolve(host: "db7.prod").user == "produser")
        #expect(config.resolve(host: "db77.prod").user == nil)
    }

    @Test func keywordsAreCaseInsensitiveAndTakeEqualsAndQuotes() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("""
            HOST=quoted
            \tHOSTNAME=real.example
            port = 2200
            user 'bob smith'   # a trailing comment
            IdentityFile "/keys dir/id key"
            IdentityFile /keys\\ dir/second
            IdentitiesOnly=yes
            """)
        let resolved = config.resolve(host: "quoted")
        #expect(resolved.hostName == "real.example")
        #expect(resolved.port == 2200)
        #expect(resolved.user == "bob smith")
        #expect(resolved.identityFiles == ["/keys dir/id key", "/keys dir/second"])
        #expect(resolved.identitiesOnly == true)
    }

    @Test func crlfLinesAndUnknownKeywordsAreFine() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("Host w\r\n  ForwardAgent yes\r\n  SomeFutureKeyword with args\r\n  Port 2022\r\n")
        #expect(config.resolve(host: "w").port == 2022)
    }

    @Test func identityFilesAccumulateWithoutRepeatsButKnownHostsFilesTakeTheFirstLine() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("""
            Host web1
              IdentityFile ~/.ssh/web1
              UserKnownHostsFile ~/.ssh/kh_web1 /etc/ssh/kh_shared
            Host *
              IdentityFile ~/.ssh/id_ed25519
              IdentityFile ~/.ssh/web1
              UserKnownHostsFile ~/.ssh/kh_other
            Host none-host
              UserKnownHostsFile none
            """)
        let web1 = config.resolve(host: "web1")
        #expect(web1.identityFiles == [f.home + "/.ssh/web1", f.home + "/.ssh/id_ed25519"])
        #expect(web1.userKnownHostsFiles == [f.home + "/.ssh/kh_web1", "/etc/ssh/kh_shared"])
        #expect(config.resolve(host: "db").userKnownHostsFiles == [f.home + "/.ssh/kh_other"])
        let first = try f.parse("Host none-host\n  UserKnownHostsFile none\nHost *\n  UserKnownHostsFile /x\n")
        #expect(first.resolve(host: "none-host").userKnownHostsFiles == [])
    }

    @Test func tokensAndEnvironmentAreExpandedInPaths() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("""
            Host web1
              HostName %h.example.com
              Port 2222
              IdentityFile ~/.ssh/%h_%p_%r
              IdentityFile %d/keys/%u@%l/%L/%i/%n/%k/100%%
              IdentityFile ${KEYDIR}/%n
              UserKnownHostsFile ~/.ssh/known_hosts_%C
            """)
        let web1 = config.resolve(host: "web1", user: "deploy")
        #expect(web1.hostName == "web1.example.com")
        #expect(web1.user == "deploy")
        #expect(web1.identityFiles == [
            f.home + "/.ssh/web1.example.com_2222_deploy",
            f.home + "/keys/alice@ctl.example.org/ctl/1000/web1/web1/100%",
            "/srv/keys/web1",
        ])
        // %C is SHA-1 of %l%h%p%r; the expected value comes from Python's hashlib.
        let plain = try f.parse("UserKnownHostsFile /kh/%C\n").resolve(host: "web1.example.com")
        #expect(plain.userKnownHostsFiles == ["/kh/e171a6a83e0c87d2e4d0c2b8dd3ddfbcd00781d4"])
        #expect(plain.user == nil)
    }

    @Test(arguments: [
        ("yes", HostKeyPolicy.strict), ("ask", .strict), ("true", .strict), ("accept-new", .acceptNew),
        ("no", .off), ("off", .off), ("false", .off), ("Accept-New", .acceptNew),
    ])
    func strictHostKeyCheckingValues(value: String, policy: HostKeyPolicy) throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("StrictHostKeyChecking \(value)\n")
        #expect(config.resolve(host: "any").strictHostKeyChecking == policy)
    }

    @Test func timesUseOpenSSHUnits() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("""
            Host a
              ConnectTimeout 1m30s
              ServerAliveInterval 0
            Host b
              ConnectTimeout none
            Host *
              ConnectTimeout 7
              ServerAliveInterval 1h
            """)
        #expect(config.resolve(host: "a").connectTimeout == .seconds(90))
        #expect(config.resolve(host: "a").serverAliveInterval == .seconds(0))
        #expect(config.resolve(host: "b").connectTimeout == nil)
        #expect(config.resolve(host: "b").serverAliveInterval == .seconds(3600))
        #expect(config.resolve(host: "c").connectTimeout == .seconds(7))
    }

    @Test func malformedValuesAreErrorsWithFileAndLine() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        #expect(f.error("Host a\n  User x\n  Port abc\n")
                == .badValue(file: "test_config", line: 3, keyword: "port", value: "abc",
                             expected: "a port number 1-65535"))
        // Checked in inactive blocks too, as OpenSSH does.
        if case .badValue(_, let line, "port", "70000", _) = f.error("Host nothing-matches\n\n Port 70000\n") {
            #expect(line == 3)
        } else {
            Issue.record("Port 70000 was accepted")
        }
        #expect(f.error("User\n") == .missingArgument(file: "test_config", line: 1, keyword: "user"))
        #expect(f.error("\n\nUser #comment\n") == .missingArgument(file: "test_config", line: 3, keyword: "user"))
        #expect(f.error("IdentityFile \"/unterminated\n") == .badQuoting(file: "test_config", line: 1))
        #expect(f.error("IdentityFile /a /b\n")
                == .extraArguments(file: "test_config", line: 1, keyword: "identityfile", extra: "/b"))
        let badErrors = [
            "IdentitiesOnly maybe", "StrictHostKeyChecking sometimes", "ConnectTimeout 5x", "ServerAliveInterval -1",
            "HostName %r.example", "IdentityFile ~/.ssh/%z", "IdentityFile ${UNCLOSED/key", "Match bogus x",
            "Match host", "Match all host x", "Port 0", "Host \"\"",
        ]
        for text in badErrors {
            guard case .badValue(file: "test_config", line: 1, _, _, _)? = f.error(text + "\n") else {
                Issue.record("\(text) gave \(String(describing: f.error(text + "\n")))")
                continue
            }
        }
        let described = f.error("Port abc\n").map { String(describing: $0) } ?? ""
        #expect(described.hasPrefix("test_config:1: "))
    }

    @Test func matchHostSeesHostNameOriginalHostDoesNot() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("""
            Host web1
              HostName 10.0.0.1
            Match host 10.0.0.*
              User by-address
              Port 2001
            Match originalhost web1
              User never-reached
              IdentityFile ~/.ssh/web1
            Match !host 10.*
              Port 2002
            """)
        let web1 = config.resolve(host: "web1")
        #expect(web1.user == "by-address")
        #expect(web1.port == 2001)
        #expect(web1.identityFiles == [f.home + "/.ssh/web1"])
        #expect(config.resolve(host: "db1").port == 2002)
    }

    @Test func matchUserAndLocalUserAndAll() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("""
            Match user root,admin
              IdentityFile ~/.ssh/root_key
            Match localuser alice host *.lab
              Port 2222
            Match user Root
              IdentityFile ~/.ssh/case_sensitive
            Match all
              ConnectTimeout 3
            """)
        let asRoot = config.resolve(host: "x.lab", user: "root")
        #expect(asRoot.identityFiles == [f.home + "/.ssh/root_key"])
        #expect(asRoot.port == 2222)
        #expect(asRoot.connectTimeout == .seconds(3))
        // Without a user, Match user sees the local user.
        let local = config.resolve(host: "x.prod")
        #expect(local.identityFiles == [])
        #expect(local.port == nil)
        #expect(local.connectTimeout == .seconds(3))
    }

    /// A Match criterion Flotilla cannot evaluate (exec, final...) might apply: a host it could apply to is refused
    /// with the line, never reached as if the block were not there; a host that another criterion of the same
    /// line rules out is not affected, as in ssh.
    @Test func unsupportedMatchCriteriaRefuseTheHostsTheyMayApplyTo() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("""
            Host *
              ServerAliveInterval 5
            Match exec "test -e /tmp/x" host web1
              User from-exec
            Match host web1
              User deploy
            """)
        let web1 = config.resolve(host: "web1")
        #expect(web1.user == "deploy")
        #expect(web1.refusals.map(\.line) == [3])
        #expect(web1.refusals.first?.description.contains("test_config:3: Match exec") == true)
        #expect(config.resolve(host: "db1").refusals.isEmpty)
        #expect(config.warnings.map(\.line) == [3])
        #expect(config.warnings.allSatisfy { $0.file == "test_config" && $0.message.contains("cannot be evaluated") })

        let final = try f.parse("Match final\n  User from-final\n")
        #expect(final.resolve(host: "anything").refusals.map(\.keyword) == ["Match"])
        #expect(final.resolve(host: "anything").user == nil)
    }

    /// Options that would make ssh go elsewhere or otherwise are refused for the hosts they apply to, with
    /// file:line; harmless values (none, +/^ algorithm lists) and blocks for other hosts are not.
    @Test func optionsThatChangeTheRouteOrTheTrustAreRefusedWhereTheyApply() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("""
            Host db-*
              ProxyUseFdpass yes
            Host web-direct
              BindInterface eth9
            Host web-*
              BindAddress 10.0.0.5
              Ciphers +aes128-cbc
              HostKeyAlgorithms ^ssh-ed25519
            Host hardened
              KexAlgorithms -diffie-hellman-group14-sha256
              ControlMaster auto
              ForwardAgent yes
            Host aliased
              KnownHostsCommand /usr/local/bin/keys %H
            """)
        let db = config.resolve(host: "db-1").refusals
        #expect(db.map(\.line) == [2])
        #expect(db.first?.description == "test_config:2: proxyusefdpass yes: it routes the connection through a proxy command, and Flotilla does not implement it")
        #expect(config.resolve(host: "web-direct").refusals.map(\.keyword) == ["bindinterface", "bindaddress"])
        #expect(config.resolve(host: "web-2").refusals.map(\.line) == [6])
        #expect(config.resolve(host: "hardened").refusals.map(\.keyword) == ["kexalgorithms"])
        #expect(config.resolve(host: "aliased").refusals.map(\.keyword) == ["knownhostscommand"])
        #expect(config.resolve(host: "plain").refusals.isEmpty)
    }

    /// ProxyCommand is taken whole, as written; whichever of ProxyJump and ProxyCommand comes first wins.
    @Test func proxyCommandIsTheWholeLineAndSharesFirstWinsWithProxyJump() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("""
            Host cmd
              ProxyCommand ssh -W "%h:%p" -o 'User=a b' bastion
            Host jump
              ProxyJump bastion
            Host *
              ProxyCommand none
              ProxyJump other
            """)
        #expect(config.resolve(host: "cmd").proxyCommand == #"ssh -W "%h:%p" -o 'User=a b' bastion"#)
        #expect(config.resolve(host: "cmd").proxyJump == nil)
        #expect(config.resolve(host: "jump").proxyJump == [JumpSpec(host: "bastion")])
        #expect(config.resolve(host: "jump").proxyCommand == nil)
        #expect(config.resolve(host: "plain").proxyCommand == "")
        #expect(config.resolve(host: "plain").proxyJump == nil)
        #expect(SSHClientConfig.expandProxyCommand("nc %h %p # %r %n %%", name: "web1", hostName: "10.0.0.7", port: 2222, user: "ops")
            == "nc 10.0.0.7 2222 # ops web1 %")
        #expect(f.error("ProxyCommand nc %x %p\n") != nil)
    }

    /// ProxyJump as ssh reads it: hops in order, `none` taking the place first, bad hops refused with the line.
    @Test func proxyJumpListsHopsAndNoneWinsWhenFirst() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("""
            Host direct
              ProxyJump none
            Host *
              ProxyJump ops@jump1:2200,ssh://jump2
            """)
        #expect(config.resolve(host: "direct").proxyJump == [])
        #expect(config.resolve(host: "web1").proxyJump == [JumpSpec(user: "ops", host: "jump1", port: 2200), JumpSpec(host: "jump2")])
        #expect(config.resolve(host: "web1").refusals.isEmpty)
        guard case .badValue(_, let line, _, _, _) = f.error("Host x\n  ProxyJump a,,b\n") else {
            Issue.record("an empty hop must be refused")
            return
        }
        #expect(line == 2)
        #expect(f.error("ProxyJump host:99999\n") != nil)
    }

    /// ssh's command line as an inventory gives it: read as the config lines it stands for.
    @Test func commandLineOptionsAreReadAsConfigLines() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        // Ansible's default ssh_args and common harmless flags: nothing to refuse.
        let (plain, none) = try SSHClientConfig.commandLine(
            ["-C", "-o", "ControlMaster=auto", "-o", "ControlPersist=60s", "-q", "-T"], origin: "web1's ansible_ssh_args", context: f.context)
        #expect(none.isEmpty)
        #expect(plain.resolve(host: "web1").refusals.isEmpty)

        let (config, refused) = try SSHClientConfig.commandLine(
            ["-p2222", "-l", "deploy", "-i", "/keys/id ed", "-oStrictHostKeyChecking=accept-new", "-o", "UserKnownHostsFile /kh"],
            origin: "o", context: f.context)
        #expect(refused.isEmpty)
        let web1 = config.resolve(host: "web1")
        #expect(web1.port == 2222)
        #expect(web1.user == "deploy")
        #expect(web1.identityFiles == ["/keys/id ed"])
        #expect(web1.strictHostKeyChecking == .acceptNew)
        #expect(web1.userKnownHostsFiles == ["/kh"])

        for words in [["-oProxyUseFdpass=yes"], ["-4"], ["-b", "10.0.0.1"], ["-o", "BindInterface=lo"]] {
            let (c, r) = try SSHClientConfig.commandLine(words, origin: "web1's ansible_ssh_common_args", context: f.context)
            let all = r + c.resolve(host: "web1").refusals
            #expect(all.count == 1, "\(words)")
            #expect(all.first?.file == "web1's ansible_ssh_common_args", "\(words)")
        }
        for words in [["-o", "ProxyJump=admin@bastion:2222,[::1]:22"], ["-J", "admin@bastion:2222,[::1]:22"]] {
            let (c, r) = try SSHClientConfig.commandLine(words, origin: "o", context: f.context)
            #expect(r.isEmpty)
            #expect(c.resolve(host: "web1").proxyJump == [JumpSpec(user: "admin", host: "bastion", port: 2222), JumpSpec(host: "::1", port: 22)], "\(words)")
        }
        for words in [["-F", "/etc/other_config"], ["-Z"], ["bastion"]] {
            let (_, r) = try SSHClientConfig.commandLine(words, origin: "o", context: f.context)
            #expect(r.count == 1, "\(words)")
        }
        #expect(throws: SSHConfigError.self) { try SSHClientConfig.commandLine(["-p"], origin: "o", context: f.context) }
        #expect(throws: SSHConfigError.self) { try SSHClientConfig.commandLine(["-p", "http"], origin: "o", context: f.context) }
    }

    @Test func includeIsRelativeToDotSshGlobbedAndConditional() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        try FileManager.default.createDirectory(atPath: f.dir.file(".ssh/conf.d"), withIntermediateDirectories: true)
        try f.dir.write(".ssh/conf.d/20-web.conf", "Host web*\n  User web-user\n")
        try f.dir.write(".ssh/conf.d/10-db.conf", "Host db*\n  User db-user\n  Port 5022\n")
        try f.dir.write(".ssh/conf.d/ignored.txt", "Host *\n  User never\n")
        try f.dir.write(".ssh/lab-only", "Port 2200\nHost other\n  User never-for-lab\n")
        try f.dir.write("absolute.conf", "IdentityFile ~/.ssh/from-absolute\n")
        let config = try f.load("""
            Include conf.d/*.conf ~/.ssh/does-not-exist \(f.dir.file("absolute.conf"))
            Host *.lab
              Include lab-only
              User lab-user
            Host *
              User default-user
            """)
        let web = config.resolve(host: "web1")
        #expect(web.user == "web-user")
        #expect(web.identityFiles == [f.home + "/.ssh/from-absolute"])
        #expect(config.resolve(host: "db1").port == 5022)
        // Inside `Host *.lab`, the included lines apply to lab hosts only, and the included file's own
        // Host line does not leak out: after the Include the outer block is active again.
        let lab = config.resolve(host: "x.lab")
        #expect(lab.port == 2200)
        #expect(lab.user == "lab-user")
        #expect(config.resolve(host: "other").user == "default-user")
        #expect(config.resolve(host: "other").port == nil)
        #expect(config.file == f.home + "/.ssh/config")
    }

    @Test func errorsInIncludedFilesNameThatFile() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        try f.dir.write(".ssh/broken", "\nPort nope\n")
        #expect(f.error("Host x\n  Include broken\n")
                == .badValue(file: f.home + "/.ssh/broken", line: 2, keyword: "port", value: "nope",
                             expected: "a port number 1-65535"))
    }

    @Test func recursiveIncludeStopsAtOpenSSHsDepthLimit() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        try f.dir.write(".ssh/loop", "Include loop\n")
        guard case .includeTooDeep(let file, 1, 16)? = f.error("Include loop\n") else {
            Issue.record("a self-including file was accepted")
            return
        }
        #expect(file == f.home + "/.ssh/loop")
    }

    @Test func missingConfigFileIsAnEmptyConfig() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try SSHClientConfig.load(path: f.dir.file("absent"), context: f.context)
        #expect(config.resolve(host: "web1") == SSHHostConfig(host: "web1"))
        #expect(SSHClientConfig.defaultPath(context: f.context) == f.home + "/.ssh/config")
        #expect(throws: SSHConfigError.self) {
            try SSHClientConfig.load(path: f.dir.file(".ssh"), context: f.context)
        }
    }

    @Test func resolutionAgreesWithOpenSSHsOwnDumpOfTheConfig() async throws {
        // `ssh -G` prints the configuration ssh would use, without connecting: an independent oracle.
        let dir = try TempDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("inc"), withIntermediateDirectories: true)
        try dir.write("inc/10.conf", "Host special\n  Port 7000\n  User special-user\n")
        try await compareWithOpenSSH(dir: dir, config: """
            Include \(dir.file("inc"))/*.conf
            Host web*
              User deploy
              Port 2222
            Host web1
              HostName %h.Example.com
              UserKnownHostsFile /kh/%C /kh2
            Match host *.example.com
              ConnectTimeout 1m30s
              IdentityFile /keys/example
            Match originalhost db* user deploy
              Port 5022
            Host !bad.lab *.lab
              StrictHostKeyChecking no
              IdentitiesOnly yes
            Host *
              User fallback
              IdentityFile /keys/default
              StrictHostKeyChecking accept-new
              ServerAliveInterval 15
            """, cases: [
                ("web1", nil), ("web2", nil), ("db1", "deploy"), ("db1", nil), ("x.lab", nil), ("bad.lab", nil),
                ("special", nil), ("WEB1", nil), ("X.LAB", nil), ("web1", "root"),
            ])
    }

    @Test func conditionalIncludeQuotingAndNegatedMatchAgreeWithOpenSSH() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        try dir.write("lab.conf", "Port 2200\nHost other\n  User never-for-lab\n")
        try await compareWithOpenSSH(dir: dir, config: """
            HOST=quoted
              HostName="real.example"
              port = 2201
            Host *.lab
              Include \(dir.file("lab.conf"))
              User lab-user
            Match !host *.lab originalhost a*,!ab*
              User a-user
              ServerAliveInterval 1m
            Match user "deploy"
              ConnectTimeout 5
            Match all
              IdentityFile /keys/all
              UserKnownHostsFile "/kh with space/%h_%p_%r_%n"
            Host *
              User default-user
              StrictHostKeyChecking yes
            """, cases: [
                ("quoted", nil), ("x.lab", nil), ("other", nil), ("ax", nil), ("abc", nil), ("x.lab", "deploy"),
                ("ax", "deploy"),
            ])
    }

    /// Writes `config`, runs `ssh -G` for each (host, user) and compares the keywords Flotilla honours
    /// with `resolve`, mapping nil to OpenSSH's defaults.
    private func compareWithOpenSSH(dir: TempDirectory, config text: String, cases: [(String, String?)]) async throws {
        try dir.write("config", text)
        let context = SSHClientConfig.LocalContext.current()
        let config = try SSHClientConfig.load(path: dir.file("config"), context: context)
        #expect(config.warnings.isEmpty)
        for (host, user) in cases {
            var argv = ["/usr/bin/ssh", "-G", "-F", dir.file("config")]
            if let user { argv += ["-l", user] }
            argv.append(host)
            let out = try await runTool(argv)
            #expect(out.status == 0)
            var dump = [String: [String]]()
            for line in out.output.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1)
                dump[parts[0].lowercased(), default: []].append(parts.count > 1 ? String(parts[1]) : "")
            }
            let r = config.resolve(host: host, user: user)
            let label: Comment = "\(host) as \(user ?? "-")"
            #expect(dump["user"] == [r.user ?? context.userName], label)
            #expect(dump["hostname"] == [r.hostName ?? host.lowercased()], label)
            #expect(dump["port"] == [String(r.port ?? 22)], label)
            #expect(dump["connecttimeout"] == [r.connectTimeout.map { String($0.components.seconds) } ?? "none"], label)
            #expect(dump["serveraliveinterval"] == [String(r.serverAliveInterval?.components.seconds ?? 0)], label)
            let strict = switch r.strictHostKeyChecking {
            case .strict: "true"
            case .acceptNew: "accept-new"
            case .off: "false"
            case nil: "ask"
            }
            #expect(dump["stricthostkeychecking"] == [strict], label)
            #expect(dump["identitiesonly"] == [r.identitiesOnly == true ? "yes" : "no"], label)
            #expect(dump["identityfile"] == r.identityFiles, label)
            if let files = r.userKnownHostsFiles {
                #expect(dump["userknownhostsfile"] == [files.joined(separator: " ")], label)
            }
        }
    }

    /// IdentityAgent as ssh reads it: the first value wins; `none` and `SSH_AUTH_SOCK` as written; `~`, `%` tokens and
    /// `${NAME}` expanded; `$NAME` is the variable's value, and no agent when it is unset.
    @Test func identityAgentIsResolvedAsSshResolvesIt() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let config = try f.parse("""
            Host a
              IdentityAgent ~/.ssh/agent-%h.sock
              IdentityAgent /ignored
            Host b
              IdentityAgent none
            Host c
              IdentityAgent SSH_AUTH_SOCK
            Host d
              IdentityAgent $KEYDIR
            Host e
              IdentityAgent $UNSET_VAR
            Host f
              IdentityAgent ${KEYDIR}/agent.sock
            """)
        #expect(config.resolve(host: "a").identityAgent == f.home + "/.ssh/agent-a.sock")
        #expect(config.resolve(host: "b").identityAgent == "none")
        #expect(config.resolve(host: "c").identityAgent == "SSH_AUTH_SOCK")
        #expect(config.resolve(host: "d").identityAgent == "/srv/keys")
        #expect(config.resolve(host: "e").identityAgent == "none")
        #expect(config.resolve(host: "f").identityAgent == "/srv/keys/agent.sock")
        #expect(config.resolve(host: "g").identityAgent == nil)
        #expect(config.resolve(host: "a").refusals.isEmpty)
        // A broken value names the line.
        #expect(f.error("Host x\n  IdentityAgent $not-a-name\n").map { "\($0)" }?.contains("test_config:2: bad identityagent value") == true)
        #expect(f.error("Host x\n  IdentityAgent /run/%Q.sock\n") != nil)
    }
}
