import FlotillaCore
import Foundation
import Plan
import Testing

@Suite struct StepTests {
    @Test func everyStepHasItsExactCommands() {
        // Every step carries a timeout, so the command runs under coreutils timeout on the host.
        #expect(Step.systemctl(verb: .daemonReload, unit: nil).commands.map { $0.wireForm().line } == ["timeout -k 2s 120s sh -c 'systemctl daemon-reload'"])
        #expect(Step.systemctl(verb: .mask, unit: "systemd-timesyncd.service").commands.map { $0.wireForm().line } == ["timeout -k 2s 120s sh -c 'systemctl mask -- systemd-timesyncd.service'"])
        #expect(Step.makeDirectory(path: "/etc/systemd/system/chrony.service.d", mode: "0755").commands.map { $0.wireForm().line } == ["timeout -k 2s 30s sh -c 'mkdir -p -m 0755 -- /etc/systemd/system/chrony.service.d'"])
        let write = Step.writeFile(path: "/etc/chrony/chrony.conf", content: "x\n", mode: "0644", owner: "root", group: "root", backup: true).commands
        #expect(write.count == 2)
        #expect(write[1].stdin == Array("x\n".utf8))
        #expect(Step.exec(argv: ["apt-get", "-y", "install", "--", "chrony"], timeoutSeconds: 600).commands.first?.timeout == .seconds(600))
    }

    /// The file steps run as they are with the machine's own sh: the commands apply will send are real.
    @Test func fileStepsRunLocallyWriteBackUpAndRemove() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-steps-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/sub/app.conf"
        let me = try await Local.run(RemoteCommand(.argv(["id", "-un"]))).trimmingCharacters(in: .whitespacesAndNewlines)
        let group = try await Local.run(RemoteCommand(.argv(["id", "-gn"]))).trimmingCharacters(in: .whitespacesAndNewlines)
        let steps: [Step] = [
            .makeDirectory(path: dir + "/sub", mode: "0755"),
            .writeFile(path: path, content: "one\n", mode: "0640", owner: me, group: group, backup: true),
            .writeFile(path: path, content: "two\n", mode: "0644", owner: me, group: group, backup: true),
        ]
        for step in steps { for command in step.commands { _ = try await Local.run(command) } }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "two\n")
        #expect(try String(contentsOfFile: path + Step.backupSuffix, encoding: .utf8) == "one\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o644)
        for command in Step.removeFile(path: path, backup: true).commands { _ = try await Local.run(command) }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try String(contentsOfFile: path + Step.backupSuffix, encoding: .utf8) == "two\n")
        // Absent already is fine.
        for command in Step.removeFile(path: path, backup: true).commands { _ = try await Local.run(command) }
    }
}

/// Runs a RemoteCommand's wire form with the local sh on a thread of its own.
enum Local {
    struct Failed: Error { var status: Int32; var line: String }

    static func run(_ command: RemoteCommand) async throws -> String {
        let (line, stdin) = command.wireForm()
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", line]
                let output = Pipe(), input = Pipe()
                process.standardOutput = output
                process.standardInput = input
                do {
                    try process.run()
                    input.fileHandleForWriting.write(Data(stdin ?? []))
                    try input.fileHandleForWriting.close()
                    let data = output.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    guard process.terminationStatus == 0 else { throw Failed(status: process.terminationStatus, line: line) }
                    continuation.resume(returning: String(decoding: data, as: UTF8.self))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }
}
