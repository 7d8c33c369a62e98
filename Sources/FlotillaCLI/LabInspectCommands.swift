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
            if r.bastionHost != nil {
                let agent = (r.agent?.isAlive ?? false) ? "running" : "NOT running"
                print("topology: \(r.topology); \(r.hosts.count - 1) hosts behind it; ssh-agent \(agent)")
            }
            for h in status.hosts {
                let pid = h.record.container.map { "pid \($0.pid)" } ?? "no pid"
                let state = h.running ? "running" : "stopped"
                let faults = h.faults.isEmpty ? "" : "  faults: " + h.faults.joined(separator: ", ")
                let role = r.bastion == h.record.name ? "  bastion" : r.isBehindBastion(h.record) ? "  behind the bastion" : ""
                print("  \(h.record.name)  \(h.record.address)  \(h.record.state.rawValue)  \(state) (\(pid))\(role)\(faults)")
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
            let common = [
                "-i", lab.paths.privateKey, "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes",
                "-o", "UserKnownHostsFile=\(lab.paths.knownHostsFile)", "-o", "ConnectTimeout=10",
            ]
            var hop: [String] = []
            if status.record.isBehindBastion(h), let bastion = status.record.bastionHost {
                // Through the bastion, with the lab's key and known_hosts for it too (ssh -J would not pass them on).
                let proxy = ["ssh"] + common + ["-W", "%h:%p", "root@\(bastion.address)"]
                hop = ["-o", "ProxyCommand=" + proxy.map(Self.shellQuoted).joined(separator: " ")]
            }
            let argv = ["ip", "netns", "exec", LabNetwork.vpcNamespace, "ssh"] + common + hop + ["\(user)@\(h.address)"] + remote
            try LabExec.execute(argv, environment: [:])
        }
    }
}

extension LabSSH {
    /// One word for ssh's ProxyCommand (run by `sh -c`): single-quoted unless it is plain.
    static func shellQuoted(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "@%:/._=-".contains($0) }
        return plain && !word.isEmpty ? word : "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}

struct LabExec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command inside the lab network (namespace flotilla-vpc), e.g. `flotilla lab exec -- flotilla run -i $FLOTILLA_LAB_INVENTORY -- uptime`.",
        discussion: "FLOTILLA_LAB_INVENTORY is set to the lab's inventory; in the bastion topology, SSH_AUTH_SOCK to the lab's ssh-agent (it holds the lab key for the login to the bastion).")

    @Argument(parsing: .captureForPassthrough, help: "The command (after --).") var command: [String] = []

    func validate() throws {
        try Self.refuseUnknownOption(command, of: Self.self)
    }

    func run() async throws {
        try await LabCLI.run {
            let lab = LabCLI.lab
            guard let status = try lab.status() else { throw LabError.notUp(stateFile: lab.paths.stateFile) }
            var argv = command.first == "--" ? Array(command.dropFirst()) : command
            guard !argv.isEmpty else { throw ValidationError("give a command after --") }
            // `flotilla` means this very executable, so the lab runs the build you are using.
            if argv[0] == "flotilla", let me = LabCLI.selfExecutable { argv[0] = me }
            var environment = ["FLOTILLA_LAB_INVENTORY": lab.paths.inventoryFile]
            // Bastion topology: the lab's agent holds the key for the login to the bastion (as with ssh -J, the
            // inventory's key file is for the hosts, not for the jump host).
            if status.record.agent != nil { environment["SSH_AUTH_SOCK"] = lab.paths.agentSocket }
            try Self.execute(["ip", "netns", "exec", LabNetwork.vpcNamespace] + argv, environment: environment)
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
