import FlotillaCore
import FlotillaTesting
import Foundation
import Testing

/// An Ansible project directory works as it is (issue 17): ansible.cfg found as Ansible finds it, its settings
/// and the ANSIBLE_* environment read as Ansible reads them. The real Ansible (scripts/ansible-oracle.sh) is the
/// oracle: `ansible-config dump` for what is read, `ansible -m raw` for where it leads. Every run gets a HOME of
/// its own, so neither tool reads this machine's ~/.ansible.cfg or ~/.ssh/config.
@Suite struct AnsibleProjectTests {
    static let venv = ProcessInfo.processInfo.environment["FLOTILLA_ANSIBLE_VENV"] ?? "/opt/flotilla/ansible"

    /// A fresh directory (mode 0755, not world-writable) for one test.
    static func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "flotilla-project-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o755)
        return dir
    }

    /// Runs `argv` in `cwd` with a private HOME and `environment`; stdout and stderr apart.
    static func run(_ argv: [String], in cwd: String, home: String, environment: [String: String] = [:]) async throws -> LocalProcess.Captured {
        var env = ["PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": home, "NO_COLOR": "1", "USER": "root", "LANG": "C.UTF-8"]
        for (k, v) in environment { env[k] = v }
        let script = "cd " + ShellQuote.quote(cwd) + " && exec " + argv.map(ShellQuote.quote).joined(separator: " ")
        let finalEnv = env
        return try await offload { try LocalProcess.capture(["/bin/sh", "-c", script], environment: finalEnv) }
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    // MARK: ansible-config dump agrees with flotilla config

    /// ansible.cfg files shaped like those of public projects (kubespray, kolla-ansible, debops, k3s-ansible,
    /// ceph-ansible, and plain ones), covering comments, continuation lines, `:` delimiters, quoting, [DEFAULT].
    static let configs: [String] = [
        // kubespray
        """
        [ssh_connection]
        pipelining=True
        ansible_ssh_args = -o ControlMaster=auto -o ControlPersist=30m -o ConnectionAttempts=100 -o UserKnownHostsFile=/dev/null
        #control_path = ~/.ssh/ansible-%%r@%%h:%%p
        [defaults]
        # https://github.com/ansible/ansible/issues/56930 (to ignore group names with - and .)
        force_valid_group_names = ignore

        host_key_checking=False
        gathering = smart
        fact_caching = jsonfile
        fact_caching_connection = /tmp
        timeout = 300
        stdout_callback = default
        library = ./library
        callbacks_enabled = profile_tasks
        deprecation_warnings=False
        inventory_ignore_extensions = ~, .orig, .bak, .ini, .cfg, .retry, .pyc, .pyo, .creds, .gpg
        [inventory]
        ignore_patterns = artifacts, credentials
        """,
        // kolla-ansible
        """
        [defaults]
        strategy_plugins = /usr/share/kolla-ansible/ansible/plugins/strategy
        host_key_checking = False
        forks = 100
        inventory = ./multinode

        [ssh_connection]
        pipelining = True
        ssh_args = -o ControlMaster=auto -o ControlPersist=300s
        """,
        // debops
        """
        [defaults]
        inventory   = ansible/inventory
        roles_path  = roles:/usr/share/debops/ansible/roles
        remote_user = ansible
        forks       = 20
        ansible_managed = This file is managed remotely, all changes will be lost

        [privilege_escalation]
        become      = True
        become_user = root

        [ssh_connection]
        pipelining = True
        ssh_common_args = -o StrictHostKeyChecking=accept-new
        """,
        // k3s-ansible
        """
        [defaults]
        nocows = True
        roles_path = ./roles
        inventory  = ./hosts.ini
        stdout_callback = yaml
        remote_tmp = $HOME/.ansible/tmp
        local_tmp  = $HOME/.ansible/tmp
        timeout = 60
        host_key_checking = False
        deprecation_warnings = False
        callbacks_enabled = profile_tasks
        log_path = ./ansible.log

        [privilege_escalation]
        become = True

        [ssh_connection]
        scp_if_ssh = smart
        retries = 3
        ssh_args = -o ControlMaster=auto -o ControlPersist=30m -o Compression=yes -o ServerAliveInterval=15s
        pipelining = True
        control_path = %(directory)s/%%h-%%r
        """,
        // ceph-ansible
        """
        # Comment lines at the top
        [defaults]
        ansible_managed = Please do not change this file directly since it is managed by Ansible and will be overwritten
        action_plugins = plugins/actions
        callback_plugins = plugins/callback
        filter_plugins = plugins/filter
        roles_path = ./roles
        # Be sure the user running Ansible has permissions on the logfile
        log_path = $HOME/ansible/ansible.log

        forks = 20
        host_key_checking = False
        gathering = smart
        fact_caching = jsonfile
        fact_caching_connection = $HOME/ansible/facts
        fact_caching_timeout = 7200
        nocows = 1
        callback_whitelist = profile_tasks
        stdout_callback = yaml
        force_valid_group_names = ignore
        inject_facts_as_vars = False

        [ssh_connection]
        control_path = %(directory)s/%%h-%%r-%%p
        ssh_args = -o ControlMaster=auto -o ControlPersist=600s
        pipelining = True
        retries = 10
        """,
        // quoting, ':' delimiter, inline comments, a continuation line
        """
        [defaults]
        inventory: "inventories/prod/hosts.yml", inventories/prod/extra.ini ; two sources
        remote_user = 'deploy'
        private_key_file = ~/.ssh/deploy_ed25519
        vault_password_file = ../secrets/vault-pass.txt
        vault_identity_list = prod@../secrets/prod.txt, dev@prompt
        [ssh_connection]
        ssh_extra_args = -o ServerAliveInterval=20
          -o ServerAliveCountMax=3
        """,
        // [DEFAULT] applies to every section; mixed-case keys
        """
        [DEFAULT]
        timeout = 45
        [defaults]
        Remote_User = ops
        [privilege_escalation]
        BECOME = yes
        become_method = sudo
        """,
        // booleans in their other spellings, a port
        """
        [defaults]
        host_key_checking = no
        remote_port = 2222
        [privilege_escalation]
        become = on
        become_ask_pass = false
        """,
        // settings that are all ignored
        """
        [defaults]
        retry_files_enabled = False
        interpreter_python = auto_silent
        [callback_profile_tasks]
        task_output_limit = 20
        """,
        // an empty file
        "",
        // comments only, with ; and #
        """
        ; nothing set here
        # [defaults]
        # inventory = nope
        [defaults]
        ; remote_user = nobody
        """,
        // the ssh connection's own host_key_checking
        """
        [defaults]
        forks = 5
        [ssh_connection]
        host_key_checking = True
        ssh_args = -C -o ControlMaster=auto
        """,
    ]

    /// The lines of a dump for the settings Flotilla reads: the base ones before the first plugin header, and
    /// the ssh connection's ssh_args/ssh_common_args/ssh_extra_args.
    static func comparable(_ dump: String) -> [String] {
        let read: Set<String> = [
            "CONFIG_FILE", "DEFAULT_HOST_LIST", "DEFAULT_REMOTE_USER", "DEFAULT_REMOTE_PORT", "DEFAULT_PRIVATE_KEY_FILE",
            "HOST_KEY_CHECKING", "DEFAULT_TIMEOUT", "DEFAULT_FORKS", "DEFAULT_VAULT_PASSWORD_FILE", "DEFAULT_VAULT_IDENTITY_LIST",
            "DEFAULT_TRANSPORT", "DEFAULT_ASK_PASS", "DEFAULT_BECOME", "DEFAULT_BECOME_METHOD", "DEFAULT_BECOME_USER",
            "DEFAULT_BECOME_ASK_PASS",
        ]
        var out: [String] = []
        var section = "base"
        for line in dump.split(separator: "\n").map(String.init) {
            if line.range(of: #"^[A-Za-z_]+:$"#, options: .regularExpression) != nil {
                section = section == "base" && line == line.uppercased() ? "plugins" : line
                continue
            }
            guard let paren = line.firstIndex(of: "(") else { continue }
            let name = String(line[..<paren])
            if section == "base", read.contains(name) { out.append(line) }
            if section == "ssh:", ["ssh_args", "ssh_common_args", "ssh_extra_args", "host_key_checking"].contains(name) { out.append("ssh " + line) }
        }
        return out.sorted()
    }

    @Test func flotillaConfigReadsWhatAnsibleConfigDumpShows() async throws {
        let ansibleConfig = Self.venv + "/bin/ansible-config"
        #expect(FileManager.default.isExecutableFile(atPath: ansibleConfig), "no \(ansibleConfig): run scripts/setup.sh")
        for (index, text) in Self.configs.enumerated() {
            let dir = try Self.directory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try text.write(toFile: dir + "/ansible.cfg", atomically: true, encoding: .utf8)
            // With the environment on top for some: it beats the file, for both tools.
            let env = index % 3 == 0 ? ["ANSIBLE_REMOTE_USER": "from-env", "ANSIBLE_FORKS": "7"] : [:]
            let ansible = try await Self.run([ansibleConfig, "dump", "--only-changed", "-t", "all"], in: dir, home: dir, environment: env)
            #expect(ansible.status == 0, "config \(index): \(Self.text(ansible.stderr))")
            let flotilla = try await Self.run([FlotillaBinary.path, "config"], in: dir, home: dir, environment: env)
            #expect(flotilla.status == 0, "config \(index): \(Self.text(flotilla.stderr))")
            let expected = Self.comparable(Self.text(ansible.stdout))
            #expect(expected.count >= 1, "config \(index): nothing parsed from ansible-config's dump")
            #expect(Self.comparable(Self.text(flotilla.stdout)) == expected, "config \(index)")
        }
    }

    @Test func settingsThatWouldChangeTheConnectionAreRefusedWithTheirLine() async throws {
        for (text, line, setting) in [
            ("[defaults]\nforks = 3\ntransport = paramiko\n", 3, "transport = paramiko"),
            ("[privilege_escalation]\nbecome_method = su\n", 2, "become_method = su"),
            ("[defaults]\nask_pass = True\n", 2, "ask_pass = True"),
            ("[ssh_connection]\n\nssh_executable = /opt/ssh-wrapper\n", 3, "ssh_executable = /opt/ssh-wrapper"),
        ] {
            let dir = try Self.directory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try text.write(toFile: dir + "/ansible.cfg", atomically: true, encoding: .utf8)
            let result = try await Self.run([FlotillaBinary.path, "config"], in: dir, home: dir)
            #expect(result.status == 1)
            #expect(Self.text(result.stderr).contains("\(dir)/ansible.cfg:\(line): \(setting) is not supported"), "\(Self.text(result.stderr))")
        }
    }

    @Test func aWorldWritableDirectorysConfigIsNotReadAndSaysWhy() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "[defaults]\ninventory = hosts.ini\n".write(toFile: dir + "/ansible.cfg", atomically: true, encoding: .utf8)
        chmod(dir, 0o777)
        let result = try await Self.run([FlotillaBinary.path, "run", "--", "true"], in: dir, home: dir)
        #expect(result.status != 0)
        let err = Self.text(result.stderr)
        #expect(err.contains("\(dir)/ansible.cfg is not read: its directory \(dir) is world-writable"), "\(err)")
        #expect(err.contains("Give an inventory with -i FILE"), "\(err)")
    }

    @Test func brokenFilesNameTheirLine() async throws {
        for (text, message) in [
            ("remote_user = x\n", ":1: expected a [section] header first"),
            ("[defaults]\nforks = 3\nforks = 4\n", ":3: expected each option once in [defaults], found a second 'forks'"),
            ("[defaults]\nforks = many\n", ":2: forks = many: expected an integer"),
            ("[defaults]\njust words\n", ":2: expected key = value"),
        ] {
            let dir = try Self.directory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try text.write(toFile: dir + "/ansible.cfg", atomically: true, encoding: .utf8)
            let result = try await Self.run([FlotillaBinary.path, "config"], in: dir, home: dir)
            #expect(result.status != 0)
            #expect(Self.text(result.stderr).contains("\(dir)/ansible.cfg" + message), "\(Self.text(result.stderr))")
        }
    }

    // MARK: Where it leads: the same hosts and users as `ansible -m raw`

    @Test func aProjectDirectoryReachesTheHostsAsAnsibleDoes() async throws {
        let server = try await TestSSHServer.start(sudoRules: [.noPassword])
        defer { server.stop() }
        let user = try #require(server.user(.noPassword)).name
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Only ansible.cfg says who to log in as, with which key, trusting which host key; the inventory says
        // where the hosts are.
        try "[127.0.0.1]:\(server.port) \(server.hostPublicKey)\n".write(toFile: dir + "/known_hosts", atomically: true, encoding: .utf8)
        try "[web]\nweb1 ansible_host=127.0.0.1 ansible_port=\(server.port)\n".write(toFile: dir + "/hosts.ini", atomically: true, encoding: .utf8)
        try """
            [defaults]
            inventory = hosts.ini
            remote_user = \(user)
            private_key_file = \(server.userKeyPath)
            timeout = 30
            gathering = smart
            [ssh_connection]
            ssh_common_args = -o UserKnownHostsFile=\(dir)/known_hosts
            """.write(toFile: dir + "/ansible.cfg", atomically: true, encoding: .utf8)

        // No ControlPersist master left behind after the test (Ansible's default ssh_args keep one for 60 s).
        let ansible = try await Self.run(
            [Self.venv + "/bin/ansible", "all", "-m", "raw", "-a", "id -un"], in: dir, home: dir,
            environment: ["ANSIBLE_SSH_ARGS": "-o ControlMaster=no"])
        #expect(ansible.status == 0, "\(Self.text(ansible.stdout))\(Self.text(ansible.stderr))")
        #expect(Self.text(ansible.stdout).contains("web1 | CHANGED | rc=0 >>\n\(user)"), "\(Self.text(ansible.stdout))")

        let here = try await Self.run([FlotillaBinary.path, "run", "--", "id -un"], in: dir, home: dir)
        #expect(here.status == 0, "\(Self.text(here.stdout))\(Self.text(here.stderr))")
        #expect(Self.text(here.stdout).contains("web1 | ok | exit 0"))
        #expect(Self.text(here.stdout).contains("\n  \(user)\n"), "\(Self.text(here.stdout))")

        // -v says which file was read and what of it is ignored.
        let verbose = try await Self.run([FlotillaBinary.path, "run", "-v", "--", "true"], in: dir, home: dir)
        #expect(verbose.status == 0)
        #expect(Self.text(verbose.stderr).contains("ansible.cfg: \(dir)/ansible.cfg\n"), "\(Self.text(verbose.stderr))")
        #expect(Self.text(verbose.stderr).contains("ansible.cfg: ignored [defaults] gathering at \(dir)/ansible.cfg:6"), "\(Self.text(verbose.stderr))")

        // From elsewhere, with ANSIBLE_CONFIG: paths in the file resolve from its directory, not from the cwd.
        let elsewhere = try await Self.run([FlotillaBinary.path, "run", "--", "id -un"], in: "/", home: dir, environment: ["ANSIBLE_CONFIG": dir + "/ansible.cfg"])
        #expect(elsewhere.status == 0, "\(Self.text(elsewhere.stdout))\(Self.text(elsewhere.stderr))")
        #expect(Self.text(elsewhere.stdout).contains("\n  \(user)\n"))

        // The command line beats the file: -u root logs in as root (the test sshd lets root in with the same key).
        let asRoot = try await Self.run([FlotillaBinary.path, "run", "-u", "root", "--", "id -un"], in: dir, home: dir)
        #expect(Self.text(asRoot.stdout).contains("\n  root\n"), "\(Self.text(asRoot.stdout))\(Self.text(asRoot.stderr))")
    }

    // MARK: Vault

    @Test func aVaultedBecomePasswordWorksWithItsSecretAndFailsBeforeConnectingWithout() async throws {
        let server = try await TestSSHServer.start(sudoRules: [.password])
        defer { server.stop() }
        let user = try #require(server.user(.password))
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let secretFile = dir + "/vault-pass"
        try "vault-\(UUID().uuidString)\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        // The real ansible-vault encrypts the sudo password.
        let encrypted = try await Self.run(
            [Self.venv + "/bin/ansible-vault", "encrypt_string", "--vault-password-file", secretFile, "--name", "ansible_become_password", "--", user.password],
            in: dir, home: dir)
        #expect(encrypted.status == 0, "\(Self.text(encrypted.stderr))")
        let vaulted = Self.text(encrypted.stdout).split(separator: "\n").map { "      " + $0 }.joined(separator: "\n")
        try "[127.0.0.1]:\(server.port) \(server.hostPublicKey)\n".write(toFile: dir + "/known_hosts", atomically: true, encoding: .utf8)
        try """
            all:
              hosts:
                web1:
                  ansible_host: 127.0.0.1
                  ansible_port: \(server.port)
                  ansible_user: \(user.name)
                  ansible_ssh_private_key_file: \(server.userKeyPath)
                  flotilla_known_hosts_file: \(dir)/known_hosts
            \(vaulted)
            """.write(toFile: dir + "/hosts.yml", atomically: true, encoding: .utf8)

        let with = try await Self.run(
            [FlotillaBinary.path, "run", "-i", "hosts.yml", "--vault-password-file", secretFile, "--become", "--", "id -un"], in: dir, home: dir)
        #expect(with.status == 0, "\(Self.text(with.stdout))\(Self.text(with.stderr))")
        #expect(Self.text(with.stdout).contains("\n  root\n"))
        #expect(!Self.text(with.stdout).contains(user.password) && !Self.text(with.stderr).contains(user.password))
        // A decrypted value is a secret of the run: a host that prints it back shows it masked.
        let echoed = try await Self.run(
            [FlotillaBinary.path, "run", "-i", "hosts.yml", "--vault-password-file", secretFile, "--become", "--", "echo " + ShellQuote.quote(user.password)],
            in: dir, home: dir)
        #expect(echoed.status == 0, "\(Self.text(echoed.stdout))\(Self.text(echoed.stderr))")
        #expect(Self.text(echoed.stdout).contains("\n  ********\n") && !Self.text(echoed.stdout).contains(user.password), "\(Self.text(echoed.stdout))")

        let logins = server.log.components(separatedBy: "Accepted publickey").count
        let without = try await Self.run([FlotillaBinary.path, "run", "-i", "hosts.yml", "--become", "--", "id -un"], in: dir, home: dir)
        #expect(without.status != 0)
        let err = Self.text(without.stderr)
        #expect(err.contains("hosts.yml:9:"), "\(err)")
        #expect(err.contains("host 'web1': ansible_become_password: it is vault-encrypted and no vault secret was given"), "\(err)")
        #expect(err.contains("--vault-password-file"))
        // Nothing reached the host: no login after the first run's.
        #expect(server.log.components(separatedBy: "Accepted publickey").count == logins)

        let wrongFile = dir + "/wrong"
        try "not-it\n".write(toFile: wrongFile, atomically: true, encoding: .utf8)
        let wrong = try await Self.run(
            [FlotillaBinary.path, "run", "-i", "hosts.yml", "--vault-password-file", wrongFile, "--become", "--", "id -un"], in: dir, home: dir)
        #expect(wrong.status != 0)
        #expect(Self.text(wrong.stderr).contains("HMAC mismatch"), "\(Self.text(wrong.stderr))")
        #expect(server.log.components(separatedBy: "Accepted publickey").count == logins)
    }
}
