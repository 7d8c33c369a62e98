import CLibSSH2
import FlotillaCore

/// Runs one command on its own channel: open, exec, feed stdin while draining stdout and stderr, then
/// close and collect the exit status. With `Turns`, stdin goes on in turns after the command's own input: each
/// prompt is written only once the previous one was answered with a line on stdout, and timed here, on the loop
/// thread, so no hop through the task scheduler widens a turn's window.
///
/// The traps from docs (libssh2-notes.md) are handled here: both streams are always drained (they share one
/// window); a read of 0 is not the end, `libssh2_channel_eof` is; the exit status is trusted only after EOF
/// and a completed close, otherwise it is `.unknown`, never a false 0.
///
/// With a become password, stdin waits for `SudoHandshake`: the password goes out only when sudo asks for it,
/// and the command's own stdin only after the command has started as the become user.
final class RunOperation: LoopOperation, @unchecked Sendable {
    private enum Phase { case open, exec, io, close, waitClosed, free, done }

    private let hostName: String
    private let line: [CChar]
    /// The bytes being written: the command's stdin first, then one prompt at a time.
    private var pending: [UInt8]
    /// With a become password: the command's stdin, held until sudo has let the command start.
    private var held: [UInt8] = []
    private var sudo: SudoHandshake?
    /// Set when sudo neither asked for the password nor started the command within `handshakeLimit`.
    private var handshakeExpired = false
    private var handshakeTimer: TimerID?
    static let handshakeLimit = Duration.seconds(30)
    private var tracker: TurnTracker?
    private let limit: Int
    private let sink: ((OutputChunk) -> Void)?
    var completion: ((Result<CommandResult, any Error>) -> Void)?

    private var phase = Phase.open
    private var channel: OpaquePointer?
    private var written = 0
    private var inputDone: Bool
    private var stdout: [UInt8] = []
    private var stderr: [UInt8] = []
    private var truncated = false
    private var started = ContinuousClock.now
    private var begun = false
    private var statusKnown = false
    private var timedOut = false
    private var wasCancelled = false
    private var graceTimer: TimerID?
    private let loopBuffer: ReadBuffer
    private let loop: EventLoop
    private let becomeUser: String?
    private let sessionPointer: UncheckedBox<() -> OpaquePointer?>

    private static let window: UInt32 = 2 * 1024 * 1024
    private static let packet: UInt32 = 32768
    private static let readSize = 64 * 1024

    init(session: SSHSession, command: RemoteCommand, turns: Turns? = nil, sink: ((OutputChunk) -> Void)?) {
        let wire = command.wire()
        hostName = session.target.name
        line = Array(wire.line.utf8CString.dropLast())
        sudo = wire.sudo
        if sudo != nil {
            pending = []
            held = wire.stdin ?? []
        } else {
            pending = wire.stdin ?? []
        }
        tracker = turns.map(TurnTracker.init)
        inputDone = false
        limit = command.outputLimit
        self.sink = sink
        loopBuffer = session.loop.readBuffer
        loop = session.loop
        becomeUser = command.become?.user
        sessionPointer = UncheckedBox({ [weak session] in session?.raw })
        super.init()
        timeout = command.timeout
    }

    /// The turns answered so far (read on the loop thread, e.g. in `completion`).
    var answeredTurns: [Turn] { tracker?.answered ?? [] }

    /// Set when a deadline or cancellation struck while libssh2 was half-way through opening the channel.
    private var abandonedMidCall = false

    override var abortKillsSession: Bool { abandonedMidCall }

