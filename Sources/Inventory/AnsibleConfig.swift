public import FlotillaCore
import Foundation

/// An Ansible project's `ansible.cfg`, found and read as Ansible finds and reads it, with the `ANSIBLE_*`
/// environment on top: the settings that decide which hosts are reached and how.
///
/// Found as Ansible's `find_ini_config_file`: `$ANSIBLE_CONFIG` (a file, or a directory holding ansible.cfg),
/// then `./ansible.cfg` (skipped, with a warning, when the directory is world-writable), `~/.ansible.cfg`,
/// `/etc/ansible/ansible.cfg`; the first that exists and is readable is the only one read. Read as Python's
/// `configparser` with Ansible's options (`=` or `:`, `#`/`;` comment lines, ` ;` inline comments, indented
/// continuation lines, keys in any case, duplicates refused, values raw and unquoted). Relative paths resolve
/// from the file's directory, `~` from $HOME. An environment variable beats the file; a command-line option
/// beats both (the CLI applies that).
public struct AnsibleConfig: Sendable {
    /// Where a setting's value came from.
    public enum Origin: Sendable, Hashable, CustomStringConvertible {
        case file(FileLocation)
        case environment(String)

        /// As `ansible-config dump` prints it: the file, or `env: NAME`.
        public var dumpText: String {
            switch self {
            case .file(let at): at.file
            case .environment(let name): "env: \(name)"
            }
        }

        public var description: String {
            switch self {
            case .file(let at): "\(at.file):\(at.line)"
            case .environment(let name): "$\(name)"
            }
        }
    }

    public enum Value: Sendable, Hashable {
        case string(String)
        case bool(Bool)
        case int(Int)
        case list([String])

        /// As `ansible-config dump` prints Python values.
        public var dumpText: String {
            switch self {
            case .string(let s): s
            case .bool(let b): b ? "True" : "False"
            case .int(let i): String(i)
            case .list(let items): "[" + items.map { "'\($0)'" }.joined(separator: ", ") + "]"
            }
        }
    }

    public struct Setting: Sendable, Hashable {
        /// Ansible's name (`DEFAULT_REMOTE_USER`).
        public var name: String
        public var value: Value
        public var origin: Origin
    }

    /// The file read, if any.
    public var file: String?
    /// The settings Flotilla reads that the file or the environment set, by Ansible name.
    public var settings: [String: Setting] = [:]
    /// Settings of the file that Flotilla does not read and that do not change where or how hosts are reached.
    public var ignored: [(key: String, section: String, at: FileLocation)] = []
    /// Warnings to print once (a world-writable directory's ansible.cfg skipped).
    public var warnings: [String] = []

    public init() {}

    // MARK: What Flotilla reads

    enum Kind { case string, bool, int, path, pathList, list }

    struct Definition {
        var name: String
        var section: String
        var key: String
        var environment: [String]
        var kind: Kind
        /// More places in the file, read after `section`/`key`: the last one found wins, as in Ansible.
        var alsoIn: [(section: String, key: String)] = []
    }

