import CLibSSH2
import FlotillaCore
import Glibc

/// A jump host's connection turned into a carrier of direct-tcpip channels (`ProxyJump`): every host behind it
/// gets one channel over this one login, however many hosts there are.
///
/// Each channel is joined to one end of a socket pair; the host's own session speaks SSH over the other end, on
/// its own loop, as if over TCP. This operation pumps bytes both ways on the jump session's loop and never ends
/// while the session lives.
///
/// libssh2's rule for non-blocking calls holds across channels too: when a call leaves a packet half-sent (EAGAIN
/// with the session blocked outbound), that very call is repeated before any other call that could send.
final class TunnelOperation: LoopOperation, @unchecked Sendable {
    /// A channel asked for: where to, which socket pair, whom to answer.
    final class Request {
        let host: [CChar]
        let hostName: String
        let port: Int32
        let targetName: String
        /// Our end of the socket pair, and the end handed to the host's session.
        let local: Int32
        let peer: Int32
        var completion: ((Result<Int32, any Error>) -> Void)?
        var timer: TimerID?
        /// Whether each end is still ours to close (a forward takes over `local`; the host's session `peer`).
        private var localOpen = true
        private var peerOpen = true

        init(host: String, port: Int, targetName: String, local: Int32, peer: Int32, completion: @escaping (Result<Int32, any Error>) -> Void) {
            self.host = Array(host.utf8CString)
            hostName = host
            self.port = Int32(port)
            self.targetName = targetName
            self.local = local
            self.peer = peer
            self.completion = completion
        }

        func answer(_ result: Result<Int32, any Error>) {
            let completion = self.completion
            self.completion = nil
            completion?(result)
        }

        func closeLocal() {
            if localOpen { Glibc.close(local) }
            localOpen = false
        }

        func closePeer() {
            if peerOpen { Glibc.close(peer) }
            peerOpen = false
        }

        /// The forward owns `local` from now on, and the host's session `peer`.
        func handOver(peerToo: Bool) {
            localOpen = false
            if peerToo { peerOpen = false }
        }
    }

    /// One open channel and its socket.
    final class Forward {
        let channel: OpaquePointer
        let fd: Int32
        /// Read from the socket, going into the channel (kept unchanged while a write of it is repeated).
        var up: [UInt8] = []
        var upSent = 0
        /// Read from the channel, going into the socket.
        var down: [UInt8] = []
        var downSent = 0
        var socketEnded = false
        var channelEnded = false
        var closing = false
        /// libssh2_channel_close has completed; only the free is left.
        var closeDone = false
        var closed = false

        init(channel: OpaquePointer, fd: Int32) {
            self.channel = channel
            self.fd = fd
        }
    }

    /// The call that must be repeated before anything else may send.
    private enum Pending {
        case open
        case write(Forward)
        case read(Forward)
        case close(Forward)
        case free(Forward)
    }

    private enum Outcome { case progressed, idle, blocked, failed(Int32) }

    let jumpName: String
    private var queue: [Request] = []
    private var opening: Request?
    private var abandonedOpen = false
    private var forwards: [Forward] = []
    private var pending: Pending?
    private(set) var failure: (any Error)?
    /// Keepalives of the jump session (its ServerAliveInterval): the session's own idle keepalives never run while
    /// this operation holds it, which is for good. Sent between calls, never while a call is half-sent.
    private var keepaliveTimer: TimerID?
    private var keepaliveDue = false
    private let buffer: ReadBuffer
    private static let chunk = 32 * 1024
    /// Bytes held for a socket before the channel is no longer read (its window then holds the rest back).
    private static let downLimit = 1 << 20

    init(jumpName: String, loop: EventLoop) {
        self.jumpName = jumpName
        self.loop = loop
        buffer = loop.readBuffer
        super.init()
    }

    override var abortKillsSession: Bool { true }

