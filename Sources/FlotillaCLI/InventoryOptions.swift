public import ArgumentParser
public import Inventory

/// The inventory flags every command that works on hosts shares: `-i/--inventory` (repeatable, like
/// Ansible's) and `--limit`.
public struct InventoryOptions: ParsableArguments {
    @Option(
        name: [.customShort("i"), .long],
        help: ArgumentHelp("Inventory file or directory (repeatable; default: ansible.cfg's inventory).", valueName: "file"))
    public var inventory: [String] = []

    @Option(
        help: ArgumentHelp(
            "Host pattern as Ansible's --limit: names, globs, groups, ~regex, a:b, a:&b, a:!b, @file.",
            valueName: "pattern"))
    public var limit: String?

    public init() {}

    /// The inventories of `-i`, else those of ansible.cfg's `inventory` or `$ANSIBLE_INVENTORY`, as Ansible.
    public func sources(_ project: AnsibleConfig) throws -> [String] {
        if !inventory.isEmpty { return inventory }
        if let configured = project.inventory, !configured.isEmpty { return configured }
        throw ValidationError(
            "Give an inventory with -i FILE (a file or a directory), or name one in ansible.cfg (inventory = FILE) "
                + "or $ANSIBLE_INVENTORY\(project.file.map { "; \($0) names none" } ?? "")")
    }

    /// Loads the inventories of `sources` (blocking file reads).
    public func loadInventory(_ project: AnsibleConfig) throws -> Inventory {
        try Inventory.load(paths: sources(project))
    }

    /// The hosts of `--limit` (every host without it).
    public func select(in loaded: Inventory) throws -> [InventoryHost] {
        try loaded.select(pattern: limit)
    }
}
