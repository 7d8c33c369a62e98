public import ArgumentParser
import Foundation
public import Inventory

/// The inventory flags every command that works on hosts shares: `-i/--inventory` (repeatable, like
/// Ansible's) and `--limit`.
public struct InventoryOptions: ParsableArguments {
    @Option(
        name: [.customShort("i"), .long], help: ArgumentHelp("Inventory file or directory (repeatable).", valueName: "file"))
    public var inventory: [String] = []

    @Option(
        help: ArgumentHelp(
            "Host pattern as Ansible's --limit: names, globs, groups, ~regex, a:b, a:&b, a:!b, @file.",
            valueName: "pattern"))
    public var limit: String?

    public init() {}

    public func validate() throws {
        if inventory.isEmpty { throw ValidationError("Give an inventory with -i FILE (a file or a directory).") }
    }

    /// Loads the inventories and selects the hosts of `--limit` (every host without it).
    public func load() throws -> (inventory: Inventory, hosts: [InventoryHost]) {
        let loaded = try Inventory.load(paths: inventory)
        return (loaded, try loaded.select(pattern: limit))
    }
}

/// `flotilla inventory`: shows hosts, groups and resolved variables as Flotilla reads them, like
/// `ansible-inventory --list/--graph`.
public struct InventoryCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Show the hosts, groups and variables of Ansible inventories as Flotilla reads them.",
        discussion: """
            Reads Ansible INI and YAML inventories, directories of them, and the group_vars/ and host_vars/
            beside them. Passwords are shown as ********.
            """)

    @OptionGroup public var options: InventoryOptions

    @Flag(help: "Print JSON: {\"hosts\": {...}, \"groups\": {...}}.")
    public var json = false

    @Flag(help: "Print only the group tree, like ansible-inventory --graph.")
    public var graph = false

    public init() {}

    public func validate() throws {
        if json && graph { throw ValidationError("--json and --graph cannot be combined.") }
    }

    public func run() async throws {
        do {
            let (inventory, hosts) = try options.load()
            for warning in inventory.warnings { Self.standardError("\(warning)") }
            let report = InventoryReport(inventory: inventory, hosts: hosts)
            if json {
                print(try report.json())
            } else if graph {
                print(report.graph(), terminator: "")
            } else {
                print(try report.text(), terminator: "")
            }
        } catch let error as InventoryError {
            Self.standardError("\(error)")
            throw ExitCode.failure
        }
    }

    static func standardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// What `flotilla inventory` prints, built from a loaded inventory and the selected hosts.
struct InventoryReport {
    let inventory: Inventory
    let hosts: [InventoryHost]
    let selected: Set<String>

    init(inventory: Inventory, hosts: [InventoryHost]) {
        self.inventory = inventory
        self.hosts = hosts
        self.selected = Set(hosts.map(\.name))
    }

    /// Variables whose values are never shown.
    static func isSecret(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.contains("pass") || lower.contains("secret") || lower.contains("token")
    }

    static let mask = "********"

    static func masked(_ vars: [String: InventoryValue]) -> [String: InventoryValue] {
        var out = vars
        for key in vars.keys where isSecret(key) && vars[key] != .null { out[key] = .string(mask) }
        return out
    }

    func text() throws -> String {
        var out = ""
        for host in hosts {
            if !out.isEmpty { out += "\n" }
            out += host.name + "\n"
            let groups = try inventory.groupNames(of: host.name).filter { $0 != "all" }
            out += "  groups: " + groups.joined(separator: ", ") + "\n"
            out += "  connection: " + describe(try inventory.connectionVars(for: host)) + "\n"
            let vars = Self.masked(try inventory.variables(for: host))
            if !vars.isEmpty {
                out += "  vars:\n"
                for key in vars.keys.sorted() { out += "    \(key): \(vars[key]!.jsonText)\n" }
            }
        }
        if !hosts.isEmpty { out += "\n" }
        return out + graph()
    }

    func describe(_ vars: HostConnectionVars) -> String {
        var parts = [
            (vars.user.map { $0 + "@" } ?? "") + (vars.address ?? vars.name) + (vars.port.map { ":\($0)" } ?? "")
        ]
        if let key = vars.keyFile { parts.append("key \(key)") }
        if vars.password != nil { parts.append("password \(Self.mask)") }
        if let become = vars.become {
            parts.append(become ? "become \(vars.becomeUser ?? "root")" : "no become")
        }
        if let policy = vars.hostKeyPolicy { parts.append("host keys \(policy.rawValue)") }
        if let file = vars.knownHostsFile { parts.append("known_hosts \(file)") }
        return parts.joined(separator: ", ")
    }

    /// The group tree as `ansible-inventory --graph` draws it, keeping only selected hosts and the groups
    /// that lead to them.
    func graph() -> String {
        var out = ""
        func hasSelected(_ group: String, _ seen: Set<String>) -> Bool {
            guard let found = inventory.groups[group], !seen.contains(group) else { return false }
            return found.hosts.contains(where: selected.contains)
                || found.children.contains { hasSelected($0, seen.union([group])) }
        }
        let limited = selected.count != inventory.hosts.count
        func draw(_ group: String, depth: Int) {
            guard let found = inventory.groups[group] else { return }
            let indent = String(repeating: "  |", count: depth)
            out += (depth == 0 ? "" : indent + "--") + "@\(group):\n"
            for child in found.children where !limited || hasSelected(child, []) {
                draw(child, depth: depth + 1)
            }
            for host in found.hosts where selected.contains(host) {
                out += String(repeating: "  |", count: depth + 1) + "--" + host + "\n"
            }
        }
        draw("all", depth: 0)
        return out
    }

    /// The fields the inventory sets; unset ones are left out (the SSH client config may fill them).
    func connectionJSON(_ vars: HostConnectionVars) -> [String: InventoryValue] {
        var out: [String: InventoryValue] = [:]
        out["address"] = vars.address.map(InventoryValue.string)
        out["port"] = vars.port.map(InventoryValue.int)
        out["user"] = vars.user.map(InventoryValue.string)
        out["key_file"] = vars.keyFile.map(InventoryValue.string)
        out["password"] = vars.password.map { _ in .string(Self.mask) }
        out["become"] = vars.become.map(InventoryValue.bool)
        out["become_user"] = vars.becomeUser.map(InventoryValue.string)
        out["become_password"] = vars.becomePassword.map { _ in .string(Self.mask) }
        out["known_hosts_file"] = vars.knownHostsFile.map(InventoryValue.string)
        out["host_key_policy"] = vars.hostKeyPolicy.map { .string($0.rawValue) }
        return out
    }

    func json() throws -> String {
        var hostsJSON: [String: InventoryValue] = [:]
        for host in hosts {
            let groups = try inventory.groupNames(of: host.name).filter { $0 != "all" }
            hostsJSON[host.name] = .map([
                "groups": .list(groups.map(InventoryValue.string)),
                "vars": .map(Self.masked(try inventory.variables(for: host))),
                "connection": .map(connectionJSON(try inventory.connectionVars(for: host))),
            ])
        }
        var groupsJSON: [String: InventoryValue] = [:]
        for name in inventory.groupNames {
            guard let group = inventory.groups[name] else { continue }
            groupsJSON[name] = .map([
                "hosts": .list(group.hosts.filter(selected.contains).map(InventoryValue.string)),
                "children": .list(group.children.map(InventoryValue.string)),
                "vars": .map(Self.masked(group.vars)),
            ])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let document: InventoryValue = .map(["hosts": .map(hostsJSON), "groups": .map(groupsJSON)])
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
