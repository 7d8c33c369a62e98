import FlotillaCore
/// Reads an Ansible INI inventory into an `InventoryBuilder`, following `ansible.builtin.ini`:
///
/// - `[group]`, `[group:children]`, `[group:vars]` sections; lines before any section are hosts of `ungrouped`.
/// - Whole-line comments start with `#` or `;`. On host lines `#` outside quotes also ends the line.
/// - Host lines are split like a shell (`shlex`); `key=value` values are read as Python literals, so
///   `port=22` is an integer, `x=True` a boolean and `x="42"` (quotes removed by the shell split) the integer 42.
/// - `[group:vars]` lines are `key = value` with the value read as a Python literal too, without the
///   shell split: quotes are Python string quotes, and a trailing `# text` stays part of the value.
///   (Ansible's documentation says these are strings; ansible-core 2.x's parser and this one read them
///   as literals: `x=8080` is an integer, `x=True` a boolean, `x=yes` the string `yes`.)
/// - Host names may carry ranges and a `:port` suffix (see `HostRange`).
/// - `[a:children]` may name a group declared further down; a group never declared, or `[g:vars]`
///   for a group never declared, is an error, as is a loop of children.
///
/// Errors are collected, one per bad line, so a file with several mistakes reports all of them.
struct INIInventoryParser {
    let file: String

    private enum State {
        case hosts(String)
        case children(String)
        case vars(String)
        /// After a bad section header: its lines are skipped rather than misread.
        case skipping
    }

    private struct Pending {
        var location: FileLocation
        var isVars: Bool
        var parents: [String]
    }

    func parse(_ text: String, into builder: inout InventoryBuilder) {
        var state = State.hosts("ungrouped")
        var pending: [String: Pending] = [:]
        var pendingOrder: [String] = []
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)

        for (index, rawLine) in lines.enumerated() {
            var raw = String(rawLine)
            if raw.hasSuffix("\r") { raw.removeLast() }
            let lineNumber = index + 1
            let indent = raw.prefix(while: { $0 == " " || $0 == "\t" }).count
            let line = raw.trimmingWhitespace()
            guard let first = line.first, first != "#", first != ";" else { continue }
            let at = FileLocation(file: file, line: lineNumber, column: indent + 1)

            if let header = Self.sectionHeader(line) {
                let kind = header.suffix ?? "hosts"
                guard ["hosts", "children", "vars"].contains(kind) else {
                    builder.errors.append(.unknownSectionType(at, group: header.group, suffix: kind))
                    state = .skipping
                    continue
                }
                let group = header.group
                if !builder.hasGroup(group) {
                    if kind == "vars", pending[group] == nil {
                        pending[group] = Pending(location: at, isVars: true, parents: [])
                        pendingOrder.append(group)
                    }
                    builder.addGroup(group, at: at)
                }
                if kind != "vars", let waiting = pending[group] {
                    if !waiting.isVars {
                        for parent in waiting.parents { builder.addChild(parent, group, at: waiting.location) }
                    }
                    pending[group] = nil
                }
                switch kind {
                case "children": state = .children(group)
                case "vars": state = .vars(group)
                default: state = .hosts(group)
                }
                continue
            }
            if line.hasPrefix("["), !Self.isBracketedAddressWithPort(line) {
                let body = line.hasSuffix("]") ? line : String(line.prefix(while: { $0 != " " && $0 != "\t" }))
                builder.errors.append(
                    .syntax(
                        at, expected: "'[group]' header or host line",
                        found: "'\(body)'"))
                state = .skipping
                continue
            }

            switch state {
            case .skipping:
                continue
            case .hosts(let group):
                parseHostLine(line, indent: indent, lineNumber: lineNumber, group: group, into: &builder)
            case .children(let group):
                guard let child = Self.groupName(line) else {
                    builder.errors.append(.syntax(at, expected: "a group name", found: "'\(line)'"))
                    continue
                }
                if builder.hasGroup(child) {
                    builder.addChild(group, child, at: at)
                } else if pending[child] != nil {
                    pending[child]!.parents.append(group)
                } else {
                    pending[child] = Pending(location: at, isVars: false, parents: [group])
                    pendingOrder.append(child)
                }
            case .vars(let group):
                guard let equals = line.firstIndex(of: "=") else {
                    builder.errors.append(.syntax(at, expected: "'key=value'", found: "'\(line)'"))
                    continue
                }
                let key = line[..<equals].trimmingWhitespace()
                let value = line[line.index(after: equals)...].trimmingWhitespace()
                guard !key.isEmpty else {
                    builder.errors.append(.syntax(at, expected: "a variable name before '='", found: "'\(line)'"))
                    continue
                }
                do {
                    builder.setGroupVariable(group, key, try PythonLiteral.value(of: value), at: at)
                } catch {
                    builder.errors.append(.limitExceeded(
                        at, what: "the value of '\(key)' nests lists or dicts too deeply", limit: "\(PythonLiteral.maxDepth) levels"))
                }
            }
        }

