import Lab
import Foundation

/// The one lab the end-to-end suite shares: brought up once (8 hosts, the default mix), torn down by the
/// suite's last test. Any lab left by an earlier, crashed run is removed first.
actor LabFixture {
    static let shared = LabFixture()
    static let hostCount = 8

    static let paths = LabPaths.standard(environment: ProcessInfo.processInfo.environment)

    /// The `flotilla` executable built next to this test bundle (it runs the lab's helper processes).
    static let flotillaExecutable: String = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = bundle.deletingLastPathComponent()
        // .build/debug/FlotillaPackageTests.xctest (a file on Linux) or a bundle directory.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("flotilla").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return bundle.deletingLastPathComponent().appendingPathComponent("flotilla").path
    }()

    static let lab = Lab(paths: paths, helperExecutable: flotillaExecutable)

    private var record: LabRecord?
    private(set) var upReport: LabUpReport?

    /// The running lab, brought up on first use.
    func up() async throws -> LabRecord {
        if let record { return record }
        if try Self.lab.record() != nil || !LabNetwork.existingNamespaces().isEmpty {
            _ = try await Self.lab.down()
        }
        let report = try await Self.lab.up(LabUpOptions(hosts: Self.hostCount), progress: { _ in })
        upReport = report
        record = report.record
        return report.record
    }

    /// Forgets the lab (after the suite's `down`).
    func forget() { record = nil }
}

/// Running commands on lab hosts with the system ssh client, from inside the lab network, checking host keys
/// strictly against the lab's known_hosts.
enum OnHost {
    static func run(_ host: HostRecord, _ script: String, user: String = "root", input: String? = nil) async throws -> LocalResult {
        let paths = LabFixture.paths
        return try await LocalCommand.capture([
            "ip", "netns", "exec", LabNetwork.vpcNamespace, "ssh", "-F", "/dev/null", "-i", paths.privateKey,
            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=\(paths.knownHostsFile)", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
            "\(user)@\(host.address)", script,
        ], input: input)
    }

    /// Runs and returns trimmed stdout, failing with the host's stderr when the command fails.
    static func output(_ host: HostRecord, _ script: String, user: String = "root") async throws -> String {
        let r = try await run(host, script, user: user)
        guard r.succeeded else {
            throw LabError.commandFailed(command: "\(host.name): \(script)", status: "\(r.status)", stderr: r.stderr)
        }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
