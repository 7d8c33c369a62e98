#if canImport(Glibc)
import Glibc
#endif

/// What `lab down` removed.
public struct LabDownReport: Sendable {
    public var containersStopped: Int = 0
    public var processesKilled: Int = 0
    public var mountsRemoved: Int = 0
    public var namespacesRemoved: Int = 0
    /// Mount points that could only be detached lazily (still busy).
    public var lazyUnmounts: [String] = []
    public var nothingToDo: Bool {
        containersStopped == 0 && processesKilled == 0 && mountsRemoved == 0 && namespacesRemoved == 0
    }
}

extension Lab {
    /// Removes the lab: containers (orderly, then forced), helper processes, any process left in the lab's
    /// namespaces, overlay mounts, namespaces (and with them every veth and the bridge), and the lab directory.
    /// Works from the record, then sweeps by the lab's names, so it also cleans a crashed or half-finished
    /// `up`. Idempotent. The image cache is kept.
    public func down() async throws -> LabDownReport {
        try await locked {
            var report = LabDownReport()
            let record = try? LabRecord.load(paths.stateFile)

            // 1. Containers, in parallel: SIGTERM, bounded wait, SIGKILL.
            let containers = (record?.hosts ?? []).compactMap(\.container).filter(\.isAlive)
            await withTaskGroup(of: Void.self) { group in
                for c in containers { group.addTask { await ContainerControl.stop(c, grace: 10) } }
            }
            report.containersStopped = containers.count

            // 2. Helper processes the record knows: time server, ssh-agent, responders, lock holders.
            var helpers = (record?.processes ?? []) + [record?.agent].compactMap { $0 }
            for h in record?.hosts ?? [] { helpers += [h.skewResponder, h.dpkgLock].compactMap { $0 } }
            report.processesKilled += await terminate(helpers.filter(\.isAlive))

            // 3. Sweep: any process still inside a lab namespace or chrooted under the lab directory.
            report.processesKilled += await terminate(strayProcesses(namespaces: Set(
                (record?.namespaces ?? []) + LabNetwork.existingNamespaces())))

            // 4. Mounts, deepest first; lazy as a last resort.
            var mounts = Set(MountTable.mountPoints(under: paths.labDir))
            for m in record?.mounts ?? [] where MountTable.isMounted(m) { mounts.insert(m) }
            for m in mounts.sorted(by: { $0.count > $1.count }) {
                let r = try await LocalCommand.capture(["umount", m])
                if !r.succeeded {
                    try await LocalCommand.run(["umount", "-l", m])
                    report.lazyUnmounts.append(m)
                }
                report.mountsRemoved += 1
            }

            // 5. Namespaces (deleting the VPC namespace removes the bridge and every veth pair).
            let namespaces = Set((record?.namespaces ?? []).filter(LabNetwork.isLabNamespace) + LabNetwork.existingNamespaces())
            for ns in namespaces.sorted() where SmallFile.exists("/run/netns/\(ns)") {
                try await LabNetwork.deleteNamespace(ns)
                report.namespacesRemoved += 1
            }

            // 6. nspawn's per-machine propagation directories, then the lab directory itself.
            for h in record?.hosts ?? [] {
                let dir = "/run/systemd/nspawn/propagate/\(h.name)"
                if SmallFile.isDirectory(dir) { _ = try? await LocalCommand.capture(["rm", "-rf", "--one-file-system", dir]) }
            }
            if MountTable.mountPoints(under: paths.labDir).isEmpty && SmallFile.exists(paths.labDir) {
                try await LocalCommand.run(["rm", "-rf", "--one-file-system", paths.labDir])
            }
            return report
        }
    }

    /// Processes inside the lab's network namespaces, or whose root directory is under the lab directory.
    func strayProcesses(namespaces: Set<String>) -> [LabProcess] {
        let inodes = Set(namespaces.compactMap { SmallFile.inode("/run/netns/\($0)") })
        let me = getpid()
        var out: [LabProcess] = []
        for entry in SmallFile.list("/proc") {
            guard let pid = Int32(entry), pid != me, pid > 1, let stat = ProcStat(pid: pid) else { continue }
            var match = false
            if let net = SmallFile.inode("/proc/\(pid)/ns/net"), inodes.contains(net) { match = true }
            if !match, let root = readLink("/proc/\(pid)/root"), root.hasPrefix(paths.labDir + "/") { match = true }
            if match { out.append(LabProcess(pid: pid, startTime: stat.startTime, role: "stray")) }
        }
        return out
    }

    /// SIGTERM, up to 3 s, then SIGKILL; returns how many there were.
    func terminate(_ processes: [LabProcess]) async -> Int {
        guard !processes.isEmpty else { return 0 }
        for p in processes { p.signal(SIGTERM) }
        let deadline = NamespaceThread.now() + 3
        while processes.contains(where: \.isAlive) && NamespaceThread.now() < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for p in processes where p.isAlive { p.signal(SIGKILL) }
        let hard = NamespaceThread.now() + 3
        while processes.contains(where: \.isAlive) && NamespaceThread.now() < hard {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return processes.count
    }
}

func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink(path, &buffer, buffer.count - 1)
    guard n > 0 else { return nil }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