    /// Queues a channel request. Loop thread only.
    func submit(_ request: Request, session: SSHSession, limit: Duration) {
        if let failure {
            request.closeLocal()
            request.closePeer()
            request.answer(.failure(failure))
            return
        }
        request.timer = session.loop.schedule(at: .now + limit) { [weak self, weak request] in
            guard let self, let request, request.completion != nil else { return }
            request.timer = nil
            if let index = self.queue.firstIndex(where: { $0 === request }) {
                self.queue.remove(at: index)
                request.closeLocal()
            } else if self.opening === request {
                // libssh2 is half-way through opening it: the open goes on, and the channel is closed when it comes.
                self.abandonedOpen = true
            }
            request.closePeer()
            request.answer(.failure(SSHError.deadline(host: request.targetName, phase: "opening a channel through \(self.jumpName)", limit: limit)))
        }
        queue.append(request)
    }

    override func step(_ session: SSHSession) -> Bool {
        guard let raw = session.raw else {
            fail(SSHError.closed(host: jumpName))
            return true
        }
        if keepaliveDue, pending == nil {
            keepaliveDue = false
            // libssh2 sends one when the interval has passed since the last, and says when the next is due.
            var next: Int32 = 0
            let rc = libssh2_keepalive_send(raw, &next)
            if rc < 0, rc != LibSSH2.eagain, LibSSH2.isFatalToSession(rc) { return fatal(rc, raw, session) }
            scheduleKeepalive(session, after: .seconds(max(1, Int(next))))
        } else if keepaliveTimer == nil, !keepaliveDue, let interval = session.settings.keepaliveInterval {
            scheduleKeepalive(session, after: interval)
        }
        var progressed = true
        while progressed {
            progressed = false
            if let call = pending {
                switch repeatCall(call, raw) {
                case .progressed, .idle: pending = nil; progressed = true
                case .blocked: return rearm(session)
                case .failed(let code):
                    if LibSSH2.isFatalToSession(code) { return fatal(code, raw, session) }
                    pending = nil
                    progressed = true
                }
                continue
            }
            switch openNext(raw) {
            case .progressed: progressed = true
            case .blocked: return rearm(session)
            case .failed(let code) where LibSSH2.isFatalToSession(code): return fatal(code, raw, session)
            case .idle, .failed: break
            }
            for forward in forwards where !forward.closed {
                switch pump(forward, raw) {
                case .progressed: progressed = true
                case .blocked: return rearm(session)
                case .failed(let code) where LibSSH2.isFatalToSession(code): return fatal(code, raw, session)
                case .idle, .failed: break
                }
            }
            forwards.removeAll { $0.closed }
        }
        return rearm(session)
    }

    // MARK: Calls

    private func openNext(_ raw: OpaquePointer) -> Outcome {
        if opening == nil {
            guard !queue.isEmpty else { return .idle }
            opening = queue.removeFirst()
            abandonedOpen = false
        }
        guard let request = opening else { return .idle }
        let channel = request.host.withUnsafeBufferPointer {
            libssh2_channel_direct_tcpip_ex(raw, $0.baseAddress, request.port, "127.0.0.1", 22)
        }
        guard let channel else {
            let (code, message) = LibSSH2.lastError(raw)
            if code == LibSSH2.eagain {
                if blockedOutbound(raw) {
                    pending = .open
                    return .blocked
                }
                return .idle
            }
            opening = nil
            request.closeLocal()
            request.closePeer()
            loopCancel(request)
            request.answer(.failure(SSHError.connect(
                host: request.targetName, address: request.hostName, port: Int(request.port),
                reason: "the jump host \(jumpName) could not open a channel to it: \(message)")))
            return .failed(code)
        }
        opening = nil
        let forward = Forward(channel: channel, fd: request.local)
        forwards.append(forward)
        if abandonedOpen || request.completion == nil {
            request.handOver(peerToo: false)
            request.closePeer()
            forward.closing = true
        } else {
            request.handOver(peerToo: true)
            loopCancel(request)
            request.answer(.success(request.peer))
        }
        return .progressed
    }

    private func repeatCall(_ call: Pending, _ raw: OpaquePointer) -> Outcome {
        switch call {
        case .open: return openNext(raw)
        case .write(let f): return writeUp(f, raw)
        case .read(let f): return readDown(f, raw)
        case .close(let f), .free(let f): return finishClose(f, raw)
        }
    }

