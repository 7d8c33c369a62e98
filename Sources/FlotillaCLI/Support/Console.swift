import FlotillaCore
import Foundation
import Glibc
import Synchronization

/// All terminal output goes through here: writes happen on a dedicated thread, so a slow terminal or a
/// full pipe never blocks the cooperative pool, and a live progress line on stderr is erased before any
/// other output and redrawn after it.
public final class Console: Sendable {
    public static let shared = Console()

    private struct State {
        var progress: String?
        var shownProgress = false
    }

    private let state = Mutex(State())
    private let writer = DispatchQueue(label: "flotilla.console")
    /// Whether stderr is a terminal (progress lines are drawn only then).
    public let isTerminal = isatty(2) == 1
    public let stdoutIsTerminal = isatty(1) == 1

    /// Writes `text` to stdout.
    public func out(_ text: String) { emit(text, fd: 1) }

    /// Writes `text` to stderr.
    public func err(_ text: String) { emit(text, fd: 2) }

    /// Sets the live progress line (drawn only on a terminal); nil removes it.
    public func progress(_ line: String?) {
        guard isTerminal else { return }
        state.withLock { $0.progress = line }
        writer.async { [self] in
            let erase = state.withLock { state -> Bool in
                defer { state.shownProgress = state.progress != nil }
                return state.shownProgress
            }
            var text = erase ? "\r\u{1B}[2K" : ""
            if let line { text += line }
            Self.write(text, fd: 2)
        }
    }

    /// Waits until everything written so far has reached the file descriptors.
    public func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            writer.async { continuation.resume() }
        }
    }

    /// The same, from synchronous code at exit.
    public func flushSync() { writer.sync {} }

    private func emit(_ text: String, fd: Int32) {
        writer.async { [self] in
            let progress = state.withLock { $0.shownProgress ? $0.progress : nil }
            if progress != nil { Self.write("\r\u{1B}[2K", fd: 2) }
            // A decrypted vault value or a password never reaches the terminal or a pipe (SecretRegistry).
            Self.write(SecretRegistry.redact(text), fd: fd)
            if let progress { Self.write(progress, fd: 2) }
        }
    }

    private static func write(_ text: String, fd: Int32) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
        bytes.removeAll()
    }
}

/// ANSI colours, only when the stream is a terminal and NO_COLOR is unset.
public struct Style: Sendable {
    public let enabled: Bool

    public init(terminal: Bool) {
        enabled = terminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    public func green(_ s: String) -> String { wrap(s, "32") }
    public func yellow(_ s: String) -> String { wrap(s, "33") }
    public func red(_ s: String) -> String { wrap(s, "31") }
    public func bold(_ s: String) -> String { wrap(s, "1") }
    public func dim(_ s: String) -> String { wrap(s, "2") }

    private func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
}
