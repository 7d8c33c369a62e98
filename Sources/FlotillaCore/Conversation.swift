#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Turn-by-turn input for a command: `prompt` is sent on stdin, and the next prompt only once the command has
/// answered the previous one with a line on stdout; after `count` answers stdin is closed. This lets one exec
/// channel carry several timed exchanges (the audit's clock samples) instead of one channel per exchange.
///
/// The command's own stdin (and become's password) is sent first, before the first prompt.
public struct Turns: Sendable, Hashable {
    public var count: Int
    public var prompt: [UInt8]

    public init(count: Int, prompt: [UInt8] = Array("\n".utf8)) {
        self.count = max(0, count)
        self.prompt = prompt
    }
}

/// One answered turn, timed on the controller's wall clock (seconds since 1970).
///
/// `sent` is taken just before the prompt was handed to the network and `received` just after the answer's
/// newline was read, so the moment the command answered lies inside [sent, received]; both ends err on the wide
/// side, never the narrow one.
public struct Turn: Sendable, Hashable {
    public var sent: Double
    public var received: Double
    /// The answer line, without its newline.
    public var answer: [UInt8]

    public init(sent: Double, received: Double, answer: [UInt8]) {
        self.sent = sent
        self.received = received
        self.answer = answer
    }

    public var roundTrip: Double { received - sent }
    public var answerText: String { String(decoding: answer, as: UTF8.self) }
}

/// What a conversation left: the command's whole result (its stdout includes the answer lines) and the turns
/// that were answered, in order. Fewer turns than asked for means the command stopped answering (it exited,
/// or the timeout struck).
public struct Conversation: Sendable, Hashable {
    public var result: CommandResult
    public var turns: [Turn]

    public init(result: CommandResult, turns: [Turn]) {
        self.result = result
        self.turns = turns
    }
}

/// The controller's wall clock (CLOCK_REALTIME), seconds since 1970.
public enum WallClock {
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Splits answer lines off a stream of stdout bytes, for conversations: only the first complete line after a
/// prompt counts as that turn's answer; output in between is left to stdout alone.
public struct TurnTracker: Sendable {
    public let turns: Turns
    public private(set) var answered: [Turn] = []
    private var awaiting: (wall: Double, since: ContinuousClock.Instant)?
    private var line: [UInt8] = []

    public init(_ turns: Turns) {
        self.turns = turns
    }

    /// True when all turns are answered: stdin may be closed.
    public var finished: Bool { answered.count >= turns.count }
    /// True when the next prompt may go out now.
    public var wantsPrompt: Bool { awaiting == nil && !finished }

    /// Call just before the prompt is handed to the network.
    public mutating func promptSent() {
        awaiting = (WallClock.now(), ContinuousClock.now)
        line = []
    }

    /// Feed stdout as it arrives; returns true when it completed an answer.
    @discardableResult
    public mutating func stdout<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        guard let (wall, since) = awaiting else { return false }
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else {
            line.append(contentsOf: bytes)
            return false
        }
        line.append(contentsOf: bytes[..<newline])
        // The round trip from the monotonic clock: a wall-clock step during the turn cannot bend it.
        answered.append(Turn(sent: wall, received: wall + since.duration(to: .now).seconds, answer: line))
        awaiting = nil
        line = []
        return true
    }
}

extension Connection {
    /// A conversation for connections that cannot hold stdin back: every prompt is sent with the command, so
    /// every turn's window opens when the command was sent. The windows are wider than a real conversation's,
    /// but still true. Connections that can do better implement `converse` themselves.
    public func converse(_ command: RemoteCommand, turns: Turns) async throws -> Conversation {
        var command = command
        command.stdin = (command.stdin ?? []) + Array(repeating: turns.prompt, count: turns.count).flatMap { $0 }
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var status = ExitStatus.unknown
        var answered: [Turn] = []
        var lineStart = 0
        let clock = ContinuousClock()
        let start = clock.now
        let sent = WallClock.now()
        for try await event in stream(command) {
            switch event {
            case .output(.stdout(let bytes)):
                stdout += bytes
                while answered.count < turns.count, let newline = stdout[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
                    let elapsed = start.duration(to: clock.now)
                    answered.append(Turn(sent: sent, received: sent + elapsed.seconds, answer: Array(stdout[lineStart..<newline])))
                    lineStart = newline + 1
                }
            case .output(.stderr(let bytes)):
                stderr += bytes
            case .exit(let s):
                status = s
            }
        }
        return Conversation(
            result: CommandResult(status: status, stdout: stdout, stderr: stderr, duration: start.duration(to: clock.now)),
            turns: answered)
    }
}