        for group in pendingOrder {
            guard let waiting = pending[group] else { continue }
            let section = waiting.isVars ? "\(group):vars" : "\(waiting.parents.last ?? group):children"
            builder.errors.append(.undefinedGroup(waiting.location, group: group, section: section))
        }
    }

    private func parseHostLine(
        _ line: String, indent: Int, lineNumber: Int, group: String, into builder: inout InventoryBuilder
    ) {
        let words: [ShellWords.Word]
        do {
            words = try ShellWords.split(line)
        } catch {
            let at = FileLocation(file: file, line: lineNumber, column: indent + error.offset + 1)
            builder.errors.append(.syntax(at, expected: "a closing quote (\(error.quote))", found: "the end of the line"))
            return
        }
        guard let first = words.first else { return }
        let at = FileLocation(file: file, line: lineNumber, column: indent + first.offset + 1)
        var vars = LocatedVariables()
        var bad = false
        for word in words.dropFirst() {
            let wordAt = FileLocation(file: file, line: lineNumber, column: indent + word.offset + 1)
            guard let equals = word.text.firstIndex(of: "="), equals != word.text.startIndex else {
                builder.errors.append(.syntax(wordAt, expected: "key=value host variable", found: "'\(word.raw)'"))
                bad = true
                continue
            }
            let key = String(word.text[..<equals])
            do {
                vars.set(key, try PythonLiteral.value(of: String(word.text[word.text.index(after: equals)...])), at: wordAt)
            } catch {
                builder.errors.append(.limitExceeded(
                    wordAt, what: "the value of '\(key)' nests lists or dicts too deeply", limit: "\(PythonLiteral.maxDepth) levels"))
                bad = true
            }
        }
        guard let names = HostDefinition.expand(first.text, literal: first.raw == first.text, at: at, into: &builder)
        else { return }
        if bad { return }
        for (name, port) in names {
            var hostVars = vars
            if let port { hostVars.set("ansible_port", .int(port), at: at) }
            builder.addHost(name, to: group, vars: hostVars, at: at)
        }
    }

    /// `[name]` or `[name:suffix]`, optionally followed by whitespace and a `#` comment.
    static func sectionHeader(_ line: String) -> (group: String, suffix: String?)? {
        guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return nil }
        let rest = line[line.index(after: close)...].trimmingWhitespace()
        guard rest.isEmpty || rest.hasPrefix("#") else { return nil }
        let inside = line[line.index(after: line.startIndex)..<close]
        let parts = inside.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0])
        guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "\t" }) else { return nil }
        guard parts.count == 2 else { return (name, nil) }
        let suffix = String(parts[1])
        guard !suffix.isEmpty, suffix.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        return (name, suffix)
    }

    /// A child group line: a name without `:`, `]` or spaces, then maybe a `#` comment.
    static func groupName(_ line: String) -> String? {
        let name = line.prefix { !($0 == " " || $0 == "\t" || $0 == "#") }
        let rest = line.dropFirst(name.count).trimmingWhitespace()
        guard !name.isEmpty, !name.contains(":"), !name.contains("]"), rest.isEmpty || rest.hasPrefix("#") else {
            return nil
        }
        return String(name)
    }

    /// `[fe80::1]:2222` is a host line, not a section.
    static func isBracketedAddressWithPort(_ line: String) -> Bool {
        let first = String(line.prefix { $0 != " " && $0 != "\t" })
        let split = HostRange.splitPort(first)
        return split.port != nil && HostRange.isIPv6(split.name)
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