    /// Every setting Flotilla reads (docs/ansible-compatibility.md lists them with what each does).
    static let definitions: [Definition] = [
        Definition(name: "DEFAULT_HOST_LIST", section: "defaults", key: "inventory", environment: ["ANSIBLE_INVENTORY"], kind: .pathList),
        Definition(name: "DEFAULT_REMOTE_USER", section: "defaults", key: "remote_user", environment: ["ANSIBLE_REMOTE_USER"], kind: .string),
        Definition(name: "DEFAULT_REMOTE_PORT", section: "defaults", key: "remote_port", environment: ["ANSIBLE_REMOTE_PORT"], kind: .int),
        Definition(name: "DEFAULT_PRIVATE_KEY_FILE", section: "defaults", key: "private_key_file", environment: ["ANSIBLE_PRIVATE_KEY_FILE"], kind: .path),
        Definition(name: "HOST_KEY_CHECKING", section: "defaults", key: "host_key_checking", environment: ["ANSIBLE_HOST_KEY_CHECKING"], kind: .bool),
        Definition(name: "DEFAULT_TIMEOUT", section: "defaults", key: "timeout", environment: ["ANSIBLE_TIMEOUT"], kind: .int),
        Definition(name: "DEFAULT_FORKS", section: "defaults", key: "forks", environment: ["ANSIBLE_FORKS"], kind: .int),
        Definition(name: "DEFAULT_VAULT_PASSWORD_FILE", section: "defaults", key: "vault_password_file", environment: ["ANSIBLE_VAULT_PASSWORD_FILE"], kind: .path),
        Definition(name: "DEFAULT_VAULT_IDENTITY_LIST", section: "defaults", key: "vault_identity_list", environment: ["ANSIBLE_VAULT_IDENTITY_LIST"], kind: .list),
        Definition(name: "DEFAULT_TRANSPORT", section: "defaults", key: "transport", environment: ["ANSIBLE_TRANSPORT"], kind: .string),
        Definition(name: "DEFAULT_ASK_PASS", section: "defaults", key: "ask_pass", environment: ["ANSIBLE_ASK_PASS"], kind: .bool),
        Definition(name: "DEFAULT_BECOME", section: "privilege_escalation", key: "become", environment: ["ANSIBLE_BECOME"], kind: .bool),
        Definition(name: "DEFAULT_BECOME_METHOD", section: "privilege_escalation", key: "become_method", environment: ["ANSIBLE_BECOME_METHOD"], kind: .string),
        Definition(name: "DEFAULT_BECOME_USER", section: "privilege_escalation", key: "become_user", environment: ["ANSIBLE_BECOME_USER"], kind: .string),
        Definition(name: "DEFAULT_BECOME_ASK_PASS", section: "privilege_escalation", key: "become_ask_pass", environment: ["ANSIBLE_BECOME_ASK_PASS"], kind: .bool),
        // The ssh connection plugin's own options (`ansible-config dump -t connection` shows them under "ssh").
        Definition(name: "ssh_args", section: "ssh_connection", key: "ssh_args", environment: ["ANSIBLE_SSH_ARGS"], kind: .string),
        Definition(name: "ssh_common_args", section: "ssh_connection", key: "ssh_common_args", environment: ["ANSIBLE_SSH_COMMON_ARGS"], kind: .string),
        Definition(name: "ssh_extra_args", section: "ssh_connection", key: "ssh_extra_args", environment: ["ANSIBLE_SSH_EXTRA_ARGS"], kind: .string),
        Definition(name: "ssh_executable", section: "ssh_connection", key: "ssh_executable", environment: ["ANSIBLE_SSH_EXECUTABLE"], kind: .string),
        Definition(
            name: "host_key_checking", section: "defaults", key: "host_key_checking",
            environment: ["ANSIBLE_HOST_KEY_CHECKING", "ANSIBLE_SSH_HOST_KEY_CHECKING"], kind: .bool,
            alsoIn: [("ssh_connection", "host_key_checking")]),
    ]

    // MARK: Typed access

    public func string(_ name: String) -> String? {
        if case .string(let s)? = settings[name]?.value { return s }
        return nil
    }

    public func bool(_ name: String) -> Bool? {
        if case .bool(let b)? = settings[name]?.value { return b }
        return nil
    }

    public func int(_ name: String) -> Int? {
        if case .int(let i)? = settings[name]?.value { return i }
        return nil
    }

    public func list(_ name: String) -> [String]? {
        if case .list(let l)? = settings[name]?.value { return l }
        return nil
    }

