public import ArgumentParser
import Foundation
public import FlotillaCore
public import Inventory
import Synchronization
public import SSH

/// How to reach the hosts: the flags every command that connects shares.
public struct FleetOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("forks"), parsing: .unconditional,
        help: ArgumentHelp("Hosts worked on at once, 1 to 10000 (default: ansible.cfg's forks, else 256).", valueName: "n"))
    public var forksOption: Int?

    /// `--forks`, else ansible.cfg's `forks` (read with the hosts), else 256.
    public var forks: Int { forksOption ?? ProjectConfig.loaded?.forks ?? 256 }

    @Option(
        name: .customLong("host-key-policy"),
        help: ArgumentHelp(
            "strict (unknown and changed keys refused), accept-new (unknown keys recorded) or off. "
                + "Default: the inventory's flotilla_host_key_policy, then ~/.ssh/config, then strict.",
            valueName: "policy"))
    public var hostKeyPolicy: HostKeyPolicy?

    @Option(name: .customLong("known-hosts"), help: ArgumentHelp("An extra known_hosts file (read; written under accept-new).", valueName: "file"))
    public var knownHosts: [String] = []

    @Option(name: .customShort("F"), help: ArgumentHelp("OpenSSH client config file (default ~/.ssh/config).", valueName: "file"))
    public var sshConfig: String?

    @Option(
        name: .customLong("connect-timeout"), parsing: .unconditional,
        help: ArgumentHelp("Limit for each TCP connect, e.g. 5s (default 10s, at most 30d).", valueName: "duration"))
    public var connectTimeout: String?

    @Option(
        help: ArgumentHelp(
            "Connect from inside this network namespace (/run/netns/NAME), e.g. flotilla-vpc for the lab. Default: $FLOTILLA_NETNS.",
            valueName: "name"))
    public var netns: String?

    @Option(
        name: .customShort("u"),
        help: ArgumentHelp(
            "Remote user where the inventory names none; beats ansible.cfg's remote_user and ~/.ssh/config, as Ansible's -u.",
            valueName: "user"))
    public var user: String?

    public init() {}

    public func validate() throws {
        if let forksOption { try OptionRange.check(forksOption, option: "--forks", OptionRange.forks) }
        if let connectTimeout { _ = try OptionRange.duration(connectTimeout, option: "--connect-timeout", OptionRange.timeout) }
    }

    /// `--connect-timeout` as a duration (`validate()` has refused a value out of range).
    var connectLimit: Duration? {
        connectTimeout.flatMap { try? OptionRange.duration($0, option: "--connect-timeout", OptionRange.timeout) }
    }

    /// The transport for this run. Warns loudly when host keys are not checked.
    public func transport() -> SSHTransport {
        var options = SSHTransport.Options()
        if let limit = connectLimit {
            options.connectTimeout = limit
        }
        options.networkNamespace = netns ?? ProcessInfo.processInfo.environment["FLOTILLA_NETNS"].flatMap { $0.isEmpty ? nil : $0 }
        options.knownHostsFiles = knownHosts
        options.hostKeyRecorded = { host, type, fingerprint, file in
            Console.shared.err("\(host): recorded its \(type) host key \(fingerprint) in \(file) (accept-new)\n")
        }
        if isatty(0) == 1 {
            options.passphrase = { path in
                if let env = ProcessInfo.processInfo.environment["FLOTILLA_SSH_PASSPHRASE"] { return env }
                guard let answer = getpass("Passphrase for \(path): ") else { return nil }
                return String(cString: answer)
            }
        }
        return SSHTransport(options: options)
    }
}

/// Turns inventory hosts into connection targets: the inventory first, then the OpenSSH client config for
/// what it leaves unset (as Ansible's ssh connection does), then Flotilla's defaults.
public struct TargetResolver: Sendable {
    let config: SSHClientConfig
    let options: FleetOptions
    /// ansible.cfg and `ANSIBLE_*`: below the inventory and the command line, above ~/.ssh/config (Ansible passes
    /// them to ssh as `-o` options).
    var project = AnsibleConfig()

