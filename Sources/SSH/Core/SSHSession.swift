import CLibSSH2
public import FlotillaCore
import Foundation
import Glibc

/// One SSH connection to one host. All of its libssh2 state lives on one event loop thread; the async
/// methods hand operations to that loop and wait for them without blocking any thread.
///
/// Commands run one after another over the one connection (libssh2 cannot interleave packets of several
/// channels safely in non-blocking mode), and many sessions run at once across the loops.
public final class SSHSession: Connection, @unchecked Sendable {
    public let target: ConnectionTarget
    let loop: EventLoop
    let settings: SSHTransport.Options
    /// The jump host connection this session's socket goes through, kept open as long as this session is.
    /// Set once, before the session is handed out.
    nonisolated(unsafe) var carrier: JumpTunnel?
    /// The ProxyCommand process this session's socket goes to; ended and reaped with the session.
    nonisolated(unsafe) var proxyProcess: Int32?
    /// Where libssh2's disconnect callback leaves the server's last disconnect message (the session's abstract
    /// pointer); freed with the session object, after libssh2's session.
    let disconnectNote: UnsafeMutablePointer<flotilla_disconnect> = {
        let note = UnsafeMutablePointer<flotilla_disconnect>.allocate(capacity: 1)
        note.initialize(to: flotilla_disconnect())
        return note
    }()