    /// One round for a channel: socket to channel, channel to socket, and the close when either side ended.
    private func pump(_ f: Forward, _ raw: OpaquePointer) -> Outcome {
        if f.closing { return finishClose(f, raw) }
        var progressed = false
        if f.up.isEmpty, !f.socketEnded {
            let n = read(f.fd, buffer.pointer, Self.chunk)
            if n > 0 {
                f.up = Array(UnsafeRawBufferPointer(start: buffer.pointer, count: n))
                f.upSent = 0
                progressed = true
            } else if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                f.socketEnded = true
                progressed = true
            }
        }
        if !f.up.isEmpty {
            switch writeUp(f, raw) {
            case .blocked: return .blocked
            case .failed(let code): return failed(f, code)
            case .progressed: progressed = true
            case .idle: break
            }
        }
        if f.down.count - f.downSent < Self.downLimit, !f.channelEnded {
            switch readDown(f, raw) {
            case .blocked: return .blocked
            case .failed(let code): return failed(f, code)
            case .progressed: progressed = true
            case .idle: break
            }
        }
        if f.downSent < f.down.count {
            let n = f.down.withUnsafeBytes { write(f.fd, $0.baseAddress! + f.downSent, f.down.count - f.downSent) }
            if n > 0 {
                f.downSent += n
                if f.downSent == f.down.count {
                    f.down = []
                    f.downSent = 0
                }
                progressed = true
            } else if n < 0, errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR {
                // The host's session is gone.
                f.socketEnded = true
                f.down = []
                f.downSent = 0
            }
        }
        // The host's session closed its socket, or the far side closed the channel and all of it was delivered.
        if (f.socketEnded && f.up.isEmpty) || (f.channelEnded && f.down.isEmpty) {
            f.closing = true
            return finishClose(f, raw)
        }
        return progressed ? .progressed : .idle
    }

    private func writeUp(_ f: Forward, _ raw: OpaquePointer) -> Outcome {
        let length = min(f.up.count - f.upSent, Self.chunk)
        guard length > 0 else { return .idle }
        let rc = f.up.withUnsafeBufferPointer { bytes in
            bytes.baseAddress!.advanced(by: f.upSent).withMemoryRebound(to: CChar.self, capacity: length) {
                libssh2_channel_write_ex(f.channel, 0, $0, length)
            }
        }
        if rc > 0 {
            f.upSent += rc
            if f.upSent == f.up.count {
                f.up = []
                f.upSent = 0
            }
            return .progressed
        }
        if rc == Int(LibSSH2.eagain) {
            if blockedOutbound(raw) {
                pending = .write(f)
                return .blocked
            }
            return .idle
        }
        if rc == 0 { return .idle }
        return .failed(Int32(rc))
    }

    private func readDown(_ f: Forward, _ raw: OpaquePointer) -> Outcome {
        var progressed = false
        while true {
            let rc = libssh2_channel_read_ex(f.channel, 0, buffer.pointer, ReadBuffer.size)
            if rc > 0 {
                f.down.append(contentsOf: UnsafeRawBufferPointer(start: buffer.pointer, count: rc))
                progressed = true
                if f.down.count - f.downSent >= Self.downLimit { break }
                continue
            }
            if rc == Int(LibSSH2.eagain), blockedOutbound(raw) {
                // A window adjustment is half-sent: only this read may go on.
                pending = .read(f)
                return .blocked
            }
            if rc < 0, rc != Int(LibSSH2.eagain) { return .failed(Int32(rc)) }
            break
        }
        if libssh2_channel_eof(f.channel) == 1, !f.channelEnded {
            f.channelEnded = true
            progressed = true
        }
        return progressed ? .progressed : .idle
    }

    private func failed(_ f: Forward, _ code: Int32) -> Outcome {
        if LibSSH2.isFatalToSession(code) { return .failed(code) }
        // This channel alone failed: drop it; its host's session sees its socket end.
        f.closing = true
        f.down = []
        f.downSent = 0
        return .progressed
    }

    /// Closes the channel (repeating the call while libssh2 wants), frees it and closes our socket end.
    private func finishClose(_ f: Forward, _ raw: OpaquePointer) -> Outcome {
        if !f.closeDone {
            let rc = libssh2_channel_close(f.channel)
            if rc == LibSSH2.eagain {
                if blockedOutbound(raw) {
                    pending = .close(f)
                    return .blocked
                }
                return .idle
            }
            if rc < 0, LibSSH2.isFatalToSession(rc) { return .failed(rc) }
            f.closeDone = true
        }
        let rc = libssh2_channel_free(f.channel)
        if rc == LibSSH2.eagain {
            pending = .free(f)
            return blockedOutbound(raw) ? .blocked : .idle
        }
        f.closed = true
        closeSocket(f.fd)
        return .progressed
    }

    // MARK: Bookkeeping

    private func blockedOutbound(_ raw: OpaquePointer) -> Bool {
        libssh2_session_block_directions(raw) & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0
    }

    private let loop: EventLoop

    /// Watches each channel's socket for what it can do next; the jump session's own socket is armed by the
    /// session after this returns.
    private func rearm(_ session: SSHSession) -> Bool {
        for f in forwards where !f.closed {
            var events: UInt32 = 0
            if f.up.isEmpty, !f.socketEnded { events |= EPOLLIN.rawValue }
            if f.downSent < f.down.count { events |= EPOLLOUT.rawValue }
            if events != 0 {
                session.loop.watch(f.fd, events: events) { [weak session] _ in session?.drive() }
            }
        }
        return false
    }

    private func scheduleKeepalive(_ session: SSHSession, after delay: Duration) {
        guard failure == nil, session.settings.keepaliveInterval != nil else { return }
        loop.cancel(keepaliveTimer)
        keepaliveTimer = loop.schedule(at: .now + delay) { [weak self, weak session] in
            guard let self, let session, self.failure == nil else { return }
            self.keepaliveTimer = nil
            self.keepaliveDue = true
            session.drive()
        }
    }

    private func fatal(_ code: Int32, _ raw: OpaquePointer, _ session: SSHSession) -> Bool {
        fail(SSHError.connectionLost(host: jumpName, reason: "as a jump host: \(LibSSH2.lastError(raw).message) (libssh2 \(code))"))
        session.loop.execute { session.kill(self.failure!) }
        return true
    }

    /// The jump connection is gone: every waiting request fails, every channel's socket closes (libssh2 frees the
    /// channels with the session).
    override func fail(_ error: any Error) {
        failure = error
        loop.cancel(keepaliveTimer)
        keepaliveTimer = nil
        let waiting = queue + (opening.map { [$0] } ?? [])
        queue = []
        opening = nil
        for request in waiting {
            loopCancel(request)
            request.closeLocal()
            request.closePeer()
            request.answer(.failure(error))
        }
        for f in forwards where !f.closed {
            f.closed = true
            closeSocket(f.fd)
        }
        forwards = []
    }

    private func loopCancel(_ request: Request) {
        loop.cancel(request.timer)
        request.timer = nil
    }

    private func closeSocket(_ fd: Int32) {
        loop.unwatch(fd)
        Glibc.close(fd)
    }
}

/// A jump host's session carrying channels for the hosts behind it.
final class JumpTunnel: Sendable {
    let session: SSHSession
    private let operation: UncheckedBox<TunnelOperation>

    init(session: SSHSession) {
        self.session = session
        let operation = TunnelOperation(jumpName: session.target.name, loop: session.loop)
        self.operation = UncheckedBox(operation)
        session.loop.execute { session.enqueue(operation) }
    }

    /// No host uses the jump connection any more (the transport and every session behind it are gone): end it.
    deinit {
        let session = self.session
        session.loop.execute { session.kill(SSHError.closed(host: session.target.name)) }
    }

    /// A socket that reaches `host:port` through the jump host (for `target`'s session to speak SSH over).
    func open(host: String, port: Int, for target: String, limit: Duration) async throws -> Int32 {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SSHError.connect(host: target, address: host, port: port, reason: "socketpair: \(String(cString: strerror(errno)))")
        }
        let operation = self.operation
        let session = self.session
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
            let request = TunnelOperation.Request(
                host: host, port: port, targetName: target, local: fds[0], peer: fds[1],
                completion: { continuation.resume(with: $0) })
            session.loop.execute {
                operation.value.submit(request, session: session, limit: limit)
                session.drive()
            }
        }
    }
}
