import Engine
import Facts
import FlotillaCore
import Foundation
import Plan
import Synchronization

/// A host in memory for engine tests: answers the fact script from a Debian 12 fixture plus the files it
/// holds, applies Flotilla's atomic writes to those files, records every command, and fails the commands
/// a test scripts to fail. It is a test double of a Connection, not of a host's package manager: steps
/// other than file writes succeed without effect.
final class FakeHost: Connection, Sendable {
    struct Script: Sendable {
        /// Commands (other than the fact script) whose wire line contains this text fail with this result (the first match wins).
        var failures: [(contains: String, result: CommandResult)] = []
        /// The sync gate's `chronyc waitsync` fails.
        var unsynced = false
        /// Steps (not the fact script) take this long; cancellation cuts them short with CancellationError.
        var stepDelay: Duration?
    }

    let target: ConnectionTarget
    private let state: Mutex<(files: [String: String], commands: [RemoteCommand], script: Script, closed: Bool)>

    init(_ name: String, files: [String: String] = [:], script: Script = Script(), become: Become? = nil) {
        target = ConnectionTarget(name: name, become: become)
        state = Mutex((files, [], script, false))
    }

    var commands: [RemoteCommand] { state.withLock { $0.commands } }
    var files: [String: String] { state.withLock { $0.files } }
    var closed: Bool { state.withLock { $0.closed } }
    func setScript(_ script: Script) { state.withLock { $0.script = script } }

    /// The commands after the fact script, as wire lines.
    var stepLines: [String] {
        commands.map { $0.wireForm().line }.filter { !$0.contains(FactScript.header) }
    }

    func run(_ command: RemoteCommand) async throws -> CommandResult {
        let line = command.wireForm().line
        if !line.contains(FactScript.header), let delay = state.withLock({ $0.script.stepDelay }) {
            try await Task.sleep(for: delay)
        }
        return state.withLock { s -> CommandResult in
            s.commands.append(command)
            let isFactScript = line.contains(FactScript.header)
            if !isFactScript, let failure = s.script.failures.first(where: { line.contains($0.contains) }) { return failure.result }
            if isFactScript {
                return CommandResult(status: .exited(0), stdout: Array(Self.facts(files: s.files).utf8), stderr: [])
            }
            if line.contains("waitsync") {
                return s.script.unsynced
                    ? CommandResult(status: .exited(1), stdout: [], stderr: Array("try: 60, refid: 00000000, correction: 0.000000000, skew: 0.000\n".utf8))
                    : CommandResult(status: .exited(0), stdout: [], stderr: [])
            }
            if case .argv(let args) = command.body, let at = args.firstIndex(of: "flotilla-write"), at + 1 < args.count {
                s.files[args[at + 1]] = String(decoding: command.stdin ?? [], as: UTF8.self)
            }
            return CommandResult(status: .exited(0), stdout: [], stderr: [])
        }
    }

    func stream(_ command: RemoteCommand) -> AsyncThrowingStream<StreamEvent, any Error> {
        AsyncThrowingStream { $0.finish() }
    }

    func close() async { state.withLock { $0.closed = true } }

    /// The fixture's sections, then every file in play: /etc/app.conf from `files`, the rest absent.
    static func facts(files: [String: String]) -> String {
        let fixture = Fixtures.debian12NTP
        let head = fixture[..<fixture.range(of: "@@flotilla:section files\n")!.upperBound]
        var out = String(head)
        let fixturePaths = fixture[fixture.range(of: "@@flotilla:section files\n")!.upperBound...]
            .split(separator: "\n").filter { $0.hasPrefix(FactScript.fileMarker) }.map { String($0.dropFirst(FactScript.fileMarker.count)) }
        for path in Set(fixturePaths + [FakeFleet.appConf] + Array(files.keys)).sorted() {
            out += FactScript.fileMarker + path + "\n"
            if let content = files[path] {
                let bytes = Array(content.utf8)
                out += "mode=644\nowner=root\ngroup=root\nsize=\(bytes.count)\nsha256=\(FactsDigest.sha256(bytes).replacingOccurrences(of: "sha256:", with: ""))\n"
                out += "state=present\ncontent-base64:\n" + Data(bytes).base64EncodedString() + "\n"
            } else {
                out += "state=absent\n"
            }
        }
        return out + FactScript.endMarker + "\n"
    }
}

/// Connects to FakeHosts by name; names in `down` are unreachable.
struct FakeTransport: Transport {
    struct Unreachable: Error, CustomStringConvertible {
        let host: String
        var description: String { "connect to \(host):22: Connection refused" }
    }

    let hosts: [String: FakeHost]
    var down: Set<String> = []

    func connect(_ target: ConnectionTarget) async throws -> any Connection {
        guard !down.contains(target.name), let host = hosts[target.name] else { throw Unreachable(host: target.name) }
        return host
    }
}

enum FakeFleet {
    static let appConf = "/etc/app.conf"

    /// A play that writes /etc/app.conf: converged once the file has the content.
    static func playbook(serial: String = #"[1, 3, "100%"]"#, maxFailures: String? = "1", maxPerGroup: String? = nil, gate: Bool = false) throws -> Playbook {
        var lines = ["- name: app config", "  hosts: all", "  rollout:", "    serial: \(serial)"]
        if let maxFailures { lines.append("    max_failures: \(maxFailures)") }
        if let maxPerGroup { lines.append("    max_per_group: \(maxPerGroup)") }
        if gate { lines.append("  sync_gate: {tries: 2, interval: 1, max_correction: 0.1}") }
        lines += ["  tasks:", "    - file: {path: \(appConf), content: \"x=1\\n\", mode: \"0644\", owner: root, group: root}"]
        return try Playbook.parse(yaml: lines.joined(separator: "\n") + "\n", file: "app.yml")
    }

    /// Apply hosts for FakeHosts (in the given order).
    static func applyHosts(_ hosts: [FakeHost], groups: [String: [String]] = [:]) -> [ApplyHost] {
        hosts.map { ApplyHost(target: $0.target, vars: [:], groups: groups[$0.target.name] ?? []) }
    }
}

enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let debian12NTP: String = {
        (try? String(contentsOf: root.appendingPathComponent("Tests/FactsTests/Fixtures/debian12-ntp.txt"), encoding: .utf8)) ?? ""
    }()

    static func playbook(_ name: String) throws -> Playbook {
        try Playbook.load(path: root.appendingPathComponent("Playbooks/\(name)").path)
    }
}

/// A fresh journal file in a temporary directory.
struct TemporaryJournalPath {
    let directory: String
    var path: String { directory + "/flotilla.sqlite" }

    init() {
        directory = NSTemporaryDirectory() + "flotilla-engine-tests-" + UUID().uuidString
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