    /// Loads the ssh config (blocking file reads, so on the blocking pool).
    public static func load(_ options: FleetOptions) async throws -> TargetResolver {
        let path = options.sshConfig
        let config = try await offload { () throws -> SSHClientConfig in
            let context = SSHClientConfig.LocalContext.current()
            let file = path ?? SSHClientConfig.defaultPath(context: context)
            if let path, !FileManager.default.fileExists(atPath: path) {
                throw ValidationError("-F \(path): no such file")
            }
            return try SSHClientConfig.load(path: file, context: context)
        }
        return TargetResolver(config: config, options: options)
    }

    /// `become`: true escalates whatever the inventory says (`--become`), false never does, nil follows the
    /// inventory's `ansible_become`. Escalation always uses the inventory's `ansible_become_user` and
    /// `ansible_become_password`, as Ansible's `--become` does.
    public func target(for host: InventoryHost, in inventory: Inventory, become: Bool? = nil) throws -> ConnectionTarget {
        let vars = try inventory.connectionVars(for: host)
        // Where each variable was written, so that a message about one sends the operator to its line.
        let origins = try inventory.locatedVariables(for: host.name).origins
        if let connection = vars.connection, !["ssh", "smart"].contains(connection.lowercased()) {
            // Never a silent fallback to SSH for a host the inventory reaches another way.
            throw ValidationError(
                (origins["ansible_connection"].map { "\($0): " } ?? "")
                    + "\(host.name): ansible_connection=\(connection) is not supported (Flotilla reaches hosts over SSH only); "
                    + "leave the host out with --limit '!\(host.name)'")
        }
        let name = vars.address ?? host.name
        // ssh's command line (the inventory's ssh arguments, then ansible.cfg's for the variables the inventory
        // leaves unset) comes before ssh_config: first value wins.
        var refusals: [SSHConfigRefusal] = []
        var fromArguments: SSHHostConfig?
        var sshWords = vars.sshArguments
        var sshOrigins: [String] = []
        if !vars.sshArguments.isEmpty {
            let places = vars.sshArgumentVariables.compactMap { origins[$0].map { "\($0)" } }
            sshOrigins.append(
                (places.isEmpty ? "" : places.joined(separator: ", ") + ": ")
                    + "\(host.name)'s \(vars.sshArgumentVariables.joined(separator: ", "))")
        }
        for (variable, words, origin) in try project.sshArguments() where !vars.sshArgumentVariables.contains(variable) {
            sshWords += words
            sshOrigins.append("\(variable.dropFirst(8)) at \(origin)")
        }
        if !sshWords.isEmpty {
            let origin = sshOrigins.joined(separator: "; ")
            let (arguments, refused) = try SSHClientConfig.commandLine(sshWords, origin: origin, context: config.context)
            let resolved = arguments.resolve(host: name, user: vars.user)
            // Options of a command line have no lines of their own: the variable names them.
            refusals += refused + resolved.refusals.map { SSHConfigRefusal(file: $0.file, line: 0, keyword: $0.keyword, value: $0.value, why: $0.why) }
            fromArguments = resolved
        }
        let fromConfig = config.resolve(host: name, user: vars.user ?? fromArguments?.user)
        refusals += fromConfig.refusals.filter { !(fromArguments?.unimplementedKeywords.contains($0.keyword) ?? false) }
        if !refusals.isEmpty { throw SSHConfigError.unhonoured(host: host.name, refusals: refusals) }
        let ssh = fromArguments.map { $0.filled(from: fromConfig) } ?? fromConfig
        let currentUser = Self.localUser
        // Passwords are secrets of the run: masked wherever a host might print them back.
        for password in [vars.password, vars.becomePassword].compactMap({ $0 }) { SecretRegistry.register(password) }
        var identities: [String] = []
        if let key = vars.keyFile ?? project.privateKeyFile { identities.append(key) }
        identities += ssh.identityFiles
        var knownHosts: [String] = []
        if let file = vars.knownHostsFile { knownHosts.append(file) }
        knownHosts += ssh.userKnownHostsFiles ?? []
        var target = ConnectionTarget(
            name: host.name,
            address: vars.address ?? ssh.hostName ?? host.name,
            port: vars.port ?? project.remotePort ?? ssh.port ?? 22,
            user: vars.user ?? options.user ?? project.remoteUser ?? ssh.user ?? currentUser,
            identityFiles: identities.map(expandTilde),
            identitiesOnly: ssh.identitiesOnly ?? false,
            password: vars.password,
            become: (become ?? vars.become ?? project.become ?? false)
                ? Become(user: vars.becomeUser ?? project.becomeUser ?? "root", password: vars.becomePassword) : nil,
            knownHostsFiles: knownHosts.map(expandTilde),
            hostKeyPolicy: options.hostKeyPolicy ?? vars.hostKeyPolicy ?? (project.hostKeyChecking == false ? .off : nil)
                ?? ssh.strictHostKeyChecking)
        // --connect-timeout wins over ansible.cfg's timeout and ConnectTimeout, as ssh's -o over its config file.
        target.connectTimeout = options.connectLimit ?? project.timeout.map { .seconds($0) } ?? ssh.connectTimeout
        target.keepaliveInterval = ssh.serverAliveInterval
        target.globalKnownHostsFiles = ssh.globalKnownHostsFiles?.map(expandTilde)
        target.hostKeyAlias = ssh.hostKeyAlias
        target.identityAgent = ssh.identityAgent == "SSH_AUTH_SOCK" ? nil : ssh.identityAgent
        if let command = ssh.proxyCommand, !command.isEmpty {
            target.proxyCommand = SSHClientConfig.expandProxyCommand(
                command, name: host.name, hostName: target.address, port: target.port, user: target.user)
        }
        if let hops = ssh.proxyJump, !hops.isEmpty {
            target.jumps = try jumpChain(hops, behind: host.name, fallbackPolicy: vars.hostKeyPolicy, extraKnownHosts: knownHosts, depth: 0)
        }
        return target
    }

