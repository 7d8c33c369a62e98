import Facts
import FlotillaCore
import Foundation
import Testing

@Suite struct FactScriptTests {
    @Test func requestRefusesNamesThatAreNotNames() {
        #expect(throws: FactsError.self) { try FactRequest(packages: ["-oops"]) }
        #expect(throws: FactsError.self) { try FactRequest(packages: ["ntp*"]) }
        #expect(throws: FactsError.self) { try FactRequest(units: ["chrony"]) }
        #expect(throws: FactsError.self) { try FactRequest(units: ["a;b.service"]) }
        #expect(throws: FactsError.self) { try FactRequest(files: ["etc/chrony.conf"]) }
        #expect(throws: FactsError.self) { try FactRequest(files: ["/etc/x\ny"]) }
    }

    @Test func scriptAsksForExactlyTheRequestedThingsQuoted() throws {
        let request = try FactRequest(packages: ["chrony", "ntp"], units: ["chrony.service"], files: ["/etc/my file.conf"])
        let script = FactScript.script(for: request)
        #expect(script.contains("\npkg chrony\npkg ntp\n"))
        #expect(script.contains("\nunit chrony.service\n"))
        #expect(script.contains("\nfile '/etc/my file.conf' 262144\n"))
        #expect(script.hasSuffix("echo '@@flotilla:end'\n"))
    }

    @Test func commandRunsThroughShWithBecome() throws {
        let request = try FactRequest(packages: ["chrony"])
        let command = FactScript.command(for: request, become: Become())
        guard case .argv(let argv) = command.body else { Issue.record("not argv"); return }
        #expect(argv.prefix(2) == ["sh", "-c"])
        #expect(command.wireForm().line.hasPrefix("sudo -n -H -u root -- sh -c "))
    }

    @Test func mergedRequestsKeepEveryNameOnce() throws {
        let a = try FactRequest(packages: ["chrony"], units: ["chrony.service"])
        let b = try FactRequest(packages: ["chrony", "ntp"], files: ["/etc/chrony.conf"])
        let m = a.merged(with: b)
        #expect(m.packages == ["chrony", "ntp"])
        #expect(m.units == ["chrony.service"])
        #expect(m.files == ["/etc/chrony.conf"])
    }

    /// Runs the real script with dash and bash on this machine and reads it back: the script and the parser agree.
    @Test(arguments: ["/bin/dash", "/bin/bash"])
    func scriptRunsLocallyAndParses(shell: String) async throws {
        guard FileManager.default.isExecutableFile(atPath: shell) else { return }
        let request = try FactRequest(
            packages: ["dpkg", "chrony", "definitely-not-a-package"], units: ["chrony.service"],
            files: ["/etc/os-release", "/etc/definitely-absent.conf", "/etc"])
        let output = try await LocalShell.run(shell, script: FactScript.script(for: request))
        let facts = try FactParser.parse(stdout: output)
        #expect(facts.os.id.isEmpty == false)
        #expect(facts.package("definitely-not-a-package").isInstalled == false)
        #expect(facts.file("/etc/definitely-absent.conf").state == .absent)
        #expect(facts.file("/etc").state == .notRegular)
        let osRelease = facts.file("/etc/os-release")
        #expect(osRelease.state == .present)
        #expect(osRelease.sha256?.count == 64)
        #expect(facts.units["chrony.service"] != nil)
        if facts.packageManager == .apt { #expect(facts.package("dpkg").isInstalled) }
    }
}

/// Runs a local shell script on a thread of its own (never on the cooperative pool) and returns stdout.
enum LocalShell {
    static func run(_ shell: String, script: String) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: shell)
                process.arguments = ["-c", script, "flotilla-facts"]
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = FileHandle.nullDevice
                do {
                    try process.run()
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: String(decoding: data, as: UTF8.self))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
    }
}
