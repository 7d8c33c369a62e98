import Foundation

/// A command to run on a remote host.
///
/// Commands are built from argument vectors and quoted in exactly one place (`ShellQuote`), so that
/// nothing interpolates user strings into a shell line by hand. `shell` is for text the user typed as a
/// shell command line (`flotilla run -- 'uptime; df -h'`).
public struct RemoteCommand: Sendable, Hashable {
    public enum Body: Sendable, Hashable {
        /// An argument vector, quoted for the remote POSIX shell.
        case argv([String])
        /// A shell command line, passed to the remote shell as it is.
        case shell(String)
    }

    public var body: Body
    /// Bytes written to the command's standard input, followed by EOF. `nil` sends EOF at once.
    public var stdin: [UInt8]?
    /// Wall-clock limit for the whole command; the channel is closed and the result is `.timedOut` past it.
    public var timeout: Duration?
    /// Bytes kept of each of stdout and stderr; the rest is read and dropped (the result says so).
    public var outputLimit: Int
    /// Run through `sudo` as another user.
    public var become: Become?

    public init(
        _ body: Body,
        stdin: [UInt8]? = nil,
        timeout: Duration? = nil,
        outputLimit: Int = 16 << 20,
        become: Become? = nil
    ) {
        self.body = body
        self.stdin = stdin
        self.timeout = timeout
        self.outputLimit = outputLimit
        self.become = become
    }

    public static func argv(_ args: [String], stdin: [UInt8]? = nil, timeout: Duration? = nil) -> RemoteCommand {
        RemoteCommand(.argv(args), stdin: stdin, timeout: timeout)
    }

    public static func shell(_ line: String, stdin: [UInt8]? = nil, timeout: Duration? = nil) -> RemoteCommand {
        RemoteCommand(.shell(line), stdin: stdin, timeout: timeout)
    }

    /// The command line as the remote shell receives it, sudo and timeout wrappers included, the bytes for its
    /// stdin, and, with a become password, the handshake that decides when the password and the stdin may go out.
    ///
    /// With a timeout the command runs under coreutils `timeout` on the host (inside sudo, so that it may
    /// kill root's processes): libssh2 1.10 cannot send a signal over a channel, and sshd does not end a
    /// command when its channel is closed, so only the host itself can stop a command that overran.
    ///
    /// The password is never part of `stdin`: a connection sends it only when `sudo` asks (see `SudoHandshake`).
    public func wire(token: String = SudoHandshake.randomToken()) -> Wire {
        var inner: String
        // A line the user typed runs in the user's login shell, as it does without wrappers (`echo {1..3}` in bash);
        // Flotilla's own argument vectors are POSIX sh.
        let shell: String
        switch body {
        case .argv(let args):
            inner = ShellQuote.join(args)
            shell = "sh"
        case .shell(let line):
            inner = line
            shell = Self.loginShell
        }
        if let timeout, timeout > .zero {
            let millis = max(1, Int64((timeout.seconds * 1000).rounded(.up)))
            let seconds = millis % 1000 == 0 ? "\(millis / 1000)s" : "\(millis / 1000).\(String(format: "%03d", Int(millis % 1000)))s"
            inner = ShellQuote.join(["timeout", "-k", "2s", seconds]) + " \(shell) -c " + ShellQuote.quote(inner)
        }
        guard let become else { return Wire(line: inner, stdin: stdin, sudo: nil) }
        guard let password = become.password else {
            // -n: fail instead of prompting; nothing is sent that sudo could read as a password.
            let line = ShellQuote.join(["sudo", "-n", "-H", "-u", become.user, "--"]) + " \(shell) -c " + ShellQuote.quote(inner)
            return Wire(line: line, stdin: stdin, sudo: nil)
        }
        // -S reads the password from stdin, but only when sudo asks (with the prompt given by -p); the ready line
        // comes first on stdout once the command runs as the become user.
        let handshake = SudoHandshake(password: password, token: token)
        let line = ShellQuote.join(["sudo", "-S", "-p", handshake.prompt, "-H", "-u", become.user, "--"])
            + " \(shell) -c " + ShellQuote.quote("echo \(handshake.ready)\n\(inner)")
        return Wire(line: line, stdin: stdin, sudo: handshake)
    }

    /// The remote login shell, as sshd sets `SHELL` for the session (expanded by the shell that reads the line;
    /// under sudo, the become user's shell, which sudo sets).
    static let loginShell = #""${SHELL:-/bin/sh}""#

    /// The command line and stdin of `wire()`, for connections that send stdin up front. With a become password
    /// such a connection never sends the password, so sudo fails rather than read the command's input.
    public func wireForm() -> (line: String, stdin: [UInt8]?) {
        let wire = wire()
        return (wire.line, wire.stdin)
    }

    /// What goes over the channel for one command.
    public struct Wire: Sendable {
        public var line: String
        /// The command's own stdin (never the password).
        public var stdin: [UInt8]?
        /// With a become password: hold stdin back and answer sudo through this.
        public var sudo: SudoHandshake?
    }
}

/// Privilege escalation through sudo.
public struct Become: Sendable, Hashable {
    public var user: String
    /// Sent on stdin with `sudo -S` when given, and only when sudo asks for it (`SudoHandshake`); without one,
    /// `sudo -n` fails instead of prompting.
    public var password: String?

    public init(user: String = "root", password: String? = nil) {
        self.user = user
        self.password = password
    }
}

extension Become: CustomStringConvertible, CustomDebugStringConvertible {
    /// The password masked, so that no interpolation or dump of a target can show it.
    public var description: String { "become \(user)\(password == nil ? "" : " (password ********)")" }
    public var debugDescription: String { description }
}

/// How a remote command ended.
public enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// The server reported this exit status.
    case exited(Int32)
    /// The server reported that the command died of this signal (for example "KILL").
    case signaled(String)
    /// The server sent no exit status (connection lost, channel closed early). Never read as success.
    case unknown
    /// Flotilla gave up waiting and closed the channel.
    case timedOut

    public var isSuccess: Bool { self == .exited(0) }

    public var code: Int32? {
        if case .exited(let code) = self { return code }
        return nil
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit \(code)"
        case .signaled(let signal): "killed by SIG\(signal)"
        case .unknown: "exit status unknown"
        case .timedOut: "timed out"
        }
    }
}

/// What a remote command produced.
public struct CommandResult: Sendable, Hashable {
    public var status: ExitStatus
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    /// True when stdout or stderr went past the output limit and was cut.
    public var truncated: Bool
    /// Time from sending the command to the channel's close.
    public var duration: Duration

    public init(status: ExitStatus, stdout: [UInt8], stderr: [UInt8], truncated: Bool = false, duration: Duration = .zero) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.truncated = truncated
        self.duration = duration
    }

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// One piece of a streaming command's output.
public enum OutputChunk: Sendable, Hashable {
    case stdout([UInt8])
    case stderr([UInt8])
}
