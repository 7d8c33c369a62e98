import FlotillaCore
import Vault
internal import Foundation

/// The `group_vars/` and `host_vars/` directories beside one inventory source, read as Ansible's
/// `host_group_vars` plugin reads them.
///
/// For an entity `NAME` the first of `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json` that exists is used; if
/// it is a directory, every file in it (recursively, in lexical order, skipping hidden files, `*~`
/// backups and extensions other than none, `.yml`, `.yaml`, `.json`) is merged, later files winning
/// key by key. Each file must hold a mapping (an empty file is no variables).
struct VariablesDirectory: Sendable {
    /// The directory that holds `group_vars/` and `host_vars/`.
    var baseDirectory: String
    /// Merged variables of each group that has files, each with the file and line it was written at.
    var groupVars: [String: LocatedVariables] = [:]
    /// Merged variables of each host that has files, each with the file and line it was written at.
    var hostVars: [String: LocatedVariables] = [:]

    static let extensions = ["", ".yml", ".yaml", ".json"]

    /// Reads the files of the given groups and hosts; a name with no files is fine. Files that match no
    /// group or host become warnings (a likely typo); unreadable or malformed files become errors.
    static func load(
        baseDirectory: String, groups: [String], hosts: [String], vault: Vault = .none, errors: inout [InventoryError],
        warnings: inout [InventoryWarning]
    ) -> VariablesDirectory {
        var result = VariablesDirectory(baseDirectory: baseDirectory)
        result.groupVars = loadKind(
            "group_vars", base: baseDirectory, names: groups, vault: vault, errors: &errors, warnings: &warnings)
        result.hostVars = loadKind("host_vars", base: baseDirectory, names: hosts, vault: vault, errors: &errors, warnings: &warnings)
        return result
    }

    private static func loadKind(
        _ kind: String, base: String, names: [String], vault: Vault, errors: inout [InventoryError],
        warnings: inout [InventoryWarning]
    ) -> [String: LocatedVariables] {
        let directory = FilePath.join(base, kind)
        guard FilePath.isDirectory(directory) else { return [:] }
        let entries: Set<String>
        do {
            entries = Set(try FileManager.default.contentsOfDirectory(atPath: directory))
        } catch {
            errors.append(.unreadable(path: directory, reason: FilePath.reason(error)))
            return [:]
        }
        var used: Set<String> = []
        var result: [String: LocatedVariables] = [:]
        for name in names {
            guard let entry = extensions.map({ name + $0 }).first(where: entries.contains) else { continue }
            used.insert(entry)
            let path = FilePath.join(directory, entry)
            let files = FilePath.isDirectory(path) ? filesInDirectory(path) : [path]
            var merged = LocatedVariables()
            for file in files {
                merged.merge(loadFile(file, vault: vault, errors: &errors))
            }
            result[name] = merged
        }
        for entry in entries.sorted() where !used.contains(entry) && !entry.hasPrefix(".") && !entry.hasSuffix("~") {
            let stem = extensions.dropFirst().reduce(entry) { $0.hasSuffix($1) ? String($0.dropLast($1.count)) : $0 }
            let what = kind == "group_vars" ? "group" : "host"
            warnings.append(
                InventoryWarning(
                    location: nil,
                    message: "\(FilePath.join(directory, entry)) matches no \(what) named '\(stem)' and is not used"))
        }
        return result
    }

    /// The variable files inside a `group_vars/NAME/` directory, in Ansible's order.
    static func filesInDirectory(_ directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var files: [String] = []
        for name in names.sorted() where !name.hasPrefix(".") && !name.hasSuffix("~") {
            let path = FilePath.join(directory, name)
            let ext = FilePath.extension(of: name)
            if FilePath.isDirectory(path) {
                if ext.isEmpty { files += filesInDirectory(path) }
            } else if ext.isEmpty || extensions.contains(ext) {
                files.append(path)
            }
        }
        return files
    }

    /// One variables file: a YAML (or JSON) mapping; each variable's origin is its value node.
    static func loadFile(_ path: String, vault: Vault = .none, errors: inout [InventoryError]) -> LocatedVariables {
        let text: String
        do {
            text = try FilePath.read(path, vault: vault)
        } catch {
            errors.append(error)
            return LocatedVariables()
        }
        do {
            let document = try YAMLDocument(file: path, text: text)
            guard let root = document.root, InventoryValue(root) != .null else { return LocatedVariables() }
            guard case .mapping(let mapping) = root else {
                errors.append(
                    .unexpectedType(
                        document.location(of: root), context: "variables file",
                        expected: "a mapping of variable names to values", found: YAMLDocument.kind(root)))
                return LocatedVariables()
            }
            // Entries in file order, merge keys first: a later key wins, value and origin together.
            var variables = LocatedVariables()
            for (key, value) in YAMLDocument.entries(of: mapping) {
                variables.set(YAMLDocument.keyText(key), InventoryValue(value), at: document.location(of: value))
            }
            return variables
        } catch {
            errors.append(error)
            return LocatedVariables()
        }
    }
}
