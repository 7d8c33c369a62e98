public import ArgumentParser
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

    /// Loads the inventories given with `-i`.
    public func loadInventory() throws -> Inventory {
        try Inventory.load(paths: inventory)
    }

    /// The hosts of `--limit` (every host without it).
    public func select(in loaded: Inventory) throws -> [InventoryHost] {
        try loaded.select(pattern: limit)
    }
}
