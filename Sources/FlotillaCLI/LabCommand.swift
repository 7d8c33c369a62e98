public import ArgumentParser
import Lab
#if canImport(Glibc)
import Glibc
#endif

/// `flotilla lab`: a disposable fleet of real systemd Debian hosts on this machine.
public struct LabCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "A disposable fleet of real systemd Debian hosts on this machine (needs root).",
        discussion: """
            Hosts are systemd-nspawn containers on overlays over a cached debootstrap image, each in its own \
            network namespace on a lab network (10.88.0.0/24) that lives in the namespace flotilla-vpc. \
            State: /var/lib/flotilla/lab (FLOTILLA_LAB_DIR replaces /var/lib/flotilla).
            """,
        subcommands: [
            LabUp.self, LabDown.self, LabStatusCommand.self, LabSSH.self, LabExec.self, LabReboot.self,
            LabFaultCommand.self, LabImageCommand.self, LabNTPResponder.self, LabHoldDpkgLock.self,
        ]
    )

    public init() {}
}

/// What every lab command shares: where the lab lives, and turning errors into text and exit codes.
enum LabCLI {
    static var environment: [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return env
    }

    static var paths: LabPaths { LabPaths.standard(environment: environment) }

    /// This executable, to run the lab's helper processes.
    static var selfExecutable: String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static var lab: Lab { Lab(paths: paths, helperExecutable: selfExecutable) }

    /// Runs `body`, printing a lab error as one clear message and exiting 1.
    static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch LabError.needsRoot {
            printError("\(LabError.needsRoot)")
            throw ExitCode(1)
        } catch let error as LabError {
            printError("flotilla lab: \(error)")
            throw ExitCode(1)
        }
    }

    static func printError(_ text: String) {
        var line = text
        if !line.hasSuffix("\n") { line += "\n" }
        let bytes = Array(line.utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    static func seconds(_ s: Double) -> String {
        let tenths = (s * 10).rounded() / 10
        return "\(tenths) s"
    }
}
