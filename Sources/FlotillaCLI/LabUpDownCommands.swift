import ArgumentParser
import Lab

struct LabUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Start the lab: N hosts in mixed starting states, an inventory and known_hosts.")

    @Option(name: .long, help: "How many hosts (1-200).") var hosts: Int = 4
    @Option(name: .long, help: "bookworm or trixie.") var distro: String = "bookworm"
    @Option(name: .long, help: "Starting states: ntp:3,timesyncd:2,chrony-masked:2,chrony-dead:1 or names to cycle.")
    var mix: String?
    @Flag(name: .long, help: "Rebuild the cached image first.") var rebuildImage = false
    @Flag(name: .long, help: "Bastion topology: node01 is the only host reachable from the lab network; the others only through it (the inventory's flotilla_jump).")
    var bastion = false

    func run() async throws {
        try await LabCLI.run {
            guard let d = Distro(rawValue: distro) else {
                throw LabError.unsupportedDistro(name: distro, reason: "known: bookworm, trixie")
            }
            let spec = try mix.map { try MixSpec(parsing: $0) } ?? .standard
            let lab = LabCLI.lab
            let report: LabUpReport
            do {
                report = try await lab.up(
                    LabUpOptions(hosts: hosts, distro: d, mix: spec, rebuildImage: rebuildImage, bastion: bastion),
                    progress: { print("lab: \($0)") })
            } catch let error as LabError {
                switch error {
                case .needsRoot, .alreadyUp, .unfinished, .busy, .badHostCount, .hostCondition, .corruptState: throw error
                default:
                    guard (try? lab.record()) != nil else { throw error }  // failed before creating anything
                    // Whatever was created is in the intent log; logs stay for a look first.
                    LabCLI.printError("flotilla lab: \(error)")
                    LabCLI.printError("flotilla lab: the partial lab is recorded in \(lab.paths.stateFile); "
                        + "logs are in \(lab.paths.logsDir); `flotilla lab down` removes it")
                    throw ExitCode(1)
                }
            }
            if report.alreadyUp {
                print("lab: already up with \(report.record.hosts.count) hosts; nothing to do")
            } else {
                if let built = report.imageBuildSeconds { print("lab: image built in \(LabCLI.seconds(built))") }
                print("lab: \(report.record.hosts.count) hosts answer ssh after \(LabCLI.seconds(report.hostsSeconds)) ("
                    + report.timings.map { "\($0.step) \(LabCLI.seconds($0.seconds))" }.joined(separator: ", ") + ")")
            }
            let record = report.record
            for h in record.hosts {
                let role = record.bastion == h.name ? "  bastion" : record.isBehindBastion(h) ? "  behind the bastion" : ""
                print("  \(h.name)  \(h.address)  \(h.state.rawValue)\(role)")
            }
            if record.bastion != nil { print("topology:    \(record.topology)") }
            print("inventory:   \(lab.paths.inventoryFile)")
            print("known_hosts: \(lab.paths.knownHostsFile)")
            print("try:         flotilla lab exec -- flotilla run -i \(lab.paths.inventoryFile) -- uptime")
        }
    }
}

struct LabDown: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Remove the lab: containers, processes, mounts, namespaces, state. Idempotent.")

    func run() async throws {
        try await LabCLI.run {
            let r = try await LabCLI.lab.down()
            if r.nothingToDo {
                print("lab: nothing to remove")
            } else {
                print("lab: stopped \(r.containersStopped) containers, ended \(r.processesKilled) processes, "
                    + "unmounted \(r.mountsRemoved) overlays, deleted \(r.namespacesRemoved) namespaces")
            }
            for m in r.lazyUnmounts { print("lab: \(m) was busy and was detached lazily") }
        }
    }
}

struct LabImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Build (or rebuild) the cached lab image.")

    @Option(name: .long, help: "bookworm or trixie.") var distro: String = "bookworm"
    @Flag(name: .long, help: "Build even if a complete image is cached.") var rebuild = false

    func run() async throws {
        try await LabCLI.run {
            try Lab.requireRoot()
            guard let d = Distro(rawValue: distro) else {
                throw LabError.unsupportedDistro(name: distro, reason: "known: bookworm, trixie")
            }
            let outcome = try await LabCLI.lab.image(d, rebuild: rebuild, progress: { print("lab: \($0)") })
            if let s = outcome.builtSeconds {
                print("lab: image \(outcome.image.dir) built in \(LabCLI.seconds(s))")
            } else {
                print("lab: image \(outcome.image.dir) is cached (use --rebuild to build it again)")
            }
        }
    }
}