    override func step(_ session: SSHSession) -> Bool {
        guard let raw = session.raw else {
            fail(SSHError.closed(host: hostName))
            return true
        }
        if !begun {
            begun = true
            started = .now
            if sudo != nil {
                handshakeTimer = session.loop.schedule(at: .now + Self.handshakeLimit) { [weak self, weak session] in
                    guard let self, let session, self.phase != .done else { return }
                    self.handshakeTimer = nil
                    self.handshakeExpired = true
                    session.drive()
                }
            }
        }
        while true {
            switch phase {
            case .open:
                guard let opened = libssh2_channel_open_ex(raw, "session", 7, Self.window, Self.packet, nil, 0) else {
                    let (code, message) = LibSSH2.lastError(raw)
                    if code == LibSSH2.eagain { return false }
                    return failSession(session, code: code, operation: "opening a channel", message: message)
                }
                channel = opened
                phase = .exec

            case .exec:
                let rc = line.withUnsafeBufferPointer {
                    libssh2_channel_process_startup(channel, "exec", 4, $0.baseAddress, UInt32($0.count))
                }
                if rc == LibSSH2.eagain { return false }
                if rc < 0 { return failSession(session, code: rc, operation: "starting the command", message: LibSSH2.lastError(raw).message) }
                phase = .io

            case .io:
                var progressed = false
                if !inputDone {
                    switch feedInput(raw) {
                    case .progressed: progressed = true
                    case .blockedOnSend: return false
                    case .blockedOnWindow, .awaitingAnswer, .finished: break
                    case .failed(let code):
                        return failSession(session, code: code, operation: "sending stdin", message: LibSSH2.lastError(raw).message)
                    }
                }
                for stream: Int32 in [0, SSH_EXTENDED_DATA_STDERR] {
                    switch drain(stream) {
                    case .progressed: progressed = true
                    case .idle: break
                    case .failed(let code):
                        if LibSSH2.isFatalToSession(code) {
                            return failSession(session, code: code, operation: "reading output", message: LibSSH2.lastError(raw).message)
                        }
                        // The channel failed on its own: stop reading, the status stays unknown.
                        phase = .free
                    }
                }
                if phase == .free { continue }
                if libssh2_channel_eof(channel) == 1 {
                    phase = .close
                    continue
                }
                if progressed { continue }
                return false

            case .close:
                let rc = libssh2_channel_close(channel)
                if rc == LibSSH2.eagain { return false }
                if rc < 0 {
                    if LibSSH2.isFatalToSession(rc) { return failSession(session, code: rc, operation: "closing the channel", message: LibSSH2.lastError(raw).message) }
                    phase = .free
                    continue
                }
                phase = timedOut || wasCancelled ? .free : .waitClosed

            case .waitClosed:
                let rc = libssh2_channel_wait_closed(channel)
                if rc == LibSSH2.eagain {
                    // Output after EOF still has to be drained or the close never arrives.
                    _ = drain(0)
                    _ = drain(SSH_EXTENDED_DATA_STDERR)
                    return false
                }
                if rc < 0 {
                    if LibSSH2.isFatalToSession(rc) { return failSession(session, code: rc, operation: "waiting for the channel to close", message: LibSSH2.lastError(raw).message) }
                    phase = .free
                    continue
                }
                statusKnown = true
                phase = .free

            case .free:
                let status = exitStatus()
                finishHandshake()
                if let channel {
                    let rc = libssh2_channel_free(channel)
                    if rc == LibSSH2.eagain { return false }
                }
                channel = nil
                phase = .done
                session.loop.cancel(graceTimer)
                if wasCancelled {
                    finish(.failure(CancellationError()))
                } else {
                    // The host's `timeout` wrapper (see RemoteCommand) exits 124 when it ended the command: if that
                    // exit arrives before this side's deadline fires (a busy loop thread), it is the same timeout.
                    let elapsed = started.duration(to: .now)
                    let hostTimedOut = status == .exited(124) && timeout.map { elapsed >= $0 } == true
                    finish(.success(CommandResult(
                        status: timedOut || hostTimedOut ? .timedOut : status, stdout: stdout, stderr: stderr,
                        truncated: truncated, duration: elapsed)))
                }
                return true

            case .done:
                return true
            }
        }
    }

    private enum InputStep { case progressed, blockedOnSend, blockedOnWindow, awaitingAnswer, finished, failed(Int32) }

