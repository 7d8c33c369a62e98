import Foundation
import FlotillaCore

/// A real ssh-agent started by a test, on a socket of its own (never the user's agent), holding the keys the
/// test adds, and stopped by its PID.
public final class TestSSHAgent: Sendable {
    /// Give this as `SSH_AUTH_SOCK` (or `SSHTransport.Options.agentSocket`).
    public let socket: String
    private let directory: String
    private let pid: Int32

    /// Starts `ssh-agent -D` (foreground: the PID is the agent's own) and adds `keys` with ssh-add.
    public static func start(keys: [String]) async throws -> TestSSHAgent {
        try await offload { try TestSSHAgent(keys: keys) }
    }

    private init(keys: [String]) throws {
        var template = Array("/tmp/flotilla-agent.XXXXXX".utf8CString)
        guard let dirPointer = mkdtemp(&template) else { throw TestSSHServer.Failure.didNotStart("mkdtemp failed") }
        directory = String(cString: dirPointer)
        socket = directory + "/agent.sock"
        pid = try LocalProcess.start(
            ["ssh-agent", "-D", "-a", socket], logFile: directory + "/agent.log", environment: ["PATH": "/usr/bin:/bin"])
        var ready = false
        for _ in 0..<250 where !ready {
            ready = FileManager.default.fileExists(atPath: socket)
            if !ready { usleep(20_000) }
        }
        guard ready else {
            stop()
            throw TestSSHServer.Failure.didNotStart("ssh-agent made no socket at \(socket)")
        }
        for key in keys {
            let added = try LocalProcess.run(["ssh-add", "-q", key], environment: ["SSH_AUTH_SOCK": socket, "PATH": "/usr/bin:/bin"])
            if added.status != 0 {
                stop()
                throw TestSSHServer.Failure.command("ssh-add \(key)", added.status, added.text)
            }
        }
    }

    /// Stops the agent (by its PID) and removes its socket's directory. SIGKILL: ssh-agent waits for signals with
    /// the mask it inherited, and a test thread's mask may block SIGTERM; the agent keeps nothing to clean up
    /// but its socket, which goes with the directory.
    public func stop() {
        kill(pid, SIGKILL)
        _ = LocalProcess.wait(pid)
        try? FileManager.default.removeItem(atPath: directory)
    }
}