    /// The jump hosts of a `ProxyJump` list, first hop first, as ssh reaches them: each hop's settings come from
    /// the configuration of its own name; the first hop's own ProxyJump comes before it (later hops are reached
    /// through the hops before them, as with `ssh -J a,b`).
    private func jumpChain(
        _ hops: [JumpSpec], behind host: String, fallbackPolicy: HostKeyPolicy?, extraKnownHosts: [String], depth: Int
    ) throws -> [ConnectionTarget] {
        guard depth < 8 else {
            throw ValidationError("\(host): ProxyJump chains more than 8 jump hosts deep (does a jump host's ProxyJump lead back to itself?)")
        }
        var chain: [ConnectionTarget] = []
        for (index, hop) in hops.enumerated() {
            let ssh = config.resolve(host: hop.host, user: hop.user)
            if !ssh.refusals.isEmpty {
                throw SSHConfigError.unhonoured(host: "\(host) (through the jump host \(hop.host))", refusals: ssh.refusals)
            }
            if index == 0, let own = ssh.proxyJump, !own.isEmpty {
                chain += try jumpChain(own, behind: host, fallbackPolicy: fallbackPolicy, extraKnownHosts: extraKnownHosts, depth: depth + 1)
            }
            var jump = ConnectionTarget(
                name: hop.host,
                address: ssh.hostName ?? hop.host,
                port: hop.port ?? ssh.port ?? 22,
                user: hop.user ?? ssh.user ?? options.user ?? Self.localUser,
                identityFiles: ssh.identityFiles.map(expandTilde),
                identitiesOnly: ssh.identitiesOnly ?? false,
                knownHostsFiles: (extraKnownHosts + (ssh.userKnownHostsFiles ?? [])).map(expandTilde),
                hostKeyPolicy: options.hostKeyPolicy ?? ssh.strictHostKeyChecking ?? fallbackPolicy)
            jump.connectTimeout = options.connectLimit ?? ssh.connectTimeout
            jump.keepaliveInterval = ssh.serverAliveInterval
            jump.globalKnownHostsFiles = ssh.globalKnownHostsFiles?.map(expandTilde)
            jump.hostKeyAlias = ssh.hostKeyAlias
            jump.identityAgent = ssh.identityAgent == "SSH_AUTH_SOCK" ? nil : ssh.identityAgent
            chain.append(jump)
        }
        return chain
    }

