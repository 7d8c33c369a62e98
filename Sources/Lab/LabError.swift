/// Everything that can go wrong while building, running or tearing down the lab.
public enum LabError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The lab needs root: it creates network namespaces, mounts and containers.
    case needsRoot
    /// A local command exited unsuccessfully; carries the command line, its status and the tail of its stderr.
    case commandFailed(command: String, status: String, stderr: String)
    /// A local command could not be started at all.
    case spawnFailed(command: String, errno: Int32)
    /// The requested distribution cannot be built here, with the reason.
    case unsupportedDistro(name: String, reason: String)
    /// No Debian mirror was found in this machine's apt sources (the files that were read are listed).
    case noMirror(searched: [String])
    /// A `--mix` specification is malformed: the offending item and why.
    case badMix(spec: String, item: String, reason: String)
    /// The number of hosts is outside what the lab's /24 can hold.
    case badHostCount(Int)
    /// A lab is already up (with its size); `lab down` first.
    case alreadyUp(hosts: Int)
    /// An earlier `up` did not finish (it crashed or was killed); its intent log is at `stateFile`.
    case unfinished(hosts: Int, stateFile: String)
    /// No lab is up (the state file is missing).
    case notUp(stateFile: String)
    /// The named host is not part of the lab.
    case unknownHost(String)
    /// The state file exists but cannot be read: path and reason.
    case corruptState(path: String, reason: String)
    /// A host did not answer SSH on port 22 in time.
    case sshTimeout(host: String, address: String, seconds: Int)
    /// The lab's time server at the given address did not answer NTP.
    case timeServerSilent(address: String, reason: String)
    /// An NTP packet could not be parsed: why.
    case badNTPPacket(reason: String)
    /// A system call failed: which one, on what, and errno.
    case systemCall(name: String, subject: String, errno: Int32)
    /// Another `flotilla lab` command holds the lab's lock file.
    case busy(lockFile: String)
    /// The image is missing a file the lab needs (the image is incomplete: rebuild it).
    case imageIncomplete(path: String)
    /// The operation does not fit the host's current condition (for example starting a host that is running).
    case hostCondition(host: String, reason: String)
    /// The image is in use by a running lab and cannot be rebuilt now.
    case imageInUse(distro: String)
    /// A fault argument is invalid (for example a negative dpkg-lock duration).
    case badFault(host: String, reason: String)

    public var description: String {
        switch self {
        case .needsRoot:
            return "flotilla lab needs root: it creates network namespaces and containers"
        case .commandFailed(let command, let status, let stderr):
            let tail = stderr.split(separator: "\n").suffix(8).joined(separator: "\n")
            return "`\(command)` failed (\(status))" + (tail.isEmpty ? "" : ":\n\(tail)")
        case .spawnFailed(let command, let errno):
            return "could not start `\(command)` (errno \(errno))"
        case .unsupportedDistro(let name, let reason):
            return "distro \(name) is not available: \(reason)"
        case .noMirror(let searched):
            return "no Debian mirror found in apt sources (read: \(searched.joined(separator: ", ")))"
        case .badMix(let spec, let item, let reason):
            return "--mix \(spec): \(item): \(reason)"
        case .badHostCount(let n):
            return "--hosts \(n): the lab holds 1 to 200 hosts"
        case .alreadyUp(let hosts):
            return "a lab of \(hosts) hosts is already up; run `flotilla lab down` first"
        case .unfinished(let hosts, let stateFile):
            return "an earlier `lab up` of \(hosts) hosts did not finish (\(stateFile)); run `flotilla lab down` first"
        case .notUp(let stateFile):
            return "no lab is up (\(stateFile) does not exist); run `flotilla lab up`"
        case .unknownHost(let name):
            return "\(name): no such host in the lab"
        case .corruptState(let path, let reason):
            return "\(path): unreadable lab state (\(reason)); `flotilla lab down` still cleans up by name"
        case .sshTimeout(let host, let address, let seconds):
            return "\(host) (\(address)): no SSH banner on port 22 after \(seconds) s"
        case .timeServerSilent(let address, let reason):
            return "lab time server \(address) does not answer NTP: \(reason)"
        case .badNTPPacket(let reason):
            return "bad NTP packet: \(reason)"
        case .systemCall(let name, let subject, let errno):
            return "\(name)(\(subject)) failed: errno \(errno)"
        case .busy(let lockFile):
            return "another flotilla lab command is running (\(lockFile) is locked)"
        case .imageIncomplete(let path):
            return "\(path) is missing: the image is incomplete, rebuild it with `flotilla lab image --rebuild`"
        case .hostCondition(let host, let reason):
            return "\(host): \(reason)"
        case .imageInUse(let distro):
            return "the \(distro) image is in use by the running lab; run `flotilla lab down` before rebuilding it"
        case .badFault(let host, let reason):
            return "\(host): \(reason)"
        }
    }
}
