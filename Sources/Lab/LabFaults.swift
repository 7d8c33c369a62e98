#if canImport(Glibc)
import Glibc
#endif
import Foundation

extension Lab {
    /// Injects (or removes) a fault on one host. Returns a sentence saying what is now in effect.
    @discardableResult
    public func fault(_ hostName: String, _ fault: LabFault) async throws -> String {
        try await locked {
            let record = try requireRecord()
            let host = try record.host(hostName)
            let store = RecordStore(record, path: paths.stateFile)
            switch fault {
            case .skew(let seconds):
                try await setSkew(host, seconds: seconds, store: store)
                return seconds == 0 ? "\(host.name): upstream skew removed"
                    : "\(host.name): upstream \(LabNetwork.upstream) now answers \(seconds) s off"
            case .down:
                if let c = host.container { await ContainerControl.stop(c) }
                try await store.change { $0.update(host.name) { $0.container = nil; $0.stopped = true } }
                return "\(host.name): stopped (disk kept)"
            case .up:
                if host.container?.isAlive == true { return "\(host.name): already running" }
                let seconds = try await boot(host, store: store)
                return "\(host.name): running, sshd answered after \(String(format: "%.1f", seconds)) s"
            case .partition:
                try await LabNetwork.setPort(host.bridgePort, up: false)
                try await store.change { $0.update(host.name) { $0.partitioned = true } }
                return "\(host.name): link cut"
            case .heal:
                try await LabNetwork.setPort(host.bridgePort, up: true)
                if host.skew != nil { try await setSkew(host, seconds: 0, store: store) }
                try await store.change { $0.update(host.name) { $0.partitioned = false } }
                var healed = "link restored, no skew"
                if host.mirrorDown == true {
                    try await setMirror(host, down: false, store: store)
                    healed += ", apt's cache back"
                }
                for unit in host.failingStarts ?? [] {
                    try await setFailStart(host, unit: unit, failing: false, store: store)
                    healed += ", \(unit) starts again"
                }
                if let lock = host.dpkgLock, lock.isAlive {
                    _ = await terminate([lock])
                    try await store.change { $0.update(host.name) { $0.dpkgLock = nil; $0.dpkgLockUntil = nil } }
                    healed += ", dpkg lock released"
                }
                return "\(host.name): " + healed
            case .dpkgLock(let seconds):
                try await holdDpkgLock(host, seconds: seconds, store: store)
                return "\(host.name): dpkg lock held for \(seconds) s"
            case .mirrorDown:
                try await setMirror(host, down: true, store: store)
                return "\(host.name): package mirror down (apt's cached .debs moved to \(Self.mirrorStash); heal puts them back)"
            case .failStart(let unit):
                try await setFailStart(host, unit: unit, failing: true, store: store)
                return "\(host.name): \(unit) fails to start after the host's next daemon-reload (ExecStartPre=/bin/false in \(Self.failStartDropIn(unit)))"
            }
        }
    }

    /// Restarts a host keeping its disk: orderly stop, boot, wait for sshd. Returns seconds until sshd answered.
    @discardableResult
    public func reboot(_ hostName: String) async throws -> Double {
        try await locked {
            let record = try requireRecord()
            let host = try record.host(hostName)
            if host.stopped { throw LabError.hostCondition(host: host.name, reason: "is down; use `lab fault \(host.name) up`") }
            let store = RecordStore(record, path: paths.stateFile)
            if let c = host.container { await ContainerControl.stop(c) }
            try await store.change { $0.update(host.name) { $0.container = nil } }
            return try await boot(host, store: store)
        }
    }

    private func boot(_ host: HostRecord, store: RecordStore) async throws -> Double {
        guard MountTable.isMounted(host.root) else {
            throw LabError.hostCondition(host: host.name, reason: "its overlay \(host.root) is not mounted")
        }
        let process = try ContainerControl.start(host: host, log: paths.log(host.name))
        try await store.change { $0.update(host.name) { $0.container = process; $0.stopped = false } }
        let waitSSH = !host.partitioned
        guard waitSSH else { return 0 }
        // Behind a bastion, from the bastion's namespace (the VPC's has no route to the host).
        let netns = await store.record.reachingNamespace(for: host)
        return try await SSHBannerProbe.wait(address: host.address, host: host.name, netns: netns, timeout: 120)
    }

    private func helper() throws -> String {
        guard let helperExecutable, SmallFile.exists(helperExecutable) else {
            throw LabError.hostCondition(
                host: "lab", reason: "this fault runs a helper process and needs the flotilla executable (got \(helperExecutable ?? "none"))")
        }
        return helperExecutable
    }

