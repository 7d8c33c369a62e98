public import ArgumentParser
import Foundation
public import FlotillaCore
public import Inventory
import Synchronization
public import SSH

/// How to reach the hosts: the flags every command that connects shares.
public struct FleetOptions: ParsableArguments, Sendable {
    @Option(parsing: .unconditional, help: ArgumentHelp("Hosts worked on at once, 1 to 10000 (default: enough for 256 hosts in one wave).", valueName: "n"))
    public var forks: Int = 256

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

    @Option(name: .customShort("u"), help: ArgumentHelp("Remote user where the inventory and ssh config name none.", valueName: "user"))
    public var user: String?

    public init() {}

    public func validate() throws {
        try OptionRange.check(forks, option: "--forks", OptionRange.forks)
        if let connectTimeout { _ = try OptionRange.duration(connectTimeout, option: "--connect-timeout", OptionRange.timeout) }
    }

    /// The transport for this run. Warns loudly when host keys are not checked.
    public func transport() -> SSHTransport {
        var options = SSHTransport.Options()
        if let connectTimeout, let limit = try? OptionRange.duration(connectTimeout, option: "--connect-timeout", OptionRange.timeout) {
            options.connectTimeout = limit
        }
        options.networkNamespace = netns ?? ProcessInfo.processInfo.environment["FLOTILLA_NETNS"].flatMap { $0.isEmpty ? nil : $0 }
        options.knownHostsFiles = knownHosts
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

    public func target(for host: InventoryHost, in inventory: Inventory) throws -> ConnectionTarget {
        let vars = try inventory.connectionVars(for: host)
        let ssh = config.resolve(host: vars.address ?? host.name, user: vars.user)
        // As ssh does: the local user's name when nothing else names one.
        let currentUser = ProcessInfo.processInfo.environment["USER"] ?? getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "root"
        var identities: [String] = []
        if let key = vars.keyFile { identities.append(key) }
        identities += ssh.identityFiles
        var knownHosts: [String] = []
        if let file = vars.knownHostsFile { knownHosts.append(file) }
        knownHosts += ssh.userKnownHostsFiles ?? []
        return ConnectionTarget(
            name: host.name,
            address: vars.address ?? ssh.hostName ?? host.name,
            port: vars.port ?? ssh.port ?? 22,
            user: vars.user ?? ssh.user ?? options.user ?? currentUser,
            identityFiles: identities.map(expandTilde),
            identitiesOnly: ssh.identitiesOnly ?? false,
            password: vars.password,
            become: vars.become == true ? Become(user: vars.becomeUser ?? "root", password: vars.becomePassword) : nil,
            knownHostsFiles: knownHosts.map(expandTilde),
            hostKeyPolicy: options.hostKeyPolicy ?? vars.hostKeyPolicy ?? ssh.strictHostKeyChecking)
    }

    private func expandTilde(_ path: String) -> String {
        guard path.hasPrefix("~/") else { return path }
        return (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + path.dropFirst()
    }
}

extension HostKeyPolicy: ExpressibleByArgument {}

/// Loads the inventory and resolves the selected hosts' targets (file reads on the blocking pool).
public func loadTargets(
    _ inventoryOptions: InventoryOptions, _ fleet: FleetOptions
) async throws -> (inventory: Inventory, hosts: [InventoryHost], targets: [ConnectionTarget]) {
    let resolver = try await TargetResolver.load(fleet)
    let paths = inventoryOptions.inventory, limit = inventoryOptions.limit
    let (inventory, hosts) = try await offload { () throws -> (Inventory, [InventoryHost]) in
        let inventory = try Inventory.load(paths: paths)
        return (inventory, try inventory.select(pattern: limit))
    }
    let targets = try hosts.map { try resolver.target(for: $0, in: inventory) }
    if targets.contains(where: { $0.hostKeyPolicy == .off }) {
        Console.shared.err("WARNING: host key checking is OFF: Flotilla cannot tell these hosts from impostors.\n")
    }
    return (inventory, hosts, targets)
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
