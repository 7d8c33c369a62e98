import FlotillaCore

/// A `Connection` to this machine itself: each command's wire form (the exact line an SSH server would get)
/// runs under the local `sh`, off the cooperative pool. It lets the real remote scripts run for real in tests
/// (this machine has no chrony installed) without an SSH server; it pretends nothing about a remote host.
struct LocalShellConnection: Connection {
    let target: ConnectionTarget

    init(name: String = "localhost") {
        target = ConnectionTarget(name: name)
    }

    func run(_ command: RemoteCommand) async throws -> CommandResult {
        let (line, stdin) = command.wireForm()
        let clock = ContinuousClock()
        let start = clock.now
        let output = try await offload { try LocalProcess.run(["sh", "-c", line], stdin: stdin) }
        return CommandResult(status: .exited(output.status), stdout: output.output, stderr: [], duration: clock.now - start)
    }

    func stream(_ command: RemoteCommand) -> AsyncThrowingStream<StreamEvent, any Error> {
        streamAfterRunning(command)
    }

    func close() async {}
}

extension Connection {
    /// The stream of a test connection that can only run commands to completion: the whole output as one chunk,
    /// then the exit status.
    func streamAfterRunning(_ command: RemoteCommand) -> AsyncThrowingStream<StreamEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let result = try await run(command)
                    continuation.yield(.output(.stdout(result.stdout)))
                    continuation.yield(.exit(result.status))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
