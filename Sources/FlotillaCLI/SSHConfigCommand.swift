public import ArgumentParser
import Foundation
import FlotillaCore
import Inventory
import SSH

/// `flotilla ssh-config`: how each host would be reached, resolved from the inventory, its ssh arguments and the
/// OpenSSH client config, in the style of `ssh -G`, to compare with what ssh says.
public struct SSHConfigCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ssh-config",
        abstract: "Show how each selected host would be reached (like ssh -G), without connecting.",
        discussion: """
            One block per host: address, port, user, keys, agent, known_hosts files, host key policy, connect timeout, \
            keepalive interval and become user (passwords shown as ********), and the @cert-authority lines of \
            known_hosts that could vouch for its host certificate (certauthority FILE:LINE ...). A host whose \
            settings Flotilla would refuse shows the refusal with the file and line. Exit status 1 when any host is refused.
            """)

    @OptionGroup public var inventory: InventoryOptions
    @OptionGroup public var fleet: FleetOptions

    public init() {}

    public func run() async throws {
        // Each host on its own: one refused host is shown as such, the others still resolve.
        let (resolver, loaded, hosts) = try await loadSelection(inventory, fleet)
        let targets = try await resolveTargets(hosts, resolver: resolver, inventory: loaded)
        let extraKnownHosts = fleet.knownHosts
        // known_hosts files are read here too: on the blocking pool, each set of files once.
        let (out, refused) = try await offload { () -> (String, Bool) in
            var refused = false
            var out = ""
            var stores: [[String]: KnownHostsStore] = [:]
            for (host, resolved) in zip(hosts, targets) {
                switch resolved {
                case .success(let target):
                    // The files the transport reads for this host (see SSHTransport.knownHosts(for:)).
                    let extra = target.knownHostsFiles + extraKnownHosts
                    let global = target.globalKnownHostsFiles ?? KnownHostsStore.defaultGlobalFiles
                    let key = extra + ["global:"] + global
                    let store = stores[key] ?? KnownHostsStore.forUser(extraFiles: extra, globalFiles: global)
                    stores[key] = store
                    out += Self.describe(target, authorities: SSHTransport.certificateAuthorities(for: target, in: store)) + "\n"
                case .failure(let error):
                    refused = true
                    out += "host \(host.name)\nrefused \(error)\n\n"
                }
            }
            return (out, refused)
        }
        Console.shared.out(out)
        await Console.shared.flush()
        if refused { throw ExitCode.failure }
    }

    static func describe(_ target: ConnectionTarget, authorities: [KnownHostsEntry] = []) -> String {
        var lines = [
            "host \(target.name)", "hostname \(target.address)", "port \(target.port)", "user \(target.user)",
        ]
        lines += target.identityFiles.map { "identityfile \($0)" }
        lines.append("identitiesonly \(target.identitiesOnly ? "yes" : "no")")
        if let agent = target.identityAgent { lines.append("identityagent \(agent)") }
        lines += target.knownHostsFiles.map { "userknownhostsfile \($0)" }
        if let global = target.globalKnownHostsFiles { lines.append("globalknownhostsfile \(global.isEmpty ? "none" : global.joined(separator: " "))") }
        if let alias = target.hostKeyAlias { lines.append("hostkeyalias \(alias)") }
        lines += authorities.map {
            "certauthority \($0.file):\($0.line) \($0.hostField) \($0.key.type) \($0.key.fingerprintSHA256)"
        }
        lines.append("stricthostkeychecking \(target.hostKeyPolicy?.rawValue ?? "strict (default)")")
        // Seconds, as ssh -G prints them.
        func seconds(_ d: Duration) -> String {
            d.seconds == d.seconds.rounded() ? String(Int64(d.seconds)) : String(d.seconds)
        }
        lines.append("connecttimeout \(target.connectTimeout.map(seconds) ?? "10 (default)")")
        lines.append("serveraliveinterval \(target.keepaliveInterval.map(seconds) ?? "30 (default)")")
        if let command = target.proxyCommand { lines.append("proxycommand \(command)") }
        if !target.jumps.isEmpty {
            lines.append("proxyjump " + target.jumps.map { "\($0.user)@\($0.address):\($0.port)" }.joined(separator: ","))
        }
        if target.password != nil { lines.append("password ********") }
        if let become = target.become { lines.append(become.description) }
        return lines.joined(separator: "\n") + "\n"
    }
}
