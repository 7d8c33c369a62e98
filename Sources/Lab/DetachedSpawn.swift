#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Starts long-lived lab processes (containers, the time server, NTP responders, lock holders) in a session
/// of their own, so they outlive the `flotilla` process that started them and get no terminal signals.
/// Output goes to a log file; no other descriptor of ours is inherited. While this process lives, a dedicated thread reaps the child so it never
/// lingers as a zombie; after this process exits, init adopts it.
enum DetachedSpawn {
    /// glibc's POSIX_SPAWN_SETSID (not exported to Swift).
    private static let spawnSetsid: Int16 = 0x80

    static func start(_ argv: [String], log: String, role: String) throws -> LabProcess {
        precondition(!argv.isEmpty)
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)
        // Nothing else is inherited: a detached process outlives us, and an inherited descriptor would keep its
        // file held for as long (an `flock FILE flotilla lab up` held FILE's lock until `lab down`).
        closeFrom3(&fileActions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | spawnSetsid)

        var env = ProcessInfo.processInfo.environment
        env["PATH"] = LocalCommand.systemPath
        let envStrings = env.map { "\($0.key)=\($0.value)" }
        let executable = argv[0].hasPrefix("/") ? argv[0] : resolve(argv[0])

        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = envStrings.map { strdup($0) } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        let rc = posix_spawn(&pid, executable, &fileActions, &attributes, cArgs, cEnv)
        guard rc == 0 else { throw LabError.spawnFailed(command: LocalCommand.display(argv), errno: rc) }
        let child = pid
        let reaper = Thread {
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        }
        reaper.name = "flotilla-reaper-\(pid)"
        reaper.start()
        let start = ProcStat(pid: child)?.startTime ?? 0
        return LabProcess(pid: child, startTime: start, role: role)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later, so Debian 12 and later; Swift's Glibc
    /// module does not export it). Without it (an older glibc) descriptors are inherited as before.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }

    /// Closes every descriptor from 3 up in the child.
    private static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) {
        _ = addCloseFrom?(&actions, 3)
    }

    /// The absolute path of a system tool.
    static func resolve(_ name: String) -> String {
        for dir in LocalCommand.systemPath.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return name
    }
}
