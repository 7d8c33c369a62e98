public import ArgumentParser
import FlotillaCore
public import Inventory
public import Vault

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

    @Flag(name: [.customShort("v"), .long], help: "Say which ansible.cfg was read and list its settings that Flotilla ignores.")
    public var verbose = false

    /// --vault-password-file, --vault-id and --ask-vault-pass.
    @OptionGroup public var vault: VaultOptions

    public init() {}

    /// The vault of this run (see `VaultOptions.load`).
    public func loadVault(_ project: AnsibleConfig) async throws -> Vault {
        try await vault.load(project)
    }

    /// The inventories of `-i`, else those of ansible.cfg's `inventory` or `$ANSIBLE_INVENTORY`, as Ansible.
    public func sources(_ project: AnsibleConfig) throws -> [String] {
        if !inventory.isEmpty { return inventory }
        if let configured = project.inventory, !configured.isEmpty { return configured }
        throw ValidationError(
            "Give an inventory with -i FILE (a file or a directory), or name one in ansible.cfg (inventory = FILE) "
                + "or $ANSIBLE_INVENTORY\(project.file.map { "; \($0) names none" } ?? "")")
    }


    /// The hosts of `--limit` (every host without it).
    public func select(in loaded: Inventory) throws -> [InventoryHost] {
        try loaded.select(pattern: limit)
    }
}

/// The vault secrets of a run: Ansible's --vault-password-file, --vault-id and --ask-vault-pass, with ansible.cfg's
/// vault settings below them.
public struct VaultOptions: ParsableArguments {
    @Option(
        name: .customLong("vault-password-file"),
        help: ArgumentHelp("Vault password file, or an executable that prints it (repeatable; default: ansible.cfg's vault_password_file).", valueName: "file"))
    public var vaultPasswordFiles: [String] = []

    @Option(
        name: .customLong("vault-id"),
        help: ArgumentHelp("Vault identity LABEL@SOURCE (SOURCE: a file, an executable, or prompt; repeatable).", valueName: "id"))
    public var vaultIDs: [String] = []

    @Flag(name: .customLong("ask-vault-pass"), help: "Ask for the vault password on the terminal.")
    public var askVaultPass = false


    public init() {}

    /// The vault identities in Ansible's order: ansible.cfg's vault_identity_list, then --vault-id, then
    /// --vault-password-file (else ansible.cfg's vault_password_file), then the prompt of --ask-vault-pass.
    public func identities(_ project: AnsibleConfig) -> [VaultIdentity] {
        var texts = (project.list("DEFAULT_VAULT_IDENTITY_LIST") ?? []) + vaultIDs
        texts += vaultPasswordFiles.isEmpty ? (project.string("DEFAULT_VAULT_PASSWORD_FILE").map { [$0] } ?? []) : vaultPasswordFiles
        var identities = texts.map(VaultIdentity.init(parsing:))
        if askVaultPass { identities.append(VaultIdentity(source: "prompt")) }
        return identities
    }

    /// The vault of this run: every identity's password read (files, scripts, the terminal) on the blocking pool.
    public func load(_ project: AnsibleConfig) async throws -> Vault {
        let identities = identities(project)
        if identities.isEmpty { return .none }
        do {
            return try await offload { try Vault.load(identities) }
        } catch let error as VaultError {
            throw ValidationError("\(error)")
        }
    }
}
