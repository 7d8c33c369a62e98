import Foundation

/// Everything that can go wrong in the Engine module outside a host (a host's failure is data in its
/// `HostReport`, never one of these).
public enum EngineError: Error, Sendable, CustomStringConvertible {
    /// The journal database could not be opened, migrated, read or written.
    case journal(path: String, operation: String, reason: String)
    /// `--resume` named a run the journal does not hold.
    case noSuchRun(id: Int64, path: String)
    /// `--resume` without a run id, and no run is left to resume; `retriable` is the newest run, when it
    /// completed with failed or unreachable hosts (`--retry-failed` retries them).
    case nothingToResume(path: String, retriable: Int64? = nil)
    /// `--retry-failed`: the journal holds no run (`id` nil), or the run has nothing to retry, and why.
    case nothingToRetry(id: Int64?, path: String, reason: String)
    /// The run cannot be resumed (still running under another controller, or already completed).
    case notResumable(id: Int64, reason: String)
    /// The playbook changed since the run being resumed was started.
    case playbookChanged(id: Int64, file: String)
    /// A host the journal lists for the run is missing from the inventory given now.
    case unknownHosts(id: Int64, hosts: [String])
    /// A batch size or a failure budget given on the command line could not be read.
    case badRolloutSetting(option: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .journal(let path, let operation, let reason):
            "journal \(path): cannot \(operation): \(reason)"
        case .noSuchRun(let id, let path):
            "journal \(path) has no run \(id); `flotilla runs` lists the runs"
        case .nothingToResume(let path, nil):
            "journal \(path) holds no interrupted or stopped run to resume"
        case .nothingToResume(let path, let retriable?):
            "journal \(path) holds no interrupted or stopped run to resume; run \(retriable) completed with failed or unreachable hosts: "
                + "`flotilla apply --retry-failed \(retriable) -i INVENTORY` retries them with fresh facts and a fresh plan"
        case .nothingToRetry(nil, let path, let reason):
            "journal \(path) has nothing to retry: \(reason)"
        case .nothingToRetry(let id?, _, let reason):
            "run \(id) has nothing to retry: \(reason)"
        case .notResumable(let id, let reason):
            "run \(id) cannot be resumed: \(reason)"
        case .playbookChanged(let id, let file):
            "\(file) changed since run \(id) started; resuming would mix two playbooks: start a new apply (converged hosts change nothing)"
        case .unknownHosts(let id, let hosts):
            "run \(id) included \(hosts.joined(separator: ", ")), which the inventory given now does not have"
        case .badRolloutSetting(let option, let value, let expected):
            "\(option) \(value): expected \(expected)"
        }
    }
}
