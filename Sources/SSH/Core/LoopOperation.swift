import CLibSSH2
import FlotillaCore

/// A unit of work on a session, run on the session's loop thread. `step` re-runs the same libssh2 call until
/// it stops returning EAGAIN; the session re-arms the socket in between.
class LoopOperation: @unchecked Sendable {
    /// When the whole operation must be over; the session starts the timer when the operation starts.
    var timeout: Duration?
    var timer: TimerID?

    /// Runs as far as possible. Returns true when the operation has finished (and completed its caller).
    func step(_ session: SSHSession) -> Bool { true }

    /// The epoll events to wait for instead of libssh2's block directions (TCP connect waits for EPOLLOUT).
    func interest(_ session: SSHSession) -> UInt32? { nil }

    /// The deadline passed. Returns true when the operation finished; false to keep stepping (cleanup).
    func deadlineReached(_ session: SSHSession) -> Bool { true }

    /// The caller's task was cancelled. Returns true when the operation finished.
    func cancelled(_ session: SSHSession) -> Bool { true }

    /// The session died under the operation. Must complete the caller.
    func fail(_ error: any Error) {}

    /// Whether aborting this operation halfway leaves the session unusable (true for every call that is
    /// part of connecting; a command's channel can be closed on its own).
    var abortKillsSession: Bool { true }
}

/// One step's outcome for a plain call.
enum CallStep<T> {
    case again
    case done(T)
    case failed(any Error)
}

/// A plain libssh2 call (or short sequence) retried until it stops returning EAGAIN.
final class CallOperation<T: Sendable>: LoopOperation, @unchecked Sendable {
    private let body: (SSHSession) -> CallStep<T>
    private let onDeadline: () -> any Error
    var completion: ((Result<T, any Error>) -> Void)?
    private let customInterest: UInt32?
    /// Runs once when the call ends, however it ends, on the loop thread and before the session can be freed.
    private var cleanup: (() -> Void)?

    init(
        timeout: Duration?, interest: UInt32? = nil, onDeadline: @escaping () -> any Error,
        cleanup: (() -> Void)? = nil, body: @escaping (SSHSession) -> CallStep<T>
    ) {
        self.body = body
        self.cleanup = cleanup
        self.onDeadline = onDeadline
        self.customInterest = interest
        super.init()
        self.timeout = timeout
    }

    override func interest(_ session: SSHSession) -> UInt32? { customInterest }

    override func step(_ session: SSHSession) -> Bool {
        switch body(session) {
        case .again: return false
        case .done(let value): finish(.success(value))
        case .failed(let error): finish(.failure(error))
        }
        return true
    }

    override func deadlineReached(_ session: SSHSession) -> Bool {
        finish(.failure(onDeadline()))
        return true
    }

    override func cancelled(_ session: SSHSession) -> Bool {
        finish(.failure(CancellationError()))
        return true
    }

    override func fail(_ error: any Error) { finish(.failure(error)) }

    private func finish(_ result: Result<T, any Error>) {
        cleanup?()
        cleanup = nil
        let completion = self.completion
        self.completion = nil
        completion?(result)
    }
}