    /// As ssh does: the local user's name when nothing else names one.
    static var localUser: String {
        ProcessInfo.processInfo.environment["USER"] ?? getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "root"
    }

    private func expandTilde(_ path: String) -> String {
        guard path.hasPrefix("~/") else { return path }
        return (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + path.dropFirst()
    }
}

extension HostKeyPolicy: ExpressibleByArgument {}

/// Loads the inventory and resolves the selected hosts' targets (file reads on the blocking pool).
public func loadTargets(
    _ inventoryOptions: InventoryOptions, _ fleet: FleetOptions, become: Bool? = nil
) async throws -> (inventory: Inventory, hosts: [InventoryHost], targets: [ConnectionTarget]) {
    let (resolver, inventory, hosts) = try await loadSelection(inventoryOptions, fleet)
    // The first host in inventory order that cannot be resolved is the error.
    let targets = try await resolveTargets(hosts, resolver: resolver, inventory: inventory, become: become).map { try $0.get() }
    if targets.contains(where: { $0.hostKeyPolicy == .off }) {
        Console.shared.err("WARNING: host key checking is OFF: Flotilla cannot tell these hosts from impostors.\n")
    }
    return (inventory, hosts, targets)
}

/// Each host's target, or why it cannot be reached, in the hosts' order: off the cooperative pool and on every core,
/// since resolving a target may decrypt vaulted values (PBKDF2's 10,000 rounds each).
func resolveTargets(
    _ hosts: [InventoryHost], resolver: TargetResolver, inventory: Inventory, become: Bool? = nil
) async throws -> [Result<ConnectionTarget, any Error>] {
    try await offload { () -> [Result<ConnectionTarget, any Error>] in
        let results = Mutex([Result<ConnectionTarget, any Error>?](repeating: nil, count: hosts.count))
        DispatchQueue.concurrentPerform(iterations: hosts.count) { index in
            let result = Result { try resolver.target(for: hosts[index], in: inventory, become: become) }
            results.withLock { $0[index] = result }
        }
        return results.withLock { $0 }.map { $0! }
    }
}

/// The ssh config, the inventory and the selected hosts, before any target is resolved (file reads on the blocking
/// pool); the config's warnings are printed once.
func loadSelection(
    _ inventoryOptions: InventoryOptions, _ fleet: FleetOptions
) async throws -> (resolver: TargetResolver, inventory: Inventory, hosts: [InventoryHost]) {
    var resolver = try await TargetResolver.load(fleet)
    let project = try await ProjectConfig.load()
    resolver.project = project
    if inventoryOptions.verbose { Console.shared.err(ProjectConfig.verboseReport(project)) }
    let paths = try inventoryOptions.sources(project), limit = inventoryOptions.limit
    let vault = try await inventoryOptions.loadVault(project)
    let (inventory, hosts) = try await offload { () throws -> (Inventory, [InventoryHost]) in
        let inventory = try Inventory.load(paths: paths, vault: vault)
        return (inventory, try inventory.select(pattern: limit))
    }
    for warning in resolver.config.warnings { Console.shared.err("warning: \(warning)\n") }
    return (resolver, inventory, hosts)
}

/// Runs `body` so that Ctrl-C cancels it: every session is closed cleanly; a second Ctrl-C exits at once.
public func cancellableOnInterrupt<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let task = Task { try await body() }
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    let count = Counter()
    source.setEventHandler {
        if count.increment() > 1 {
            Console.shared.flushSync()
            exit(130)
        }
        Console.shared.err("\nInterrupted: closing sessions (Ctrl-C again to quit at once)\n")
        task.cancel()
    }
    source.resume()
    defer { source.cancel() }
    return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}
