/// The controller's side of `sudo -S` with a become password: the password goes to sudo only when sudo asks
/// for it, and the command's own stdin only once the command has started.
///
/// sudo reads its password from stdin only when it needs one. Root, a NOPASSWD rule or a cached timestamp mean
/// it asks for nothing, and a password sent up front would then be the first line the command reads (printed by
/// `cat`, or the first line of a file written from stdin). So the command is wrapped as
/// `sudo -S -p PROMPT ... sh -c 'echo READY; COMMAND'` with a `PROMPT` and a `READY` line made for this command
/// alone, and the handshake watches the output:
///
/// - `PROMPT` on stderr: sudo asks. The password is sent once. The prompt text is taken out of stderr.
/// - `PROMPT` a second time: sudo refused the password. It is never sent twice (each wrong try counts toward an
///   account lockout); stdin is closed instead, so sudo gives up with its own message.
/// - `READY` as the first line of stdout: the command runs as the become user. The line is taken out of stdout,
///   and only now may the command's stdin go out.
///
/// Connections that cannot hold stdin back never send the password at all: sudo then fails instead of reading
/// the command's input as a password.
public struct SudoHandshake: Sendable {
    public enum State: Sendable, Hashable {
        /// Neither the prompt nor the ready line has arrived.
        case waiting
        /// The password was handed out; waiting for the ready line (or a second prompt).
        case passwordSent
        /// The command runs: stdin may go out, output passes through untouched.
        case started
        /// sudo asked a second time: the password was wrong. Close stdin.
        case refused
    }

    public let prompt: String
    public let ready: String
    public private(set) var state = State.waiting
    /// How many times sudo asked.
    public private(set) var prompts = 0
    private let password: [UInt8]
    private let promptBytes: [UInt8]
    private let readyLine: [UInt8]
    private var stdoutHeld: [UInt8] = []
    private var stderrHeld: [UInt8] = []
    private var passwordTaken = false

    /// `token` makes the prompt and ready texts unique to one command; `random()` makes a fresh one.
    public init(password: String, token: String = SudoHandshake.randomToken()) {
        prompt = "[flotilla-sudo-\(token)] password: "
        ready = "flotilla-become-ready-\(token)"
        self.password = Array((password + "\n").utf8)
        promptBytes = Array(prompt.utf8)
        readyLine = Array((ready + "\n").utf8)
    }

    /// 32 hex digits from the system's random source. No `%` (sudo expands `%` escapes in prompts).
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// True once the command runs and its stdin may be sent.
    public var started: Bool { state == .started }

    /// The password line to write now, exactly once, right after sudo asked for it; nil otherwise.
    public mutating func takePassword() -> [UInt8]? {
        guard prompts == 1, !passwordTaken, state == .waiting else { return nil }
        passwordTaken = true
        state = .passwordSent
        return password
    }

    /// Feeds stdout; returns the bytes that belong to the command (everything after the ready line).
    public mutating func stdout<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        if state == .started { return Array(bytes) }
        stdoutHeld.append(contentsOf: bytes)
        guard stdoutHeld.count >= readyLine.count else {
            // Anything that is not a prefix of the ready line did not come from our wrapper: let it through.
            if !stdoutHeld.elementsEqual(readyLine.prefix(stdoutHeld.count)) { return releaseStdout() }
            return []
        }
        guard stdoutHeld.starts(with: readyLine) else { return releaseStdout() }
        stdoutHeld.removeFirst(readyLine.count)
        state = .started
        return releaseStdout()
    }

    /// Feeds stderr; returns it with sudo's prompts taken out (a prompt split across reads is held back until it
    /// is whole or cannot be one).
    public mutating func stderr<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        if state == .started && stderrHeld.isEmpty { return Array(bytes) }
        stderrHeld.append(contentsOf: bytes)
        var out: [UInt8] = []
        while !stderrHeld.isEmpty {
            if let range = firstRange(of: promptBytes, in: stderrHeld) {
                out += stderrHeld[..<range.lowerBound]
                stderrHeld.removeFirst(range.upperBound)
                prompts += 1
                if prompts > 1, state != .started { state = .refused }
                continue
            }
            // Keep a tail that could still grow into a prompt.
            let keep = longestSuffixThatStartsPrompt(stderrHeld)
            out += stderrHeld.dropLast(keep)
            stderrHeld.removeFirst(stderrHeld.count - keep)
            break
        }
        return out
    }

    /// What is still held when the command ends: output that turned out not to be the ready line or a prompt.
    public mutating func flush() -> (stdout: [UInt8], stderr: [UInt8]) {
        defer {
            stdoutHeld = []
            stderrHeld = []
        }
        return (stdoutHeld, stderrHeld)
    }

    private mutating func releaseStdout() -> [UInt8] {
        defer { stdoutHeld = [] }
        return stdoutHeld
    }

    private func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard needle.count <= haystack.count, let first = needle.first else { return nil }
        var start = 0
        while start + needle.count <= haystack.count {
            guard let i = haystack[start...].firstIndex(of: first), i + needle.count <= haystack.count else { return nil }
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i..<(i + needle.count) }
            start = i + 1
        }
        return nil
    }

    private func longestSuffixThatStartsPrompt(_ bytes: [UInt8]) -> Int {
        var length = min(bytes.count, promptBytes.count - 1)
        while length > 0 {
            if bytes.suffix(length).elementsEqual(promptBytes.prefix(length)) { return length }
            length -= 1
        }
        return 0
    }
}
