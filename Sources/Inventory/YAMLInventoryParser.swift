import FlotillaCore
internal import Yams

/// Reads an Ansible YAML (or JSON) inventory into an `InventoryBuilder`, following `ansible.builtin.yaml`:
/// top-level keys are groups (usually just `all`); each group is a mapping (or null) with `hosts`,
/// `children` and `vars`, nested to any depth. Hosts are keys of `hosts` whose values are variable
/// mappings or null; host names may carry ranges and `:port`. A section given as a single string
/// (`hosts: web1`) means a mapping with that one key, as in Ansible.
///
/// A list or scalar where a mapping is expected is an error at that node; an unknown key in a group is
/// a warning, as in Ansible.
struct YAMLInventoryParser {
    let file: String

    func parse(_ text: String, into builder: inout InventoryBuilder) {
        let document: YAMLDocument
        do {
            document = try YAMLDocument(file: file, text: text)
        } catch {
            builder.errors.append(error)
            return
        }
        guard let root = document.root, InventoryValue(root) != .null else {
            builder.errors.append(
                .syntax(
                    FileLocation(file: file, line: 1, column: 1), expected: "a mapping of groups such as 'all:'",
                    found: "an empty file"))
            return
        }
        guard case .mapping(let top) = root else {
            builder.errors.append(
                .unexpectedType(
                    document.location(of: root), context: "YAML inventory", expected: "a mapping of groups",
                    found: YAMLDocument.kind(root)))
            return
        }
        let entries = YAMLDocument.entries(of: top)
        if let plugin = entries.first(where: { YAMLDocument.keyText($0.key) == "plugin" }) {
            builder.errors.append(
                .syntax(
                    document.location(of: plugin.key), expected: "a YAML inventory",
                    found: "an inventory plugin configuration ('plugin: \(InventoryValue(plugin.value).text)')"))
            return
        }
        for (key, value) in entries {
            parseGroup(YAMLDocument.keyText(key), key: key, value: value, document: document, into: &builder)
        }
    }

    private func parseGroup(
        _ group: String, key: Node, value: Node, document: YAMLDocument, into builder: inout InventoryBuilder
    ) {
        let at = document.location(of: key)
        builder.addGroup(group, at: at)
        let mapping: Node.Mapping
        switch value {
        case .mapping(let m): mapping = m
        case .scalar where InventoryValue(value) == .null: return
        default:
            builder.errors.append(
                .unexpectedType(
                    document.location(of: value), context: "group '\(group)'",
                    expected: "a mapping with 'hosts', 'children' or 'vars'", found: YAMLDocument.kind(value)))
            return
        }
        for (sectionKey, sectionValue) in YAMLDocument.entries(of: mapping) {
            let section = YAMLDocument.keyText(sectionKey)
            guard ["hosts", "children", "vars"].contains(section) else {
                builder.warnings.append(
                    InventoryWarning(
                        location: document.location(of: sectionKey),
                        message: "skipping unexpected key '\(section)' in group '\(group)'; "
                            + "only 'hosts', 'children' and 'vars' are valid"))
                continue
            }
            let entries: [(key: Node, value: Node)]
            switch sectionValue {
            case .mapping(let m):
                entries = YAMLDocument.entries(of: m)
            case .scalar where InventoryValue(sectionValue) == .null:
                continue
            case .scalar where InventoryValue(sectionValue).stringValue != nil:
                entries = [(sectionValue, Node("~", .implicit))]
            default:
                builder.errors.append(
                    .unexpectedType(
                        document.location(of: sectionValue), context: "'\(section)' of group '\(group)'",
                        expected: "a mapping", found: YAMLDocument.kind(sectionValue)))
                continue
            }
            for (entryKey, entryValue) in entries {
                let name = YAMLDocument.keyText(entryKey)
                switch section {
                case "vars":
                    builder.setGroupVariable(
                        group, name, InventoryValue(entryValue), at: document.location(of: entryValue))
                case "children":
                    parseGroup(name, key: entryKey, value: entryValue, document: document, into: &builder)
                    builder.addChild(group, name, at: document.location(of: entryKey))
                default:
                    parseHost(name, key: entryKey, value: entryValue, group: group, document: document, into: &builder)
                }
            }
        }
    }

    private func parseHost(
        _ pattern: String, key: Node, value: Node, group: String, document: YAMLDocument,
        into builder: inout InventoryBuilder
    ) {
        let at = document.location(of: key)
        var vars = LocatedVariables()
        switch value {
        case .mapping(let m):
            for (k, v) in YAMLDocument.entries(of: m) {
                vars.set(YAMLDocument.keyText(k), InventoryValue(v), at: document.location(of: v))
            }
        case .scalar where InventoryValue(value) == .null:
            break
        default:
            builder.errors.append(
                .unexpectedType(
                    document.location(of: value), context: "host '\(pattern)' in group '\(group)'",
                    expected: "a mapping of variables or nothing", found: YAMLDocument.kind(value)))
            return
        }
        var literal = false
        if case .scalar(let s) = key, s.style == .plain { literal = true }
        guard let names = HostDefinition.expand(pattern, literal: literal, at: at, into: &builder) else { return }
        for (name, port) in names {
            var hostVars = vars
            if let port { hostVars.set("ansible_port", .int(port), at: at) }
            builder.addHost(name, to: group, vars: hostVars, at: at)
        }
    }
}
