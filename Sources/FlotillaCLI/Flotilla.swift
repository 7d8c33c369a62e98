public import ArgumentParser

/// The `flotilla` command line.
public struct Flotilla: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "flotilla",
        abstract: "Fleet time-sync provisioning over SSH: plan, roll out and audit chrony across a fleet.",
        version: "0.1.0",
        subcommands: [
            PlanCommand.self, ApplyCommand.self, AuditCommand.self, RunsCommand.self, RunCommand.self, FactsCommand.self, InventoryCommand.self, SSHConfigCommand.self, ConfigCommand.self, LabCommand.self,
        ]
    )

    public init() {}
}
