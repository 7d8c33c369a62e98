public import FlotillaCore

/// Gathers one host's observation over ONE open connection, in 1 + `samples` round trips: the time-daemon probe
/// and the chrony check in one script, then the clock cross-check samples. Each part's failure is kept as data.
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

    /// The probe and the chrony check as one command; the expected sources are its arguments.
    public var command: RemoteCommand {
        var command = RemoteCommand(
            .argv(["sh", "-c", DaemonProbe.script + SyncCheck.script, "flotilla-audit"] + expectedSources),
            timeout: timeout, become: become)
        command.outputLimit = 1 << 20
        return command
    }

    public func observe(_ connection: any Connection) async throws -> HostObservation {
        let host = connection.target.name
        var o = HostObservation(host: host)
        let result = try await connection.run(command)
        let stdout = result.stdoutText
        if let (probe, rest) = DaemonProbe.split(stdout) {
            do {
                o.daemons = try DaemonProbe.parse(probe)
            } catch {
                o.factsError = error.on(host: host).description
            }
            do {
                o.chrony = try SyncCheck.interpret(stdout: rest, stderr: result.stderrText, status: result.status, host: host, expected: expectedSources)
            } catch {
                o.chronyError = error.description
            }
        } else {
            let stderr = result.stderrText.trimmingWhitespace()
            let reason = "the audit script's output is cut short or missing (\(result.status))" + (stderr.isEmpty ? "" : "; stderr: \(stderr.prefix(200))")
            o.factsError = reason
            o.chronyError = reason
        }
        if samples > 0 {
            do {
                o.crossCheck = try await ClockCrossCheck.measure(on: connection, samples: samples)
            } catch let error as DriftError {
                o.crossCheckError = error.description
            }
        }
        return o
    }
}
