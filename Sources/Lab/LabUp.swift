#if canImport(Glibc)
import Glibc
#endif
import Foundation

extension LabPaths {
    /// The lab's ssh-agent socket (bastion topology only).
    public var agentSocket: String { labDir + "/ssh-agent.sock" }
}

/// Options of `lab up`.
public struct LabUpOptions: Sendable {
    public var hosts: Int
    public var distro: Distro
    public var mix: MixSpec
    public var rebuildImage: Bool
    /// How long each host may take to answer SSH.
    public var sshTimeout: Double
    /// The bastion topology: node01 is the single entry point; the controller's namespace reaches no other host.
    public var bastion: Bool

    public init(
        hosts: Int = 4, distro: Distro = .bookworm, mix: MixSpec = .standard, rebuildImage: Bool = false,
        sshTimeout: Double = 120, bastion: Bool = false
    ) {
        self.bastion = bastion
        self.hosts = hosts
        self.distro = distro
        self.mix = mix
        self.rebuildImage = rebuildImage
        self.sshTimeout = sshTimeout
    }
}

/// What `lab up` did.
public struct LabUpReport: Sendable {
    public var record: LabRecord
    /// True when the same lab was already up and nothing was done.
    public var alreadyUp: Bool
    /// Seconds spent building the image (nil: cached).
    public var imageBuildSeconds: Double?
    /// Seconds from the start of the hosts until every one answered SSH (image build excluded).
    public var hostsSeconds: Double
    /// How long each step of `up` took, in order.
    public var timings: [LabTiming] = []
}

/// One timed step of `lab up`.
public struct LabTiming: Sendable, Hashable {
    public var step: String
    public var seconds: Double
}

extension Lab {
    /// Brings the lab up. If the same lab (same size and distro) is already up and running, does nothing;
    /// if a different or half-finished one is recorded, fails with `alreadyUp` (run `down` first).
    public func up(_ options: LabUpOptions, progress: @escaping @Sendable (String) -> Void) async throws -> LabUpReport {
        guard (1...LabNetwork.maxHosts).contains(options.hosts) else { throw LabError.badHostCount(options.hosts) }
        if options.bastion && options.hosts < 2 {
            throw LabError.hostCondition(
                host: "lab", reason: "--bastion needs at least 2 hosts: node01 is the bastion and the others stand behind it")
        }
        return try await locked {
            if let existing = try record() {
                let running = existing.hosts.allSatisfy { $0.stopped || ($0.container?.isAlive ?? false) }
                if existing.phase == .ready && existing.hosts.count == options.hosts
                    && existing.distro == options.distro && running && !options.rebuildImage {
                    // Same lab, other topology: never changed silently.
                    guard (existing.bastion != nil) == options.bastion else {
                        throw LabError.hostCondition(
                            host: "lab", reason: "a lab of \(existing.hosts.count) hosts is already up with topology "
                                + "\(existing.topology); `lab up` \(options.bastion ? "with" : "without") --bastion does not change it; "
                                + "run `flotilla lab down` first")
                    }
                    return LabUpReport(record: existing, alreadyUp: true, imageBuildSeconds: nil, hostsSeconds: 0)
                }
                if existing.phase == .starting {
                    throw LabError.unfinished(hosts: existing.hosts.count, stateFile: paths.stateFile)
                }
                throw LabError.alreadyUp(hosts: existing.hosts.count)
            }
            let leftovers = LabNetwork.existingNamespaces() + MountTable.mountPoints(under: paths.labDir)
            if !leftovers.isEmpty {
                throw LabError.hostCondition(
                    host: "lab", reason: "leftovers of an earlier lab exist (\(leftovers.joined(separator: ", "))); run `flotilla lab down`")
            }
            let image = try await ImageBuilder.ensure(
                paths: paths, distro: options.distro, rebuild: options.rebuildImage, progress: progress)
            let start = NamespaceThread.now()
            let (record, timings) = try await bringUp(options, image: image.image, progress: progress)
            return LabUpReport(
                record: record, alreadyUp: false, imageBuildSeconds: image.builtSeconds,
                hostsSeconds: NamespaceThread.now() - start, timings: timings)
        }
    }

    /// Each host's systemd and services hold about 12 inotify instances, all of them root's, and the kernel's
    /// default `fs.inotify.max_user_instances` is 128: past about ten hosts the later ones never start sshd.
    /// Raised (never lowered) to what the lab needs, and said; the machine keeps the higher limit afterwards.
    static func raiseInotifyLimit(hosts: Int, progress: @Sendable (String) -> Void) async throws {
        let path = "/proc/sys/fs/inotify/max_user_instances"
        guard let text = SmallFile.read(path), let current = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        // 16 a host leaves room for this machine's own (8 hosts fit the default 128, as every test lab does).
        guard current < 16 * hosts else { return }
        let raised = max(1024, 16 * hosts)
        try await LocalCommand.run(["sysctl", "-q", "-w", "fs.inotify.max_user_instances=\(raised)"])
        progress("raised fs.inotify.max_user_instances from \(current) to \(raised): each host's systemd holds about 12")
    }

