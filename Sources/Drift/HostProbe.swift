public import FlotillaCore

/// Gathers one host's observation over ONE open connection with ONE command: the clock cross-check samples as
/// turns of a conversation, then the time-daemon probe and the chrony check. Each part's failure is kept as data.
public struct HostProbe: Sendable {
    public var expectedSources: [String]
    public var become: Become?
    /// Cross-check samples (0: no cross-check).
    public var samples: Int
    public var timeout: Duration

    public init(expectedSources: [String] = [], become: Become? = nil, samples: Int = 5, timeout: Duration = .seconds(30)) {
        self.expectedSources = expectedSources
        self.become = become
        self.samples = samples
        self.timeout = timeout
    }

    static let clockEnd = "@@flotilla:clock-end"

    /// The clock samples, the probe and the chrony check as one command; the expected sources are its arguments.
    public var command: RemoteCommand {
        let clock = samples > 0 ? ClockCrossCheck.script : ""
        var command = RemoteCommand(
            .argv(["sh", "-c", clock + "echo '\(Self.clockEnd)'\n" + DaemonProbe.script + SyncCheck.script, "flotilla-audit"] + expectedSources),
            timeout: timeout, become: become)
        command.outputLimit = 1 << 20
        return command
    }

    public func observe(_ connection: any Connection) async throws -> HostObservation {
        let host = connection.target.name
        var o = HostObservation(host: host)
        // The clock is sampled first, while the host is idle, then the probe runs with stdin closed.
        let conversation = try await connection.converse(command, turns: ClockCrossCheck.turns(samples))
        let result = conversation.result
        let stdout = result.stdoutText
        if samples > 0 {
            do {
                o.crossCheck = try ClockCrossCheck.reading(conversation.turns, result: result, host: host)
            } catch {
                if case .malformedOutput = error { o.malformedOutput = error.description } else { o.crossCheckError = error.description }
            }
        }
        let marker = Self.clockEnd + "\n"
        if let end = stdout.range(of: marker), let (probe, rest) = DaemonProbe.split(String(stdout[end.upperBound...])) {
            do {
                let reading = try DaemonProbe.reading(probe)
                o.daemons = reading.daemons
                o.timeGuard = reading.timeGuard
            } catch {
                o.factsError = error.on(host: host).description
            }
            do {
                o.chrony = try SyncCheck.interpret(stdout: rest, stderr: result.stderrText, status: result.status, host: host, expected: expectedSources)
            } catch {
                if case .malformedOutput = error { o.malformedOutput = error.description } else { o.chronyError = error.description }
            }
        } else {
            let stderr = result.stderrText.trimmingWhitespace()
            let reason = "the audit script's output is cut short or missing (\(result.status))" + (stderr.isEmpty ? "" : "; stderr: \(stderr.prefix(200))")
            o.factsError = reason
            o.chronyError = reason
        }
        return o
    }
}
