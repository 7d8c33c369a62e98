import ArgumentParser
import Lab
#if canImport(Glibc)
import Glibc
#endif

struct LabStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the lab's hosts and faults.")

    func run() async throws {
        try await LabCLI.run {
            guard let status = try LabCLI.lab.status() else {
                print("lab: not up")
                return
            }
            let r = status.record
            print("lab: \(r.hosts.count) hosts, \(r.distro.rawValue), \(r.phase.rawValue), subnet \(r.subnet), "
                + "time server \(status.timeServerRunning ? "running" : "NOT running")")
            for h in status.hosts {
                let pid = h.record.container.map { "pid \($0.pid)" } ?? "no pid"
                let state = h.running ? "running" : "stopped"
                let faults = h.faults.isEmpty ? "" : "  faults: " + h.faults.joined(separator: ", ")
                print("  \(h.record.name)  \(h.record.address)  \(h.record.state.rawValue)  \(state) (\(pid))\(faults)")
            }
        }
    }
}

struct LabSSH: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssh", abstract: "Open ssh to a lab host (the system ssh client, inside the lab network).")

    @Option(name: .long, help: "Remote user (root, admin or operator).") var user: String = "root"
    @Argument(help: "Host name, e.g. node01.") var host: String
    @Argument(parsing: .captureForPassthrough, help: "Command to run (after --).") var command: [String] = []

    func validate() throws {
        try Self.refuseUnknownOption(command, of: Self.self)
    }

    func run() async throws {
        try await LabCLI.run {
            let lab = LabCLI.lab
            guard let status = try lab.status() else { throw LabError.notUp(stateFile: lab.paths.stateFile) }
            let h = try status.record.host(host)
            let remote = command.first == "--" ? Array(command.dropFirst()) : command
            let argv = [
                "ip", "netns", "exec", LabNetwork.vpcNamespace, "ssh", "-i", lab.paths.privateKey,
                "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes",
                "-o", "UserKnownHostsFile=\(lab.paths.knownHostsFile)", "-o", "ConnectTimeout=10",
                "\(user)@\(h.address)",
            ] + remote
            try LabExec.execute(argv, environment: [:])
        }
    }
}

struct LabExec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command inside the lab network (namespace flotilla-vpc), e.g. `flotilla lab exec -- flotilla run -i $FLOTILLA_LAB_INVENTORY -- uptime`.",
        discussion: "FLOTILLA_LAB_INVENTORY is set to the lab's inventory.")

    @Argument(parsing: .captureForPassthrough, help: "The command (after --).") var command: [String] = []

    func validate() throws {
        try Self.refuseUnknownOption(command, of: Self.self)
    }

    func run() async throws {
        try await LabCLI.run {
            let lab = LabCLI.lab
            guard try lab.status() != nil else { throw LabError.notUp(stateFile: lab.paths.stateFile) }
            var argv = command.first == "--" ? Array(command.dropFirst()) : command
            guard !argv.isEmpty else { throw ValidationError("give a command after --") }
            // `flotilla` means this very executable, so the lab runs the build you are using.
            if argv[0] == "flotilla", let me = LabCLI.selfExecutable { argv[0] = me }
            try Self.execute(
                ["ip", "netns", "exec", LabNetwork.vpcNamespace] + argv,
                environment: ["FLOTILLA_LAB_INVENTORY": lab.paths.inventoryFile])
        }
    }

    /// Replaces this process with `argv` (found on the system PATH).
    static func execute(_ argv: [String], environment: [String: String]) throws {
        for (k, v) in environment { setenv(k, v, 1) }
        if getenv("PATH") == nil { setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1) }
        let cArgs = argv.map { strdup($0) } + [nil]
        execvp(argv[0], cArgs)
        throw LabError.spawnFailed(command: argv.joined(separator: " "), errno: errno)
    }
}