    private func bringUp(
        _ options: LabUpOptions, image: LabImage, progress: @escaping @Sendable (String) -> Void
    ) async throws -> (LabRecord, [LabTiming]) {
        let start = NamespaceThread.now()
        var timings: [LabTiming] = []
        var mark = start
        func lap(_ step: String) {
            let now = NamespaceThread.now()
            timings.append(LabTiming(step: step, seconds: now - mark))
            mark = now
        }
        for dir in [paths.labDir, paths.logsDir, paths.hostsDir] { try SmallFile.makeDirectories(dir, mode: 0o700) }

        // The plan, recorded before anything is created.
        let states = options.mix.assign(hosts: options.hosts)
        var record = LabRecord(distro: options.distro, subnet: LabNetwork.subnet, createdAt: Date().timeIntervalSince1970)
        if options.bastion { record.bastion = LabNetwork.hostName(1) }
        record.hosts = (1...options.hosts).map { i in
            let name = LabNetwork.hostName(i)
            let netns = LabNetwork.hostNamespace(name)
            let state = states[i - 1]
            return HostRecord(
                name: name, index: i, address: LabNetwork.hostAddress(i), state: state, netns: netns,
                bridgePort: LabNetwork.bridgePort(name), root: HostProvisioner.directories(paths.hostDir(name)).root,
                lowerDirs: image.lowerDirs(state))
        }
        let store = RecordStore(record, path: paths.stateFile)
        try await store.change { _ in }

        // The lab's SSH key and operator's password.
        for file in [paths.privateKey, paths.privateKey + ".pub"] { unlink(file) }
        try await LocalCommand.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "flotilla-lab", "-f", paths.privateKey])
        guard let publicKey = SmallFile.read(paths.privateKey + ".pub") else {
            throw LabError.systemCall(name: "read", subject: paths.privateKey + ".pub", errno: errno)
        }
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        let operatorPassword = String((0..<20).map { _ in alphabet.randomElement(using: &rng)! })
        try SmallFile.write(paths.operatorPasswordFile, operatorPassword + "\n", mode: 0o600)
        lap("lab key")

        progress("network: \(LabNetwork.vpcNamespace) with bridge \(LabNetwork.bridge) \(LabNetwork.gateway)/24")
        try await store.change { $0.namespaces.append(LabNetwork.vpcNamespace) }
        try await LabNetwork.createVPC()
        if let bastion = record.bastion {
            let behind = record.hosts.filter { record.isBehindBastion($0) }
            progress("bastion: \(bastion) is the only entry point; \(behind.count) hosts reachable only through it")
            try await LabNetwork.isolate(addresses: behind.map(\.address))
            try await startAgent(store: store)
        }
        lap("VPC namespace and bridge")

        progress("time server: chronyd -x at \(LabNetwork.timeServerAddress) and \(LabNetwork.upstream)")
        try await startTimeServer(image: image, store: store)
        lap("time server answering")

        try await Self.raiseInotifyLimit(hosts: options.hosts, progress: progress)
        progress("hosts: \(options.hosts) containers from the \(options.distro.rawValue) image")
        let hosts = await store.record.hosts
        let keys = try await withThrowingTaskGroup(of: (HostRecord, [String]).self) { group in
            for host in hosts {
                group.addTask { (host, try await self.prepare(host, store: store, publicKey: publicKey, operatorPassword: operatorPassword)) }
            }
            var out: [(HostRecord, [String])] = []
            for try await item in group { out.append(item) }
            return out.sorted { $0.0.index < $1.0.index }
        }
        try SmallFile.write(paths.knownHostsFile, LabInventory.knownHosts(keys.map { (host: $0.0, keys: $0.1) }))
        try SmallFile.write(paths.inventoryFile, LabInventory.yaml(hosts: hosts, paths: paths, bastion: record.bastionHost))
        lap("host namespaces, overlays, host keys")

        var containers: [LabProcess] = []
        for host in hosts {
            let process = try ContainerControl.start(host: host, log: paths.log(host.name))
            containers.append(process)
            try await store.change { $0.update(host.name) { $0.container = process } }
        }

        lap("containers started")
        progress("waiting for sshd on every host")
        let planned = await store.record
        try await withThrowingTaskGroup(of: Void.self) { group in
            for host in hosts {
                // Behind a bastion, from the bastion's namespace: the way the hosts are reached.
                let netns = planned.reachingNamespace(for: host)
                group.addTask {
                    _ = try await SSHBannerProbe.wait(
                        address: host.address, host: host.name, netns: netns, timeout: options.sshTimeout)
                }
            }
            try await group.waitForAll()
        }
        // sshd answers before boot has finished; until systemd-user-sessions removes /run/nologin, pam_nologin
        // refuses every user but root (admin's become path would fail right after `up`).
        for (host, process) in zip(hosts, containers) {
            if let note = try await ContainerControl.waitForUserLogins(process, timeout: options.sshTimeout) {
                progress("\(host.name): \(note)")
            }
        }
        lap("every sshd answering")
        // The upstream must answer where the hosts look for it.
        if let first = hosts.first {
            try await waitForTimeServer(netns: first.netns, address: LabNetwork.upstream)
        }
        let seconds = NamespaceThread.now() - start
        try await store.change {
            $0.phase = .ready
            $0.upSeconds = seconds
        }
        lap("upstream answering from a host")
        return (await store.record, timings)
    }

    /// The bastion topology's ssh-agent, holding the lab key: as with `ssh -J`, the login to a jump host uses
    /// the agent and ssh_config, never the target's `-i` key (the inventory's `ansible_ssh_private_key_file`).
    /// It runs in the VPC namespace (so `down`'s sweep finds it even without a record) and listens on
    /// `paths.agentSocket`; `lab exec` and `lab ssh` hand it to what they run as `SSH_AUTH_SOCK`.
    private func startAgent(store: RecordStore) async throws {
        let socket = paths.agentSocket
        unlink(socket)
        let process = try DetachedSpawn.start(
            ["nsenter", "--net=/run/netns/\(LabNetwork.vpcNamespace)", "ssh-agent", "-D", "-a", socket],
            log: paths.log("ssh-agent"), role: "ssh-agent (lab key)")
        try await store.change { $0.agent = process }
        let deadline = NamespaceThread.now() + 15
        while !SmallFile.exists(socket) {
            guard process.isAlive, NamespaceThread.now() < deadline else {
                throw LabError.hostCondition(host: "lab", reason: "ssh-agent did not open \(socket) (see \(paths.log("ssh-agent")))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await LocalCommand.run(["ssh-add", "-q", paths.privateKey], environment: ["SSH_AUTH_SOCK": socket])
    }

    /// One host: namespace and link, overlay, personal files. Returns its public host keys.
    private func prepare(_ host: HostRecord, store: RecordStore, publicKey: String, operatorPassword: String) async throws -> [String] {
        try await store.change {
            $0.namespaces.append(host.netns)
            $0.mounts.append(host.root)
        }
        try await LabNetwork.addNamespace(host.netns)
        try await LabNetwork.attach(
            netns: host.netns, port: host.bridgePort, addresses: ["\(host.address)/24"], upstreamRoute: true)
        try await HostProvisioner.mountOverlay(lowerDirs: host.lowerDirs, hostDir: paths.hostDir(host.name))
        return try await HostProvisioner.personalize(
            root: host.root, name: host.name, publicKey: publicKey, operatorPassword: operatorPassword)
    }

    /// chronyd from the image (a chrony layer), chrooted into its own overlay in the `flotilla-ntp` namespace,
    /// with `-x` so it never touches the clock, serving `local stratum 3` to the lab subnet.
    private func startTimeServer(image: LabImage, store: RecordStore) async throws {
        let ns = LabNetwork.timeServerNamespace
        let dir = paths.timeServerDir
        let root = HostProvisioner.directories(dir).root
        try await store.change {
            $0.namespaces.append(ns)
            $0.mounts.append(root)
        }
        try await LabNetwork.addNamespace(ns)
        try await LabNetwork.attach(
            netns: ns, port: "vntp", addresses: ["\(LabNetwork.timeServerAddress)/24", "\(LabNetwork.upstream)/32"],
            upstreamRoute: false)
        try await HostProvisioner.mountOverlay(lowerDirs: image.lowerDirs(.chronyDead), hostDir: dir)
        guard SmallFile.exists(root + "/usr/sbin/chronyd") else { throw LabError.imageIncomplete(path: root + "/usr/sbin/chronyd") }
        try SmallFile.write(root + "/etc/flotilla-timeserver.conf", """
            # The lab's upstream time server (flotilla lab). No upstream sources; never touches the clock (-x).
            local stratum 3
            allow \(LabNetwork.subnet)
            allow \(LabNetwork.upstream)/32
            cmdport 0
            driftfile /var/lib/chrony/flotilla-timeserver.drift
            pidfile /run/flotilla-timeserver.pid

            """)
        try SmallFile.makeDirectories(root + "/run")
        try SmallFile.makeDirectories(root + "/var/lib/chrony")
        let process = try DetachedSpawn.start([
            "nsenter", "--net=/run/netns/\(ns)", "chroot", root,
            "/usr/sbin/chronyd", "-x", "-d", "-f", "/etc/flotilla-timeserver.conf",
        ], log: paths.log("timeserver"), role: "time server (chronyd -x)")
        try await store.change { $0.processes.append(process) }
        try await waitForTimeServer(netns: LabNetwork.vpcNamespace, address: LabNetwork.timeServerAddress)
    }

    /// Polls the time server with a real NTP query from inside `netns` for up to 15 s.
    func waitForTimeServer(netns: String, address: String) async throws {
        let deadline = NamespaceThread.now() + 15
        var lastError: any Error = LabError.timeServerSilent(address: address, reason: "no answer")
        while NamespaceThread.now() < deadline {
            do {
                _ = try await NTPClient.query(server: address, netns: netns, timeout: 1)
                return
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        throw lastError
    }
}
