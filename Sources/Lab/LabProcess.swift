#if canImport(Glibc)
import Glibc
#endif

/// A process the lab started, identified by PID and start time so that a recycled PID is never mistaken
/// for it (and never signalled).
public struct LabProcess: Sendable, Hashable, Codable {
    public var pid: Int32
    /// Field 22 of /proc/PID/stat (start time in clock ticks since boot).
    public var startTime: UInt64
    /// What it is, for `lab status` and messages ("nspawn node01", "ntp responder node03"...).
    public var role: String

    public init(pid: Int32, startTime: UInt64, role: String) {
        self.pid = pid
        self.startTime = startTime
        self.role = role
    }

    /// True while this very process exists and is not a zombie.
    public var isAlive: Bool {
        guard let stat = ProcStat(pid: pid) else { return false }
        return stat.startTime == startTime && stat.state != "Z" && stat.state != "X"
    }

    /// Sends `signal` if (and only if) the PID still names this process.
    @discardableResult
    public func signal(_ sig: Int32) -> Bool {
        guard isAlive else { return false }
        return kill(pid, sig) == 0
    }
}

/// The fields of /proc/PID/stat the lab uses.
struct ProcStat: Sendable {
    var state: Character
    var ppid: Int32
    var startTime: UInt64

    init?(pid: Int32) {
        guard let text = SmallFile.read("/proc/\(pid)/stat") else { return nil }
        // The command name (field 2) is in parentheses and may contain spaces: parse after the last ')'.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let rest = text[text.index(after: close)...].split(separator: " ")
        // rest[0] is field 3 (state); field 22 is rest[19].
        guard rest.count > 19, let ppid = Int32(rest[1]), let start = UInt64(rest[19]) else { return nil }
        state = rest[0].first ?? "?"
        self.ppid = ppid
        startTime = start
    }
}
