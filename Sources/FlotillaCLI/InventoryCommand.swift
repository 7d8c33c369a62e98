public import ArgumentParser
import FlotillaCore
import Foundation
import Inventory

/// `flotilla inventory`: shows hosts, groups and resolved variables as Flotilla reads them, like
/// `ansible-inventory --list/--graph`.
public struct InventoryCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Show the hosts, groups and variables of Ansible inventories as Flotilla reads them.",
        discussion: """
            Reads Ansible INI and YAML inventories, directories of them, and the group_vars/ and \
            host_vars/ beside them. Passwords are shown as ********.
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
            let project = try await ProjectConfig.load()
            let sources = try options.sources(project)
            let vault = try await options.loadVault(project)
            let inventory = try await offload { try Inventory.load(paths: sources, vault: vault) }
            for warning in inventory.warnings { Self.standardError("\(warning)") }
            let hosts = try options.select(in: inventory)
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
