public import FlotillaCore
import Facts

/// Gathers one host's observation over ONE open connection: the fact script (time daemons' packages and
/// units), the chrony check, then the clock cross-check samples. Each part's failure is kept as data.
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

    public func observe(_ connection: any Connection) async throws -> HostObservation {
        var o = HostObservation(host: connection.target.name)
        do {
            let result = try await connection.run(FactScript.command(for: TimeDaemons.factRequest, become: become, timeout: timeout))
            do {
                o.facts = try FactParser.parse(stdout: result.stdoutText)
            } catch {
                let stderr = result.stderrText.trimmingWhitespace()
                o.factsError = "\(error)" + (stderr.isEmpty ? "" : " (stderr: \(stderr.prefix(200)))")
            }
        }
        do {
            o.chrony = try await SyncCheck(expectedSources: expectedSources, become: become, timeout: timeout).run(on: connection)
        } catch let error as DriftError {
            o.chronyError = error.description
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