    /// Gives 169.254.169.123 to the host namespace's `lo`, so the host's packets to its upstream stay local,
    /// and answers them with `flotilla lab ntp-responder --offset S` in that namespace.
    private func setSkew(_ host: HostRecord, seconds: Double, store: RecordStore) async throws {
        if let old = host.skewResponder { _ = await terminate([old]) }
        let upstream = "\(LabNetwork.upstream)/32"
        if seconds == 0 {
            _ = try await LocalCommand.capture(["ip", "-n", host.netns, "addr", "del", upstream, "dev", "lo"])
            try await store.change { $0.update(host.name) { $0.skew = nil; $0.skewResponder = nil } }
            return
        }
        let exe = try helper()
        try await LocalCommand.run(["ip", "-n", host.netns, "addr", "replace", upstream, "dev", "lo"])
        let process = try DetachedSpawn.start([
            exe, "lab", "ntp-responder", "--offset", "\(seconds)", "--listen", LabNetwork.upstream, "--netns", host.netns,
        ], log: paths.log("responder-\(host.name)"), role: "ntp responder \(host.name)")
        try await store.change { $0.update(host.name) { $0.skew = seconds; $0.skewResponder = process } }
        // It answers, with the offset asked for.
        let deadline = NamespaceThread.now() + 10
        while true {
            if let sample = try? await NTPClient.query(server: LabNetwork.upstream, netns: host.netns, timeout: 0.5),
               abs(sample.offset - seconds) < 0.5 {
                return
            }
            guard process.isAlive, NamespaceThread.now() < deadline else {
                throw LabError.hostCondition(
                    host: host.name, reason: "the NTP responder did not answer (log: \(paths.log("responder-\(host.name)")))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Where `mirror-down` keeps the host's cached .debs (outside apt's directories, so `apt-get clean` leaves them).
    static let mirrorStash = "/var/lib/flotilla-lab-fault/archives"

    static func failStartDropIn(_ unit: String) -> String { "/etc/systemd/system/\(unit).d/zz-flotilla-lab-fault.conf" }

    /// The lab's hosts have no route to a mirror: what they install comes from apt's cache. Moving the cached
    /// .debs aside leaves apt with nothing but a mirror it cannot reach ("Unable to fetch some archives").
    private func setMirror(_ host: HostRecord, down: Bool, store: RecordStore) async throws {
        let archives = host.root + "/var/cache/apt/archives"
        let stash = host.root + Self.mirrorStash
        let script = down
            ? "set -e; mkdir -p \"$2\"; for f in \"$1\"/*.deb; do [ -e \"$f\" ] && mv -f \"$f\" \"$2\"/; done; true"
            : "set -e; for f in \"$2\"/*.deb; do [ -e \"$f\" ] && mv -f \"$f\" \"$1\"/; done; true"
        try await LocalCommand.run(["sh", "-c", script, "flotilla-lab-mirror", archives, stash])
        try await store.change { $0.update(host.name) { $0.mirrorDown = down ? true : nil } }
    }

    private func setFailStart(_ host: HostRecord, unit: String, failing: Bool, store: RecordStore) async throws {
        let path = host.root + Self.failStartDropIn(unit)
        if failing {
            // Through LocalCommand (a process on the blocking pool), not file calls on the cooperative pool.
            let content = "# flotilla lab fault fail-start: \(unit) cannot start until `flotilla lab fault \(host.name) heal`.\n[Service]\nExecStartPre=/bin/false\n"
            try await LocalCommand.run([
                "sh", "-c", "mkdir -p -- \"$(dirname -- \"$1\")\" && printf '%s' \"$2\" > \"$1\"", "flotilla-lab-fail-start", path, content,
            ])
        } else {
            try await LocalCommand.run(["rm", "-f", "--", path])
        }
        try await store.change {
            $0.update(host.name) { h in
                var units = (h.failingStarts ?? []).filter { $0 != unit }
                if failing { units.append(unit) }
                h.failingStarts = units.isEmpty ? nil : units
            }
        }
    }

    private func holdDpkgLock(_ host: HostRecord, seconds: Double, store: RecordStore) async throws {
        let exe = try helper()
        if let old = host.dpkgLock, old.isAlive { _ = await terminate([old]) }
        let process = try DetachedSpawn.start([
            exe, "lab", "hold-dpkg-lock", "--root", host.root, "--seconds", "\(seconds)",
        ], log: paths.log("dpkg-lock-\(host.name)"), role: "dpkg lock \(host.name)")
        let until = Date().timeIntervalSince1970 + seconds
        try await store.change { $0.update(host.name) { $0.dpkgLock = process; $0.dpkgLockUntil = until } }
        let deadline = NamespaceThread.now() + 10
        while !DpkgLock.isHeld(root: host.root) {
            guard process.isAlive, NamespaceThread.now() < deadline else {
                throw LabError.hostCondition(
                    host: host.name, reason: "the dpkg lock holder did not take the lock (log: \(paths.log("dpkg-lock-\(host.name)")))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
