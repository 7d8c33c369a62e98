import Foundation
import Glibc

/// Local processes through posix_spawn and waitpid. The calls block: use them on `BlockingPool` (through
/// `offload`), never on the cooperative pool. Foundation's `Process` is avoided on purpose: on Linux its
/// termination monitoring can miss a child's exit, leaving `waitUntilExit` hanging on a zombie.
public enum LocalProcess {
    public struct Output: Sendable {
        public var status: Int32
        /// stdout and stderr together, in the order they were written.
        public var output: [UInt8]
        public var text: String { String(decoding: output, as: UTF8.self) }
    }

    public enum Failure: Error, CustomStringConvertible {
        case spawn(String, Int32)

        public var description: String {
            switch self {
            case .spawn(let program, let code): "cannot start \(program): \(String(cString: strerror(code)))"
            }
        }
    }

    /// Runs `argv` (looked up in PATH) to completion and returns its exit status and output. `stdin` is what the
    /// process reads (from an unlinked temporary file, so no size can deadlock); without it, /dev/null.
    public static func run(_ argv: [String], environment: [String: String]? = nil, stdin: [UInt8]? = nil) throws -> Output {
        var input: Int32 = -1
        if let stdin {
            input = try inputFile(stdin, for: argv[0])
        }
        defer { if input >= 0 { close(input) } }
        let (status, output) = try spawnDraining(argv, environment: environment) { actions, pipe in
            if input >= 0 {
                posix_spawn_file_actions_adddup2(&actions, input, 0)
            } else {
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            }
            posix_spawn_file_actions_adddup2(&actions, pipe, 1)
            posix_spawn_file_actions_adddup2(&actions, pipe, 2)
        }
        return Output(status: status, output: output)
    }

    /// What `capture` returns: stdout and stderr apart.
    public struct Captured: Sendable {
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: [UInt8]
    }

    /// Runs `argv` to completion with this process's stdin (a password script may ask on the terminal),
    /// and returns its stdout and its stderr apart (stderr through an unlinked temporary file, so neither
    /// stream can fill up and stall the other).
    public static func capture(_ argv: [String], environment: [String: String]? = nil) throws -> Captured {
        let errorFile = try inputFile([], for: argv[0])
        defer { close(errorFile) }
        let (status, stdout) = try spawnDraining(argv, environment: environment) { actions, pipe in
            posix_spawn_file_actions_adddup2(&actions, pipe, 1)
            posix_spawn_file_actions_adddup2(&actions, errorFile, 2)
        }
        lseek(errorFile, 0, SEEK_SET)
        return Captured(status: status, stdout: stdout, stderr: drain(errorFile))
    }

    /// Spawns `argv` with a pipe (close-on-exec in this process) that `wire` connects to the child's
    /// descriptors, reads the pipe to its end, then waits: the exit status and what came through the pipe.
    private static func spawnDraining(
        _ argv: [String], environment: [String: String]?,
        wire: (inout posix_spawn_file_actions_t, Int32) -> Void
    ) throws -> (status: Int32, output: [UInt8]) {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw Failure.spawn(argv[0], errno) }
        _ = fcntl(pipeFDs[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeFDs[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        wire(&actions, pipeFDs[1])
        let pid: pid_t
        do {
            pid = try spawn(argv, actions: &actions, environment: environment)
        } catch {
            close(pipeFDs[0])
            close(pipeFDs[1])
            throw error
        }
        close(pipeFDs[1])
        let output = drain(pipeFDs[0])
        close(pipeFDs[0])
        return (wait(pid), output)
    }

    private static func drain(_ fd: Int32) -> [UInt8] {
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n > 0 { output.append(contentsOf: buffer[0..<n]); continue }
            if n < 0, errno == EINTR { continue }
            return output
        }
    }

    /// `bytes` in an unlinked temporary file, open for reading from its start (close-on-exec; dup2 clears it).
    private static func inputFile(_ bytes: [UInt8], for program: String) throws -> Int32 {
        var template = Array("/tmp/flotilla-stdin.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw Failure.spawn(program, errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                let code = errno
                close(fd)
                throw Failure.spawn(program, code)
            }
            offset += n
        }
        lseek(fd, 0, SEEK_SET)
        return fd
    }

    /// Starts `argv` with stdout and stderr appended to `logFile`, without waiting for it.
    public static func start(_ argv: [String], logFile: String, environment: [String: String]? = nil) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        return try spawn(argv, actions: &actions, environment: environment)
    }

    /// Starts `argv` with `fd` as its stdin and stdout (a socket, for ssh's ProxyCommand) and this process's
    /// stderr, without waiting for it. Close `fd` in the caller afterwards.
    public static func start(_ argv: [String], stdio fd: Int32, environment: [String: String]? = nil) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fd, 0)
        posix_spawn_file_actions_adddup2(&actions, fd, 1)
        return try spawn(argv, actions: &actions, environment: environment)
    }

    /// Waits for `pid` and returns its exit status (128 + signal when killed).
    public static func wait(_ pid: Int32) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }

    private static func spawn(
        _ argv: [String], actions: inout posix_spawn_file_actions_t, environment: [String: String]?
    ) throws -> pid_t {
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var cArgs = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cEnv { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, &cArgs, &cEnv)
        guard rc == 0 else { throw Failure.spawn(argv[0], rc) }
        return pid
    }
}
