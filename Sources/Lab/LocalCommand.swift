package import Subprocess

/// The result of a local command.
package struct LocalResult: Sendable {
    package var status: TerminationStatus
    package var stdout: String
    package var stderr: String
    package var succeeded: Bool { status.isSuccess }
}

/// Runs commands on this machine through swift-subprocess (async; nothing blocks the cooperative pool).
package enum LocalCommand {
    /// A PATH that finds the system tools (`ip`, `mount`, `debootstrap`...) even from a restricted environment.
    static let systemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Runs `argv` and returns its result without judging it.
    package static func capture(
        _ argv: [String], input: String? = nil, environment: [String: String] = [:],
        outputLimit: Int = 4 << 20
    ) async throws -> LocalResult {
        precondition(!argv.isEmpty)
        var env: [Environment.Key: String?] = ["PATH": systemPath, "LC_ALL": "C"]
        for (k, v) in environment { env[Environment.Key(stringLiteral: k)] = v }
        let environmentValue = Environment.inherit.updating(env)
        let executable: Executable = argv[0].hasPrefix("/") ? .path(.init(argv[0])) : .name(argv[0])
        do {
            if let input {
                let r = try await Subprocess.run(
                    executable, arguments: Arguments(Array(argv.dropFirst())), environment: environmentValue,
                    input: .string(input), output: .string(limit: outputLimit), error: .string(limit: outputLimit))
                return LocalResult(status: r.terminationStatus, stdout: r.standardOutput,
                                   stderr: r.standardError)
            }
            let r = try await Subprocess.run(
                executable, arguments: Arguments(Array(argv.dropFirst())), environment: environmentValue,
                input: .none, output: .string(limit: outputLimit), error: .string(limit: outputLimit))
            return LocalResult(status: r.terminationStatus, stdout: r.standardOutput,
                               stderr: r.standardError)
        } catch let error as SubprocessError {
            throw LabError.commandFailed(command: display(argv), status: "not run", stderr: "\(error)")
        }
    }

    /// Runs `argv` and throws `LabError.commandFailed` unless it exits 0. Returns stdout.
    @discardableResult
    package static func run(
        _ argv: [String], input: String? = nil, environment: [String: String] = [:], outputLimit: Int = 4 << 20
    ) async throws -> String {
        let r = try await capture(argv, input: input, environment: environment, outputLimit: outputLimit)
        guard r.succeeded else {
            throw LabError.commandFailed(command: display(argv), status: "\(r.status)", stderr: r.stderr + r.stdout)
        }
        return r.stdout
    }

    /// A command line for messages (arguments with spaces quoted).
    static func display(_ argv: [String]) -> String {
        argv.map { $0.contains(" ") || $0.contains("\n") ? "'\($0.prefix(60))'" : $0 }.joined(separator: " ")
    }
}