    private func feedInput(_ raw: OpaquePointer) -> InputStep {
        if sudo?.started == false, written == pending.count {
            if let password = sudo!.takePassword() {
                pending = password
                written = 0
            } else if sudo!.state == .refused || handshakeExpired {
                // Never a second try: close stdin and let sudo give up with its own message.
                return sendEOF(raw)
            } else {
                return .awaitingAnswer
            }
        } else if sudo?.started == true, !held.isEmpty, written == pending.count {
            pending = held
            held = []
            written = 0
        }
        if written == pending.count, tracker?.wantsPrompt == true {
            // Timed before the first write attempt: the window can only come out wider, never narrower.
            tracker!.promptSent()
            pending = tracker!.turns.prompt
            written = 0
        }
        if written < pending.count {
            // The same pointer and length on every retry, as libssh2 requires after EAGAIN.
            let length = min(pending.count - written, Int(Self.packet))
            let rc = pending.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.advanced(by: written).withMemoryRebound(to: CChar.self, capacity: length) {
                    libssh2_channel_write_ex(channel, 0, $0, length)
                }
            }
            if rc > 0 {
                written += rc
                return .progressed
            }
            if rc == Int(LibSSH2.eagain) { return blocked(raw) }
            if rc == 0 { return .blockedOnWindow }
            if isChannelGone(Int32(rc)) {
                // The command exited without reading all its input: not an error of ours.
                inputDone = true
                return .finished
            }
            return .failed(Int32(rc))
        }
        if let tracker, !tracker.finished { return .awaitingAnswer }
        if sudo?.started == false { return .awaitingAnswer }
        return sendEOF(raw)
    }

    private func sendEOF(_ raw: OpaquePointer) -> InputStep {
        let rc = libssh2_channel_send_eof(channel)
        if rc == LibSSH2.eagain { return blocked(raw) }
        if rc < 0, !isChannelGone(rc) { return .failed(rc) }
        inputDone = true
        return .progressed
    }

    /// After EAGAIN on a send: when a packet is half-sent (libssh2 wants to write), nothing else may send
    /// before it, so reads wait too; when only the window is full, reading goes on.
    private func blocked(_ raw: OpaquePointer) -> InputStep {
        libssh2_session_block_directions(raw) & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 ? .blockedOnSend : .blockedOnWindow
    }

    private func isChannelGone(_ code: Int32) -> Bool {
        code == LIBSSH2_ERROR_CHANNEL_CLOSED || code == LIBSSH2_ERROR_CHANNEL_EOF_SENT
    }

    private enum DrainStep { case progressed, idle, failed(Int32) }

    private func drain(_ stream: Int32) -> DrainStep {
        guard let channel else { return .idle }
        var progressed = false
        let buffer = loopBuffer
        while true {
            let rc = libssh2_channel_read_ex(channel, stream, buffer.pointer, ReadBuffer.size)
            if rc > 0 {
                progressed = true
                let chunk = UnsafeRawBufferPointer(start: buffer.pointer, count: rc)
                keep(chunk, stderr: stream != 0)
                continue
            }
            if rc == 0 || rc == Int(LibSSH2.eagain) { return progressed ? .progressed : .idle }
            return .failed(Int32(rc))
        }
    }

    private func keep(_ chunk: UnsafeRawBufferPointer, stderr isStderr: Bool) {
        if sudo != nil {
            // sudo's prompts and the ready line are the handshake's, never the command's output.
            let wasStarted = sudo!.started
            let passed = isStderr ? sudo!.stderr(chunk) : sudo!.stdout(chunk)
            if !wasStarted, sudo!.started {
                loop.cancel(handshakeTimer)
                handshakeTimer = nil
            }
            if !passed.isEmpty { passed.withUnsafeBytes { keepCommandOutput($0, stderr: isStderr) } }
            return
        }
        keepCommandOutput(chunk, stderr: isStderr)
    }

    private func keepCommandOutput(_ chunk: UnsafeRawBufferPointer, stderr isStderr: Bool) {
        if !isStderr, tracker != nil { tracker!.stdout(chunk) }
        if let sink {
            sink(isStderr ? .stderr(Array(chunk)) : .stdout(Array(chunk)))
            return
        }
        let room = max(0, limit - (isStderr ? stderr.count : stdout.count))
        if chunk.count > room { truncated = true }
        let kept = chunk.prefix(room)
        if isStderr { stderr.append(contentsOf: kept) } else { stdout.append(contentsOf: kept) }
    }

    /// Hands over what the handshake still held, and says why sudo got no password when it asked.
    private func finishHandshake() {
        guard var handshake = sudo else { return }
        loop.cancel(handshakeTimer)
        handshakeTimer = nil
        let (out, err) = handshake.flush()
        var note = ""
        if handshake.state == .refused {
            note = "flotilla: sudo asked for the password of \(becomeUser ?? "root")'s become a second time: the password was refused, and was not sent again\n"
        } else if handshakeExpired, !handshake.started {
            note = "flotilla: sudo neither asked for the password with Flotilla's prompt nor started the command within \(Self.handshakeLimit.seconds) s\n"
        }
        sudo = nil
        if !out.isEmpty { out.withUnsafeBytes { keepCommandOutput($0, stderr: false) } }
        let extra = err + Array(note.utf8)
        if !extra.isEmpty { extra.withUnsafeBytes { keepCommandOutput($0, stderr: true) } }
    }

    private func exitStatus() -> ExitStatus {
        guard statusKnown, let channel else { return .unknown }
        var signal: UnsafeMutablePointer<CChar>?
        var signalLength = 0
        let rc = libssh2_channel_get_exit_signal(channel, &signal, &signalLength, nil, nil, nil, nil)
        if rc == 0, let signal, signalLength > 0 {
            let name = String(decoding: UnsafeRawBufferPointer(start: signal, count: signalLength), as: UTF8.self)
            libssh2_free(sessionPointer.value(), signal)
            return .signaled(name)
        }
        return .exited(libssh2_channel_get_exit_status(channel))
    }

    private func failSession(_ session: SSHSession, code: Int32, operation: String, message: String) -> Bool {
        let error: SSHError = LibSSH2.isFatalToSession(code)
            ? .connectionLost(host: hostName, reason: "\(operation): \(message)")
            : .protocolError(host: hostName, operation: operation, code: code, message: message)
        finish(.failure(error))
        if LibSSH2.isFatalToSession(code) {
            // The caller is completed; the session is gone for every later command too.
            session.loop.execute { session.kill(error) }
        } else if let channel {
            libssh2_channel_free(channel)
            self.channel = nil
        }
        phase = .done
        return true
    }

    override func deadlineReached(_ session: SSHSession) -> Bool {
        timedOut = true
        return stopEarly(session)
    }

    override func cancelled(_ session: SSHSession) -> Bool {
        wasCancelled = true
        return stopEarly(session)
    }

    /// Closes the channel without waiting for the command; if even the close cannot be sent within two
    /// seconds, the connection is given up.
    private func stopEarly(_ session: SSHSession) -> Bool {
        switch phase {
        case .open, .exec:
            // Half-way through opening: libssh2 keeps that state in the session, so only dropping the
            // session is clean.
            let error: any Error = wasCancelled ? CancellationError() : SSHError.deadline(host: hostName, phase: "starting the command", limit: timeout ?? .zero)
            finish(wasCancelled ? .failure(error) : .success(CommandResult(status: .timedOut, stdout: stdout, stderr: stderr, truncated: truncated, duration: started.duration(to: .now))))
            phase = .done
            abandonedMidCall = true
            return true
        case .io, .waitClosed:
            phase = .close
        case .close, .free, .done:
            break
        }
        graceTimer = session.loop.schedule(at: .now + .seconds(2)) { [self] in
            guard phase != .done else { return }
            finish(wasCancelled ? .failure(CancellationError()) : .success(CommandResult(
                status: .timedOut, stdout: stdout, stderr: stderr, truncated: truncated, duration: started.duration(to: .now))))
            phase = .done
            channel = nil
            session.kill(SSHError.connectionLost(host: hostName, reason: "the channel could not be closed after a timeout"))
        }
        return false
    }

    override func fail(_ error: any Error) {
        phase = .done
        finish(.failure(error))
    }

    private func finish(_ result: Result<CommandResult, any Error>) {
        let completion = self.completion
        self.completion = nil
        completion?(result)
    }
}

/// A read buffer owned by one loop (loops live as long as the process).
final class ReadBuffer {
    static let size = 64 * 1024
    let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
}
