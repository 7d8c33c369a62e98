public import FlotillaCore

/// One executable step of a change: a small closed set the apply engine runs in order over `Connection.run`.
///
/// Every step knows its exact remote commands (`commands`), so apply needs no knowledge of packages, units
/// or files: it runs the commands, stops the host at the first failing one, and records which step failed.
public enum Step: Sendable, Codable, Hashable, CustomStringConvertible {
    /// A program with its arguments (environment settings go in front through `env`).
    case exec(argv: [String], timeoutSeconds: Int)
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
        case .writeFile(let path, let content, let mode, let owner, let group, let backup):
            "write \(path) (\(content.utf8.count) bytes, \(mode) \(owner):\(group)\(backup ? ", backup kept" : ""))"
        case .removeFile(let path, let backup): "remove \(path)\(backup ? " (backup kept)" : "")"
        case .makeDirectory(let path, let mode): "mkdir -p -m \(mode) \(path)"
        case .systemctl(let verb, let unit): "systemctl \(verb.rawValue)" + (unit.map { " \($0)" } ?? "")
        }
    }
}
