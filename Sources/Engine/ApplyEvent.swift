/// Progress of a run, as it happens (the CLI turns it into a live display or JSON lines).
public enum ApplyEvent: Sendable {
    /// The journal holds the run under this id.
    case runStarted(id: Int64, resumed: Bool)
    /// A play begins: its hosts and batch sizes.
    case playStarted(index: Int, name: String, hosts: Int, batches: [Int])
    case batchStarted(playIndex: Int, batch: Int, of: Int, hosts: [String])
    case hostFinished(HostReport)
    case batchFinished(playIndex: Int, batch: Int, failures: Int)
    /// No new batch starts, and why (the failure budget, or the operator).
    case stopping(reason: String)
}
