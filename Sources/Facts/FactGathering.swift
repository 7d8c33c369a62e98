public import FlotillaCore

/// Gathers a host's facts over an open connection: the one script, one round trip.
public enum FactGathering {
    public static func gather(
        _ request: FactRequest, on connection: any Connection, become: Become?, timeout: Duration = .seconds(60)
    ) async throws -> HostFacts {
        let result = try await connection.run(FactScript.command(for: request, become: become, timeout: timeout))
        guard result.status.isSuccess else {
            let tail = String(result.stderrText.suffix(400)).trimmingWhitespace()
            throw FactsError.scriptFailed(host: connection.target.name, status: "\(result.status)", stderr: tail)
        }
        return try FactParser.parse(stdout: result.stdoutText)
    }
}
