import ArgumentParser
import Lab
import Foundation

struct LabReboot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reboot", abstract: "Restart a host, keeping its disk.")

    @Argument(help: "Host name.") var host: String

    func run() async throws {
        try await LabCLI.run {
            let s = try await LabCLI.lab.reboot(host)
            print("lab: \(host) rebooted; sshd answered after \(LabCLI.seconds(s))")
        }
    }
}

struct LabFaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fault",
        abstract: "Inject a fault: HOST skew SECONDS | down | up | partition | heal | dpkg-lock SECONDS | mirror-down | fail-start UNIT.",
        discussion: """
            skew: the host's upstream 169.254.169.123 answers with a clock off by SECONDS (0 removes it).
            down/up: stop or start the container. partition/heal: cut or restore its link (heal also removes a skew,
            undoes mirror-down and fail-start, and releases a dpkg lock).
            dpkg-lock: hold dpkg's locks on the host for SECONDS, as unattended-upgrades does.
            mirror-down: apt cannot fetch packages (the host's cached .debs are moved aside; it has no route to a mirror).
            fail-start: UNIT fails to start (a drop-in with ExecStartPre=/bin/false) from the host's next daemon-reload.
            """)

    @Argument(help: "Host name.") var host: String
    @Argument(parsing: .allUnrecognized, help: "The fault and its argument.") var fault: [String] = []

    func run() async throws {
        try await LabCLI.run {
            let parsed = try LabFault(words: fault, host: host)
            print("lab: " + (try await LabCLI.lab.fault(host, parsed)))
        }
    }
}

/// Hidden: the NTP responder of a skew fault, run detached by `lab fault HOST skew`.
struct LabNTPResponder: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ntp-responder", shouldDisplay: false)

    @Option(name: .long) var offset: Double
    @Option(name: .long) var listen: String = "169.254.169.123"
    @Option(name: .long) var port: UInt16 = 123
    @Option(name: .long, help: "Network namespace (/run/netns/NAME) to serve in.") var netns: String?

    func validate() throws {
        guard offset.isFinite, abs(offset) <= LabFault.maxSkew else {
            throw ValidationError("--offset must be within ±\(Int(LabFault.maxSkew)) seconds, not \(offset).")
        }
    }

    func run() async throws {
        try await LabCLI.run {
            let responder = try await NTPResponder.bound(address: listen, port: port, offset: offset, netns: netns)
            responder.start()
            // Serve until killed: `lab fault HOST skew 0`, `heal` or `down` end this process.
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
    }
}

/// Hidden: holds dpkg's locks under a host's root for some seconds, run detached by `lab fault HOST dpkg-lock`.
struct LabHoldDpkgLock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hold-dpkg-lock", shouldDisplay: false)

    @Option(name: .long) var root: String
    @Option(name: .long) var seconds: Double

    func validate() throws {
        guard seconds.isFinite, seconds > 0, seconds <= LabFault.maxLockHold else {
            throw ValidationError("--seconds must be more than 0 and at most \(Int(LabFault.maxLockHold)), not \(seconds).")
        }
    }

    func run() async throws {
        try await LabCLI.run {
            let fds = try await DpkgLock.acquireOnThread(root: root)
            try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            _ = fds  // the locks end with this process
        }
    }
}
