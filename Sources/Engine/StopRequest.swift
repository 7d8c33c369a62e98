import Synchronization

/// A polite stop: the batch in flight finishes, no new one starts (the CLI's first Ctrl-C).
public final class StopRequest: Sendable {
    private let state = Mutex<String?>(nil)

    public init() {}

    /// Asks the run to start no new batch; `reason` ends up in the journal.
    public func request(_ reason: String) {
        state.withLock { if $0 == nil { $0 = reason } }
    }

    public var reason: String? { state.withLock { $0 } }
}
