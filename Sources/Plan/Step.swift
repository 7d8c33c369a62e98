public import FlotillaCore
public import Facts

/// One executable step of a change: a small closed set the apply engine runs in order over `Connection.run`.
///
/// Every step knows its exact remote commands (`commands`), so apply needs no knowledge of packages, units
/// or files: it runs the commands, stops the host at the first failing one, and records which step failed.
public enum Step: Sendable, Codable, Hashable, CustomStringConvertible {
    /// A program with its arguments (environment settings go in front through `env`).
    case exec(argv: [String], timeoutSeconds: Int)
    /// One call of the host's package tool; the settings apply may change (apt's lock wait) are typed fields.
    case package(call: PackageCall)
    /// Writes a whole file atomically (temporary file in the same directory, then rename), keeping the old
    /// one as `PATH.flotilla-backup` when `backup` is set.
    case writeFile(path: String, content: String, mode: String, owner: String, group: String, backup: Bool)
    /// Removes a file, keeping it as `PATH.flotilla-backup` when `backup` is set. Absent already is fine.
    case removeFile(path: String, backup: Bool)
    /// `mkdir -p` with a mode for the directories it creates.
    case makeDirectory(path: String, mode: String)
    /// `systemctl VERB [UNIT]`.
    case systemctl(verb: SystemctlVerb, unit: String?)

    public enum SystemctlVerb: String, Sendable, Codable, Hashable {
        case start, stop, restart, reload, enable, disable, mask, unmask
        case daemonReload = "daemon-reload"
        case resetFailed = "reset-failed"
    }

    /// The suffix of backups.
    public static let backupSuffix = ".flotilla-backup"

    /// The remote commands, in order, without `become` (apply adds the connection's).
    public var commands: [RemoteCommand] {
        switch self {
        case .exec(let argv, let timeout):
            return [RemoteCommand(.argv(argv), timeout: .seconds(timeout))]
        case .package(let call):
            return [RemoteCommand(.argv(call.argv), timeout: .seconds(call.timeoutSeconds))]
        case .writeFile(let path, let content, let mode, let owner, let group, let backup):
            var out: [RemoteCommand] = []
            if backup { out.append(Self.backupCommand(path)) }
            var write = RemoteCommand(
                .argv(["sh", "-c", AtomicWrite.script, "flotilla-write", path, mode, owner + ":" + group]),
                stdin: Array(content.utf8), timeout: .seconds(60))
            write.outputLimit = 64 << 10
            out.append(write)
            return out
        case .removeFile(let path, let backup):
            var out: [RemoteCommand] = []
            if backup { out.append(Self.backupCommand(path)) }
            out.append(RemoteCommand(.argv(["rm", "-f", "--", path]), timeout: .seconds(30)))
            return out
        case .makeDirectory(let path, let mode):
            return [RemoteCommand(.argv(["mkdir", "-p", "-m", mode, "--", path]), timeout: .seconds(30))]
        case .systemctl(let verb, let unit):
            return [RemoteCommand(.argv(["systemctl", verb.rawValue] + (unit.map { ["--", $0] } ?? [])), timeout: .seconds(120))]
        }
    }

    static func backupCommand(_ path: String) -> RemoteCommand {
        RemoteCommand(
            .argv(["sh", "-c", "if [ -e \"$1\" ]; then cp -p -- \"$1\" \"$1$2\"; fi", "flotilla-backup", path, backupSuffix]),
            timeout: .seconds(30))
    }

    /// One line for people: what the step does.
    public var description: String {
        switch self {
        case .exec(let argv, _): ShellQuote.join(argv)
        case .package(let call): ShellQuote.join(call.argv)
        case .writeFile(let path, let content, let mode, let owner, let group, let backup):
            "write \(path) (\(content.utf8.count) bytes, \(mode) \(owner):\(group)\(backup ? ", backup kept" : ""))"
        case .removeFile(let path, let backup): "remove \(path)\(backup ? " (backup kept)" : "")"
        case .makeDirectory(let path, let mode): "mkdir -p -m \(mode) \(path)"
        case .systemctl(let verb, let unit): "systemctl \(verb.rawValue)" + (unit.map { " \($0)" } ?? "")
        }
    }

    /// The program and arguments run, for the steps that are one program (`exec`, `package`).
    public var argv: [String]? {
        switch self {
        case .exec(let argv, _): argv
        case .package(let call): call.argv
        default: nil
        }
    }

    /// The step with apt's wait for a package database lock held by another process set to `seconds`
    /// (`apply --lock-wait`); every other step, and package tools without such a setting, unchanged.
    public func withLockWait(seconds: Int) -> Step {
        guard case .package(var call) = self, call.lockWaitSeconds != nil else { return self }
        call.lockWaitSeconds = max(0, seconds)
        return .package(call: call)
    }
}

/// A call of the host's package tool (`apt-get`, `dnf`, `yum`): what it does and the settings apply may change,
/// as values; `argv` renders the command line.
public struct PackageCall: Sendable, Codable, Hashable {
    public var manager: PackageManager
    /// `install`, `remove`, `purge`.
    public var verb: String
    /// Options after the verb (`--download-only`, `--purge`).
    public var flags: [String]
    /// Package names; a name ending in `-` is removed by an apt `install` (one transaction for both).
    public var names: [String]
    /// apt's `DPkg::Lock::Timeout` (apt 1.9.11 and later, so Debian 11+ and Ubuntu 20.04+): how long it waits for a
    /// lock another process holds. nil for tools without such a setting.
    public var lockWaitSeconds: Int?
    public var timeoutSeconds: Int

    public init(manager: PackageManager, verb: String, flags: [String] = [], names: [String], lockWaitSeconds: Int? = nil, timeoutSeconds: Int = 600) {
        self.manager = manager
        self.verb = verb
        self.flags = flags
        self.names = names
        self.lockWaitSeconds = lockWaitSeconds
        self.timeoutSeconds = timeoutSeconds
    }

    public var argv: [String] {
        switch manager {
        case .apt:
            return [
                "env", "DEBIAN_FRONTEND=noninteractive", "NEEDRESTART_MODE=a", "UCF_FORCE_CONFFOLD=1", "apt-get", "-y", "-q",
            ] + (lockWaitSeconds.map { ["-o", "DPkg::Lock::Timeout=\($0)"] } ?? []) + [
                "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", verb,
            ] + flags + ["--"] + names
        case .yum:
            return ["yum", "-y", "-q", verb] + flags + ["--"] + names
        case .dnf, .unknown:
            return ["dnf", "-y", "-q", verb] + flags + ["--"] + names
        }
    }
}