    /// What the server said when it disconnected ("Too many authentication failures"...), if it said anything.
    var serverDisconnectMessage: String? {
        let text = withUnsafeBytes(of: disconnectNote.pointee.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return text.isEmpty ? nil : text
    }

    // Loop-confined state.
    var raw: OpaquePointer?
    var fd: Int32 = -1
    private var queue: [LoopOperation] = []
    private var current: LoopOperation?
    private var dead: (any Error)?
    private var keepaliveTimer: TimerID?
    private var closed = false
    /// The key exchange and host key algorithm libssh2 negotiated, for reports and benchmarks.
    public private(set) var negotiated: (kex: String, hostKey: String) = ("", "")

    func setNegotiated(kex: String, hostKey: String) { negotiated = (kex, hostKey) }

    init(target: ConnectionTarget, loop: EventLoop, settings: SSHTransport.Options) {
        self.target = target
        self.loop = loop
        self.settings = settings
    }

    deinit {
        // A session dropped without close(): release libssh2 and the socket on the loop thread (and the
        // disconnect note only after libssh2, whose callback may write to it).
        let note = UncheckedBox(disconnectNote)
        guard !closed, raw != nil || fd >= 0 else {
            note.value.deallocate()
            return
        }
        let raw = UncheckedBox(raw), fd = fd, loop = loop
        loop.execute {
            if fd >= 0 {
                loop.unwatch(fd)
                shutdown(fd, Int32(SHUT_RDWR))
            }
            if let session = raw.value { libssh2_session_free(session) }
            if fd >= 0 { Glibc.close(fd) }
            note.value.deallocate()
        }
    }

    // MARK: Running operations

    /// Runs `op` on the loop and waits for it; cancelling the caller's task cancels the operation.
    func perform<T: Sendable>(_ op: CallOperation<T>) async throws -> T {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                op.completion = { continuation.resume(with: $0) }
                loop.execute { self.enqueue(op) }
            }
        } onCancel: {
            loop.execute { self.cancel(op) }
        }
    }

    /// A plain call with a deadline error of its own.
    func call<T: Sendable>(
        _ phase: String, timeout: Duration?, interest: UInt32? = nil, cleanup: (() -> Void)? = nil,
        _ body: @escaping (SSHSession) -> CallStep<T>
    ) async throws -> T {
        let name = target.name
        let op = CallOperation<T>(
            timeout: timeout, interest: interest,
            onDeadline: { SSHError.deadline(host: name, phase: phase, limit: timeout ?? .zero) },
            cleanup: cleanup, body: body)
        return try await perform(op)
    }

    func enqueue(_ op: LoopOperation) {
        if let dead {
            op.fail(dead)
            return
        }
        if closed {
            op.fail(SSHError.closed(host: target.name))
            return
        }
        queue.append(op)
        if current == nil { drive() }
    }

    func cancel(_ op: LoopOperation) {
        if let index = queue.firstIndex(where: { $0 === op }) {
            queue.remove(at: index)
            _ = op.cancelled(self)
            return
        }
        guard current === op else { return }
        if op.cancelled(self) {
            finishCurrent(killing: op.abortKillsSession, reason: "cancelled")
        }
        drive()
    }

    /// Runs the current operation as far as it goes, then waits for the socket.
    func drive() {
        while true {
            if current == nil {
                guard !queue.isEmpty else {
                    scheduleKeepalive()
                    return
                }
                let next = queue.removeFirst()
                current = next
                loop.cancel(keepaliveTimer)
                keepaliveTimer = nil
                if let timeout = next.timeout {
                    next.timer = loop.schedule(at: .now + timeout) { [self] in deadlineReached(next) }
                }
            }
            guard let op = current else { return }
            if op.step(self) {
                loop.cancel(op.timer)
                current = nil
                continue
            }
            arm(op)
            return
        }
    }

    private func deadlineReached(_ op: LoopOperation) {
        guard current === op else { return }
        op.timer = nil
        if op.deadlineReached(self) {
            finishCurrent(killing: op.abortKillsSession, reason: "deadline")
        }
        drive()
    }

    private func finishCurrent(killing: Bool, reason: String) {
        if let op = current { loop.cancel(op.timer) }
        current = nil
        if killing {
            kill(SSHError.connectionLost(host: target.name, reason: "session abandoned (\(reason)) in the middle of a call"))
        }
    }

    private func arm(_ op: LoopOperation) {
        guard fd >= 0 else { return }
        var events: UInt32
        if let custom = op.interest(self) {
            events = custom
        } else {
            events = 0
            let directions = raw.map { libssh2_session_block_directions($0) } ?? 0
            if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= EPOLLIN.rawValue }
            if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= EPOLLOUT.rawValue }
            if events == 0 { events = EPOLLIN.rawValue }
        }
        loop.watch(fd, events: events) { [weak self] _ in self?.drive() }
    }

    /// The connection is unusable: fail everything and free libssh2's state.
    func kill(_ error: any Error) {
        guard dead == nil else { return }
        dead = error
        let pending = queue
        queue.removeAll()
        if let op = current {
            current = nil
            loop.cancel(op.timer)
            op.fail(error)
        }
        for op in pending { op.fail(error) }
        teardown()
    }

    /// Frees libssh2 and the socket. Shutting the socket down first makes every send fail at once, so
    /// `libssh2_session_free` cannot wait on a peer that stopped reading.
    func teardown() {
        loop.cancel(keepaliveTimer)
        keepaliveTimer = nil
        if fd >= 0 {
            loop.unwatch(fd)
            shutdown(fd, Int32(SHUT_RDWR))
        }
        if let session = raw {
            libssh2_session_free(session)
            raw = nil
        }
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
        if let pid = proxyProcess {
            proxyProcess = nil
            Self.end(pid)
        }
        closed = true
    }

    // MARK: Keepalive

    private func scheduleKeepalive() {
        guard keepaliveTimer == nil, let interval = settings.keepaliveInterval, raw != nil, dead == nil, !closed else { return }
        keepaliveTimer = loop.schedule(at: .now + interval) { [self] in
            keepaliveTimer = nil
            guard current == nil, queue.isEmpty, let session = raw else { return }
            var next: Int32 = 0
            let rc = libssh2_keepalive_send(session, &next)
            if rc < 0, rc != LibSSH2.eagain, LibSSH2.isFatalToSession(rc) {
                kill(SSHError.connectionLost(host: target.name, reason: "keepalive failed: \(LibSSH2.lastError(session).message)"))
                return
            }
            scheduleKeepalive()
        }
    }

    // MARK: Connection

    public func run(_ command: RemoteCommand) async throws -> CommandResult {
        let op = RunOperation(session: self, command: command, sink: nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CommandResult, any Error>) in
                op.completion = { continuation.resume(with: $0) }
                loop.execute { self.enqueue(op) }
            }
        } onCancel: {
            loop.execute { self.cancel(op) }
        }
    }

    /// Runs a command that answers `turns` over one channel, each prompt held back until the previous answer
    /// arrived and timed on the loop thread (see `RunOperation`).
    public func converse(_ command: RemoteCommand, turns: Turns) async throws -> Conversation {
        let op = RunOperation(session: self, command: command, turns: turns, sink: nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Conversation, any Error>) in
                op.completion = { [unowned op] result in
                    continuation.resume(with: result.map { Conversation(result: $0, turns: op.answeredTurns) })
                }
                loop.execute { self.enqueue(op) }
            }
        } onCancel: {
            loop.execute { self.cancel(op) }
        }
    }

    public func stream(_ command: RemoteCommand) -> AsyncThrowingStream<StreamEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<StreamEvent, any Error>.makeStream()
        let op = RunOperation(session: self, command: command, sink: { continuation.yield(.output($0)) })
        op.completion = { result in
            switch result {
            case .success(let result):
                continuation.yield(.exit(result.status))
                continuation.finish()
            case .failure(let error):
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { [loop] termination in
            if case .cancelled = termination { loop.execute { self.cancel(op) } }
        }
        loop.execute { self.enqueue(op) }
        return stream
    }

    public func close() async {
        let op = CallOperation<Void>(timeout: .seconds(2), onDeadline: { CancellationError() }) { session in
            guard let raw = session.raw else { return .done(()) }
            let rc = libssh2_session_disconnect_ex(raw, SSH_DISCONNECT_BY_APPLICATION, "closed by flotilla", "")
            return rc == LibSSH2.eagain ? .again : .done(())
        }
        op.completion = { _ in }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                guard !self.closed else { return continuation.resume() }
                if self.dead != nil {
                    self.closed = true
                    return continuation.resume()
                }
                op.completion = { _ in
                    self.loop.execute {
                        if self.dead == nil { self.teardown() }
                        continuation.resume()
                    }
                }
                self.enqueue(op)
            }
        }
    }
}

extension SSHSession {
    /// Ends a ProxyCommand process: its socket is closed already, so most commands have exited; SIGTERM the
    /// rest, and reap it on the blocking pool (never on the loop or the cooperative pool).
    static func end(_ pid: Int32) {
        Glibc.kill(pid, SIGTERM)
        Task { _ = try? await offload { LocalProcess.wait(pid) } }
    }
}

/// Carries a non-Sendable value across a hop to the loop thread that alone uses it.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
