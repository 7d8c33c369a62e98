import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starting and stopping one host's systemd-nspawn container.
enum ContainerControl {
    /// Boots the container detached (its own session; output in the host's log). Never CAP_SYS_TIME.
    static func start(host: HostRecord, log: String) throws -> LabProcess {
        try DetachedSpawn.start([
            "systemd-nspawn", "-D", host.root, "-M", host.name, "--boot", "--register=no", "--keep-unit",
            "--network-namespace-path=/run/netns/\(host.netns)", "--console=passive",
            "--drop-capability=CAP_SYS_TIME", "--link-journal=no", "--resolv-conf=off", "--timezone=off",
        ], log: log, role: "nspawn \(host.name)")
    }

    /// Stops the container: SIGTERM to nspawn (an orderly poweroff of the container), then after `grace`
    /// seconds SIGKILL to nspawn and to the container's init, which ends every process of its PID namespace.
    static func stop(_ process: LabProcess, grace: Double = 15) async {
        guard process.isAlive else { return }
        let inits = children(of: process.pid)
        process.signal(SIGTERM)
        let deadline = NamespaceThread.now() + grace
        while process.isAlive && NamespaceThread.now() < deadline {
            try? await Task.sleep(for: .milliseconds(100))
        }
        guard process.isAlive else { return }
        for child in inits { child.signal(SIGKILL) }
        process.signal(SIGKILL)
        let hardDeadline = NamespaceThread.now() + 5
        while (process.isAlive || inits.contains(where: \.isAlive)) && NamespaceThread.now() < hardDeadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The direct children of `pid` (the container's init is nspawn's child).
    static func children(of pid: Int32) -> [LabProcess] {
        SmallFile.list("/proc").compactMap { Int32($0) }.compactMap { child in
            guard let stat = ProcStat(pid: child), stat.ppid == pid else { return nil }
            return LabProcess(pid: child, startTime: stat.startTime, role: "container init")
        }
    }

    /// Waits until the container's boot lets users other than root log in: `/run/nologin` (seen through
    /// `/proc/INIT/root`, the container's own mount namespace) is gone. Returns at once when the container's
    /// init cannot be found (nothing to wait for that this check could see).
    ///
    /// On this machine kind a container's systemd-user-sessions.service sometimes fails while many containers
    /// boot at once (their systemd instances share one cgroup), and then /run/nologin stays for good: admin and
    /// operator could never log in. After `grace` seconds the file is removed here, which is all that unit's
    /// `systemd-user-sessions start` does, and the returned text says so.
    static func waitForUserLogins(_ container: LabProcess, timeout: Double, grace: Double = 20) async throws -> String? {
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int64(timeout * 1000))
        while ContinuousClock.now < deadline {
            let children = (try? String(contentsOfFile: "/proc/\(container.pid)/task/\(container.pid)/children", encoding: .utf8)) ?? ""
            guard let initPID = children.split(separator: " ").first.flatMap({ Int32($0) }) else { return nil }
            let nologin = "/proc/\(initPID)/root/run/nologin"
            if !FileManager.default.fileExists(atPath: nologin) { return nil }
            if start.duration(to: .now) > .milliseconds(Int64(grace * 1000)), unlink(nologin) == 0 {
                return "/run/nologin was still there \(Int(grace)) s after sshd answered (systemd-user-sessions did not run); removed it as that unit does"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }
}
