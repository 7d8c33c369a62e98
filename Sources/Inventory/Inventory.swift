import FlotillaCore
public import Vault

/// An Ansible inventory, read from INI or YAML files, directories of them, and the `group_vars/` and
/// `host_vars/` beside them.
///
/// ## Variable precedence
/// `variables(for:)` merges, lowest first (top-level keys replace, as Ansible's default
/// `hash_behaviour=replace`), the order ansible-core implements with its default
/// `VARIABLE_PRECEDENCE`:
///
/// 1. vars of the `all` group from the inventory files (`[all:vars]`, YAML `all: vars:`);
/// 2. vars of the host's other groups from the inventory files, groups ordered by depth (parents
///    before children), then `ansible_group_priority` (default 1), then name;
/// 3. `group_vars/all` files, for each inventory source in command-line order;
/// 4. `group_vars/<group>` files, for each source in order, groups in the order of step 2;
/// 5. the host's own variables from the inventory files (inline `key=value`, YAML host maps,
///    `:port` as `ansible_port`), later definitions winning;
/// 6. `host_vars/<host>` files, for each source in order.
///
/// So a `group_vars/all.yml` file beats `[web:vars]` in the inventory file, exactly as in Ansible.
///
/// Loading reads small files synchronously: call it once at startup, before any concurrent work.
public struct Inventory: Sendable {
    /// The paths given to `load`, in order.
    public let sources: [String]
    /// Every host, in the order the inventory first names it.
    public let hosts: [InventoryHost]
    /// Every group by name, `all` and `ungrouped` included.
    public let groups: [String: InventoryGroup]
    /// Group names in the order they were first mentioned (`all` and `ungrouped` first).
    public let groupNames: [String]
    /// What Ansible would warn about; loading went on.
    public let warnings: [InventoryWarning]

    let hostIndex: [String: Int]
    let variableDirectories: [VariablesDirectory]
    /// The vault secrets `!vault` values and vaulted files are decrypted with.
    let vault: Vault
    /// Longest path from `all` to each group.
    let depth: [String: Int]
    /// Parents of each group.
    let parents: [String: [String]]

    /// Reads one inventory: a file (`.yml`, `.yaml` or `.json` as YAML, anything else as INI) or a
    /// directory of them.
    public static func load(path: String) throws -> Inventory {
        try load(paths: [path])
    }

    /// Reads several inventories into one, like repeated `ansible -i`. Throws `InventoryError`, with
    /// every problem found (`.multiple`) when there are several.
    ///
    /// As in Ansible, a source that is not an existing path but contains a comma is a host list
    /// (`-i 'web1,web2:2222,'`): each item is an ungrouped host, and no `group_vars/` apply to it.
    public static func load(paths: [String], vault: Vault = .none) throws -> Inventory {
        var builder = InventoryBuilder()
        builder.vault = vault
        for path in paths {
            if isHostList(path) {
                loadHostList(path, into: &builder)
            } else if FilePath.isDirectory(path) {
                loadDirectory(path, into: &builder)
            } else {
                loadFile(path, into: &builder)
            }
        }
        builder.reconcile()
        var errors = builder.errors
        var warnings = builder.warnings
        var directories: [VariablesDirectory] = []
        if errors.isEmpty {
            let bases = paths.filter { !isHostList($0) }.map {
                FilePath.isDirectory($0) ? $0 : FilePath.directory(of: $0)
            }
            // A directory shared by several sources is read once, at its last place (where it wins).
            for (index, base) in bases.enumerated() where !bases[(index + 1)...].contains(base) {
                directories.append(
                    VariablesDirectory.load(
                        baseDirectory: base, groups: builder.groupOrder, hosts: builder.hostOrder, vault: vault, errors: &errors,
                        warnings: &warnings))
            }
        }
        try InventoryError.check(errors)
        return Inventory(sources: paths, builder: builder, warnings: warnings, directories: directories)
    }

    static func isHostList(_ source: String) -> Bool {
        source.contains(",") && !FilePath.exists(source)
    }

    /// Ansible's `host_list` inventory plugin: comma-separated host names, each maybe with `:port`.
    static func loadHostList(_ source: String, into builder: inout InventoryBuilder) {
        var offset = 0
        for item in source.split(separator: ",", omittingEmptySubsequences: false) {
            defer { offset += item.count + 1 }
            let name = item.trimmingWhitespace()
            guard !name.isEmpty else { continue }
            let leading = item.prefix(while: { $0 == " " || $0 == "\t" }).count
            let at = FileLocation(file: "host list '\(source)'", line: 1, column: offset + leading + 1)
            let split = HostRange.splitPort(name)
            var vars = LocatedVariables()
            if let port = split.port { vars.set("ansible_port", .int(port), at: at) }
            builder.addHost(split.danglingColon ? name : split.name, to: "ungrouped", vars: vars, at: at)
        }
    }

    static func loadFile(_ path: String, into builder: inout InventoryBuilder) {
        let text: String
        do {
            text = try FilePath.read(path, vault: builder.vault)
        } catch {
            builder.errors.append(error)
            return
        }
        if [".yml", ".yaml", ".json"].contains(FilePath.extension(of: FilePath.name(of: path))) {
            YAMLInventoryParser(file: path).parse(text, into: &builder)
        } else {
            INIInventoryParser(file: path).parse(text, into: &builder)
        }
    }