    /// The inventory sources (`inventory =`, `$ANSIBLE_INVENTORY`), resolved.
    public var inventory: [String]? { list("DEFAULT_HOST_LIST") }
    public var remoteUser: String? { string("DEFAULT_REMOTE_USER") }
    public var remotePort: Int? { int("DEFAULT_REMOTE_PORT") }
    public var privateKeyFile: String? { string("DEFAULT_PRIVATE_KEY_FILE") }
    /// The ssh connection's host_key_checking ([defaults] or [ssh_connection], or either variable).
    public var hostKeyChecking: Bool? { bool("host_key_checking") }
    public var timeout: Int? { int("DEFAULT_TIMEOUT") }
    public var forks: Int? { int("DEFAULT_FORKS") }
    public var become: Bool? { bool("DEFAULT_BECOME") }
    public var becomeUser: String? { string("DEFAULT_BECOME_USER") }
    /// The vault identities, in Ansible's order: the identity list, then the password file (label "default").
    public var vaultIdentities: [String] {
        (list("DEFAULT_VAULT_IDENTITY_LIST") ?? []) + (string("DEFAULT_VAULT_PASSWORD_FILE").map { [$0] } ?? [])
    }
    /// ssh_args, ssh_common_args and ssh_extra_args split into words as Ansible splits them, each under the
    /// inventory variable it stands in for (`ansible_ssh_common_args`), in Ansible's order.
    public func sshArguments() throws -> [(variable: String, words: [String], origin: Origin)] {
        var result: [(variable: String, words: [String], origin: Origin)] = []
        for name in ["ssh_args", "ssh_common_args", "ssh_extra_args"] {
            guard let setting = settings[name], let text = string(name) else { continue }
            do {
                result.append(("ansible_" + name, try ShellWords.split(text).map(\.text), setting.origin))
            } catch {
                let at: FileLocation
                switch setting.origin {
                case .file(let location): at = location
                case .environment(let variable): at = FileLocation(file: "$" + variable, line: 0, column: 0)
                }
                throw AnsibleConfigError.invalid(
                    at, name: name, value: text, expected: "ssh arguments with balanced quotes (the \(error.quote) at offset \(error.offset) is never closed)")
            }
        }
        return result
    }

    // MARK: Refusals

    /// Settings that change where or how hosts are reached and that Flotilla does not implement.
    public func checkSupported() throws {
        func check(_ name: String, _ bad: (AnsibleConfig.Value) -> String?) throws {
            guard let setting = settings[name], let why = bad(setting.value) else { return }
            let key = Self.definitions.first { $0.name == name }?.key ?? name
            throw AnsibleConfigError.refused(setting.origin, setting: key, value: setting.value.dumpText, why: why)
        }
        try check("DEFAULT_TRANSPORT") {
            guard case .string(let t) = $0, !["ssh", "smart"].contains(t.lowercased()) else { return nil }
            return "Flotilla reaches hosts over SSH only"
        }
        try check("DEFAULT_ASK_PASS") {
            $0 == .bool(true) ? "Flotilla does not ask for SSH login passwords (use keys, an agent, or ansible_password)" : nil
        }
        try check("DEFAULT_BECOME_METHOD") {
            guard case .string(let m) = $0, m.lowercased() != "sudo" else { return nil }
            return "Flotilla becomes another user with sudo only"
        }
        try check("DEFAULT_BECOME_ASK_PASS") {
            $0 == .bool(true) ? "Flotilla does not ask for become passwords yet (set ansible_become_password, vaulted)" : nil
        }
        try check("ssh_executable") {
            guard case .string(let e) = $0, !["ssh", "/usr/bin/ssh"].contains(e) else { return nil }
            return "Flotilla speaks SSH itself and runs no ssh program, so a wrapper's behaviour would be lost"
        }
    }

    // MARK: Finding and reading

    /// The environment and places a search looks at; `current()` for this process.
    public struct Context: Sendable {
        public var environment: [String: String]
        public var workingDirectory: String
        public var home: String

        public init(environment: [String: String], workingDirectory: String, home: String) {
            self.environment = environment
            self.workingDirectory = workingDirectory
            self.home = home
        }

        public static func current() -> Context {
            let env = ProcessInfo.processInfo.environment
            return Context(
                environment: env, workingDirectory: FileManager.default.currentDirectoryPath,
                home: env["HOME"] ?? NSHomeDirectory())
        }
    }

