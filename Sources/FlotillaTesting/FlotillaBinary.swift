public import FlotillaCore
import Foundation

/// The `flotilla` executable built next to the test bundle, run as a user would run it.
public enum FlotillaBinary {
    /// `.build/<config>/flotilla`, beside the test bundle.
    public static var path: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundle.appendingPathComponent("flotilla").path
    }

    /// Runs `flotilla ARGS` to completion on the blocking pool; stdout and stderr come back together.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> LocalProcess.Output {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value }
        let argv = [path] + arguments
        let finalEnvironment = env
        return try await offload { try LocalProcess.run(argv, environment: finalEnvironment) }
    }
}