    /// File endings Ansible's `INVENTORY_IGNORE_EXTS` skips in an inventory directory.
    static let ignoredEndings = [
        ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry",
    ]

    /// Every inventory file in a directory, in lexical order, recursively, as Ansible reads it.
    /// Executable scripts (dynamic inventories) cannot be run here and are skipped with a warning.
    static func loadDirectory(_ directory: String, into builder: inout InventoryBuilder) {
        let names: [String]
        do {
            names = try FilePath.list(directory)
        } catch {
            builder.errors.append(error)
            return
        }
        for name in names {
            if name.hasPrefix(".") || ["group_vars", "host_vars", "vars_plugins"].contains(name) { continue }
            if ignoredEndings.contains(where: { name.hasSuffix($0) }) { continue }
            let path = FilePath.join(directory, name)
            if FilePath.isDirectory(path) {
                loadDirectory(path, into: &builder)
            } else if FilePath.isExecutable(path), (try? FilePath.read(path))?.hasPrefix("#!") == true {
                builder.warnings.append(
                    InventoryWarning(
                        location: FileLocation(file: path, line: 1, column: 1),
                        message: "skipping executable inventory script; dynamic inventories are not supported"))
            } else {
                loadFile(path, into: &builder)
            }
        }
    }

    init(sources: [String], builder: InventoryBuilder, warnings: [InventoryWarning], directories: [VariablesDirectory]) {
        self.sources = sources
        self.hosts = builder.hostOrder.map { builder.hosts[$0]! }
        self.groups = builder.groups
        self.groupNames = builder.groupOrder
        self.warnings = warnings
        self.variableDirectories = directories
        self.vault = builder.vault
        var index: [String: Int] = [:]
        for (i, host) in hosts.enumerated() { index[host.name] = i }
        self.hostIndex = index
        var parents: [String: [String]] = [:]
        for name in builder.groupOrder {
            for child in builder.groups[name]!.children { parents[child, default: []].append(name) }
        }
        self.parents = parents
        var depth: [String: Int] = ["all": 0]
        func depthOf(_ group: String) -> Int {
            if let known = depth[group] { return known }
            let value = (parents[group] ?? []).map { depthOf($0) + 1 }.max() ?? 1
            depth[group] = value
            return value
        }
        for name in builder.groupOrder { _ = depthOf(name) }
        self.depth = depth
    }

    /// The host with this inventory name.
    public func host(named name: String) -> InventoryHost? {
        hostIndex[name].map { hosts[$0] }
    }

    /// Every group the host belongs to, directly or through children, `all` first, then in the order
    /// their variables are applied (depth, `ansible_group_priority`, name). This is Ansible's `group_names`
    /// plus `all`.
    public func groupNames(of host: String) throws -> [String] {
        guard let found = self.host(named: host) else { throw InventoryError.unknownHost(host) }
        var seen: Set<String> = []
        var stack = found.groups
        while let group = stack.popLast() {
            if seen.insert(group).inserted { stack += parents[group] ?? [] }
        }
        seen.insert("all")
        return sortedGroups(seen)
    }

    func sortedGroups(_ names: Set<String>) -> [String] {
        names.sorted { a, b in
            let left = (depth[a] ?? 1, priority(of: a), a)
            let right = (depth[b] ?? 1, priority(of: b), b)
            return left < right
        }
    }

    func priority(of group: String) -> Int { groups[group]?.priority ?? 1 }

    /// The host's variables, merged in the order described on `Inventory`. Templates (`{{ x }}`) are
    /// left as written; `resolvedVariables(for:)` expands them.
    public func variables(for host: String) throws -> [String: InventoryValue] {
        try locatedVariables(for: host).values
    }

    /// The host's variables as `variables(for:)` merges them, each with the file, line and column where the
    /// winning value was written.
    public func locatedVariables(for host: String) throws -> LocatedVariables {
        guard let found = self.host(named: host) else { throw InventoryError.unknownHost(host) }
        let hostGroups = try groupNames(of: host).filter { $0 != "all" }
        var result = groups["all"]?.located ?? LocatedVariables()
        for group in hostGroups { result.merge(groups[group]?.located ?? LocatedVariables()) }
        for directory in variableDirectories { result.merge(directory.groupVars["all"] ?? LocatedVariables()) }
        for directory in variableDirectories {
            for group in hostGroups { result.merge(directory.groupVars[group] ?? LocatedVariables()) }
        }
        result.merge(found.located)
        for directory in variableDirectories { result.merge(directory.hostVars[host] ?? LocatedVariables()) }
        return result
    }

    public func variables(for host: InventoryHost) throws -> [String: InventoryValue] {
        try variables(for: host.name)
    }

    /// Every host of a group, its own first, then those of its children (breadth first), each once.
    public func hosts(inGroup name: String) -> [String] {
        if name == "all" { return hosts.map(\.name) }
        var result: [String] = []
        var seenHosts: Set<String> = []
        var seenGroups: Set<String> = [name]
        var queue = [name]
        while !queue.isEmpty {
            let group = queue.removeFirst()
            guard let found = groups[group] else { continue }
            for host in found.hosts where seenHosts.insert(host).inserted { result.append(host) }
            for child in found.children where seenGroups.insert(child).inserted { queue.append(child) }
        }
        return result
    }
}

extension Inventory {
    /// `Inventory.Host`, for code that also imports Foundation (which has a `Host` class of its own).
    public typealias Host = InventoryHost
    public typealias Group = InventoryGroup
}