    /// Finds the file as Ansible does and reads it with the environment on top. Blocking (file reads).
    public static func load(context: Context = .current()) throws -> AnsibleConfig {
        var config = AnsibleConfig()
        var candidates: [String] = []
        if let fromEnvironment = context.environment["ANSIBLE_CONFIG"] {
            var path = resolve(fromEnvironment, base: context.workingDirectory, home: context.home)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                path += "/ansible.cfg"
            }
            candidates.append(path)
        }
        let local = context.workingDirectory + "/ansible.cfg"
        var info = stat()
        if stat(context.workingDirectory, &info) == 0, info.st_mode & S_IWOTH != 0 {
            if FileManager.default.fileExists(atPath: local), context.environment["ANSIBLE_CONFIG"] == nil {
                config.warnings.append(
                    "\(local) is not read: its directory \(context.workingDirectory) is world-writable (as Ansible, "
                        + "which would run a stranger's settings); set ANSIBLE_CONFIG to use it")
            }
        } else {
            candidates.append(local)
        }
        candidates += [context.home + "/.ansible.cfg", "/etc/ansible/ansible.cfg"]
        if let found = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) {
            guard let data = FileManager.default.contents(atPath: found) else {
                throw AnsibleConfigError.unreadable(found, "cannot read it")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw AnsibleConfigError.unreadable(found, "it is not UTF-8, as Ansible requires")
            }
            config.file = found
            try config.read(text, file: found, context: context)
        }
        try config.readEnvironment(context)
        return config
    }

    /// Reads `text` as the file `file` (tests call it directly).
    mutating func read(_ text: String, file: String, context: Context) throws {
        let sections = try ConfigINI.parse(text, file: file)
        let directory = (file as NSString).deletingLastPathComponent
        var known: Set<String> = []
        for definition in Self.definitions {
            for (section, key) in [(definition.section, definition.key)] + definition.alsoIn {
                known.insert(section + "." + key)
                guard let entry = sections[section]?[key] else { continue }
                let value = try Self.convert(entry.value, kind: definition.kind, base: directory, home: context.home, at: entry.at, name: key)
                settings[definition.name] = Setting(name: definition.name, value: value, origin: .file(entry.at))
            }
        }
        for (section, entries) in sections.sorted(by: { $0.key < $1.key }) {
            for (key, entry) in entries where !known.contains(section + "." + key) {
                ignored.append((key, section, entry.at))
            }
        }
        ignored.sort { $0.at.line < $1.at.line }
    }

    mutating func readEnvironment(_ context: Context) throws {
        for definition in Self.definitions {
            for name in definition.environment {
                guard let text = context.environment[name] else { continue }
                let at = FileLocation(file: "$" + name, line: 0, column: 0)
                let value = try Self.convert(text, kind: definition.kind, base: context.workingDirectory, home: context.home, at: at, name: name)
                settings[definition.name] = Setting(name: definition.name, value: value, origin: .environment(name))
            }
        }
    }

    static func convert(_ raw: String, kind: Kind, base: String, home: String, at: FileLocation, name: String) throws -> Value {
        let text = unquote(raw)
        switch kind {
        case .string: return .string(text)
        case .bool:
            // Ansible's boolean(strict=False): anything not true is false.
            return .bool(["y", "yes", "on", "1", "true", "t"].contains(text.lowercased()))
        case .int:
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw AnsibleConfigError.invalid(at, name: name, value: text, expected: "an integer")
            }
            return .int(n)
        case .path: return .string(resolve(text, base: base, home: home))
        case .pathList:
            return .list(text.split(separator: ",", omittingEmptySubsequences: false).map {
                resolve($0.trimmingCharacters(in: .whitespaces), base: base, home: home)
            })
        case .list:
            return .list(text.split(separator: ",", omittingEmptySubsequences: false).map {
                unquote($0.trimmingCharacters(in: .whitespaces))
            })
        }
    }

    /// Ansible's `unquote`: one pair of matching surrounding quotes comes off.
    static func unquote(_ text: String) -> String {
        guard text.count >= 2, let first = text.first, first == text.last, first == "\"" || first == "'" else { return text }
        return String(text.dropFirst().dropLast())
    }

    /// Ansible's `unfrackpath(path, follow=False, basedir=...)`: `~` and `$VARS` expanded, made absolute
    /// against `base`, normalised (`..` folded without following links).
    static func resolve(_ path: String, base: String, home: String) -> String {
        var p = path
        if p == "~" { p = home } else if p.hasPrefix("~/") { p = home + p.dropFirst() }
        if !p.hasPrefix("/") { p = base + "/" + p }
        var parts: [Substring] = []
        for part in p.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}

/// Python's `configparser` as Ansible configures it (`inline_comment_prefixes=(';',)`, everything else default:
/// `=`/`:` delimiters, `#`/`;` comment lines, continuation lines indented deeper than their key, empty lines kept
/// inside a value, option names lower-cased, `[DEFAULT]` inherited by every section, duplicates an error).
enum ConfigINI {
    struct Entry { var value: String; var at: FileLocation }

