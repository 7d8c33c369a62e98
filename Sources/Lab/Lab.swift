#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The disposable lab fleet: `up`, `down`, `status`, `reboot` and faults. Every operation needs root and
/// takes the lab's lock file, so two `flotilla lab` commands never interleave.
public struct Lab: Sendable {
    public let paths: LabPaths
    /// The `flotilla` executable, used to run the lab's helper processes (the NTP responder of a skew fault
    /// and the dpkg lock holder) detached. nil: those faults are unavailable.
    public let helperExecutable: String?

    public init(paths: LabPaths, helperExecutable: String?) {
        self.paths = paths
        self.helperExecutable = helperExecutable
    }

    /// Throws `needsRoot` unless the effective user is root.
    public static func requireRoot() throws {
        guard geteuid() == 0 else { throw LabError.needsRoot }
    }

    /// The recorded lab, or nil when none is up.
    public func record() throws -> LabRecord? { try LabRecord.load(paths.stateFile) }

    /// Runs `body` holding the lab's lock (non-blocking: a second command fails at once with `busy`).
    func locked<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try Self.requireRoot()
        try SmallFile.makeDirectories(paths.root)
        let fd = open(paths.lockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LabError.systemCall(name: "open", subject: paths.lockFile, errno: errno) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { throw LabError.busy(lockFile: paths.lockFile) }
        return try await body()
    }

    /// Loads the record or throws `notUp`.
    func requireRecord() throws -> LabRecord {
        guard let record = try record() else { throw LabError.notUp(stateFile: paths.stateFile) }
        return record
    }
}

/// What `lab status` shows.
public struct LabStatus: Sendable {
    public struct Host: Sendable {
        public var record: HostRecord
        public var running: Bool
        public var faults: [String]
    }

    public var record: LabRecord
    public var hosts: [Host]
    public var timeServerRunning: Bool
}

extension Lab {
    public func status() throws -> LabStatus? {
        try Self.requireRoot()
        guard let record = try record() else { return nil }
        let hosts = record.hosts.map { h in
            LabStatus.Host(record: h, running: h.container?.isAlive ?? false, faults: h.faults)
        }
        return LabStatus(
            record: record, hosts: hosts, timeServerRunning: record.processes.contains { $0.isAlive })
    }
}

extension Lab {
    /// Builds the image of `distro` if it is missing (or always, with `rebuild`). A rebuild is refused while a
    /// lab runs on that image.
    public func image(
        _ distro: Distro, rebuild: Bool, progress: @escaping @Sendable (String) -> Void
    ) async throws -> ImageBuilder.Outcome {
        try await locked {
            if rebuild, let record = try record(), record.distro == distro {
                throw LabError.imageInUse(distro: distro.rawValue)
            }
            return try await ImageBuilder.ensure(paths: paths, distro: distro, rebuild: rebuild, progress: progress)
        }
    }
}