    static func parse(_ text: String, file: String) throws -> [String: [String: Entry]] {
        var sections: [String: [String: Entry]] = [:]
        var current: String?
        var option: (key: String, indent: Int)?
        var seenSections: Set<String> = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            let lineNumber = index + 1
            var line = String(rawLine)
            if line.hasSuffix("\r") { line.removeLast() }
            let stripped = line.trimmingCharacters(in: .whitespaces)
            if stripped.hasPrefix("#") || stripped.hasPrefix(";") { continue }
            // Inline comments: ';' after whitespace.
            var content = line
            if let range = inlineComment(in: line) { content = String(line[..<range]) }
            let value = content.trimmingCharacters(in: .whitespaces)
            let indent = line.prefix(while: { $0 == " " || $0 == "\t" }).count
            if value.isEmpty {
                // An empty line inside a value is kept (empty_lines_in_values), trailing ones dropped below.
                if let (key, _) = option, let s = current { sections[s]?[key]?.value += "\n" }
                continue
            }
            if let (key, keyIndent) = option, let s = current, indent > keyIndent {
                sections[s]?[key]?.value += "\n" + value
                continue
            }
            option = nil
            if value.hasPrefix("["), let close = value.firstIndex(of: "]") {
                let name = String(value[value.index(after: value.startIndex)..<close])
                if seenSections.contains(name) {
                    throw AnsibleConfigError.syntax(FileLocation(file: file, line: lineNumber, column: indent + 1), expected: "each section once", found: "a second [\(name)]")
                }
                seenSections.insert(name)
                current = name
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let s = current else {
                throw AnsibleConfigError.syntax(FileLocation(file: file, line: lineNumber, column: indent + 1), expected: "a [section] header first", found: "'\(value.prefix(40))'")
            }
            guard let delimiter = value.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw AnsibleConfigError.syntax(FileLocation(file: file, line: lineNumber, column: indent + 1), expected: "key = value", found: "'\(value.prefix(40))'")
            }
            let key = value[..<delimiter].trimmingCharacters(in: .whitespaces).lowercased()
            let v = value[value.index(after: delimiter)...].trimmingCharacters(in: .whitespaces)
            let at = FileLocation(file: file, line: lineNumber, column: indent + 1)
            if sections[s]?[key] != nil {
                throw AnsibleConfigError.syntax(at, expected: "each option once in [\(s)]", found: "a second '\(key)'")
            }
            sections[s]?[key] = Entry(value: v, at: at)
            option = (key, indent)
        }
        // Trailing empty lines of multi-line values go, as configparser drops them.
        for (s, entries) in sections {
            for (key, entry) in entries {
                var v = entry.value
                while v.hasSuffix("\n") { v.removeLast() }
                sections[s]?[key]?.value = v
            }
        }
        if let defaults = sections.removeValue(forKey: "DEFAULT") {
            for s in sections.keys {
                for (key, entry) in defaults where sections[s]?[key] == nil { sections[s]?[key] = entry }
            }
        }
        return sections
    }

    private static func inlineComment(in line: String) -> String.Index? {
        var previous: Character?
        for index in line.indices {
            if line[index] == ";", let p = previous, p == " " || p == "\t" { return index }
            previous = line[index]
        }
        return nil
    }
}

/// Why an ansible.cfg (or an `ANSIBLE_*` variable) cannot be used. Positions are the file's line, or `$NAME`.
public enum AnsibleConfigError: Error, Sendable, CustomStringConvertible {
    case unreadable(String, String)
    case syntax(FileLocation, expected: String, found: String)
    case invalid(FileLocation, name: String, value: String, expected: String)
    /// A setting that changes where or how hosts are reached and that Flotilla does not implement.
    case refused(AnsibleConfig.Origin, setting: String, value: String, why: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let why): "\(path): \(why)"
        case .syntax(let at, let expected, let found): "\(at.file):\(at.line): expected \(expected), found \(found)"
        case .invalid(let at, let name, let value, let expected):
            (at.line > 0 ? "\(at.file):\(at.line)" : at.file) + ": \(name) = \(value): expected \(expected)"
        case .refused(let origin, let setting, let value, let why):
            "\(origin): \(setting) = \(value) is not supported: \(why); Flotilla refuses it rather than reach hosts another way than Ansible would"
        }
    }
}
