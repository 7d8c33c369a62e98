import FlotillaCore
import FlotillaRegex
import Foundation
import Facts
import Yams

extension Playbook {
    /// Reads and checks a playbook file.
    public static func load(path: String) throws(PlanError) -> Playbook {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadable(file: path, reason: (error as NSError).localizedDescription)
        }
        let text: String
        do { text = try UTF8Text.decode(data) } catch { throw .unreadable(file: path, reason: error.description) }
        return try parse(yaml: text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text, file: path)
    }

    /// Checks a playbook's text against the schema. Every unknown key is reported (with the nearest valid key);
    /// a value of the wrong type stops the reading at that value.
    public static func parse(yaml text: String, file: String) throws(PlanError) -> Playbook {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let error as YamlError {
            throw yamlError(error, file: file)
        } catch {
            throw .yaml(FileLocation(file: file, line: 0, column: 0), message: "\(error)")
        }
        guard let root else { throw .invalid(FileLocation(file: file, line: 1, column: 1), message: "the playbook is empty; it must be a list of plays") }
        var reader = YAMLReader(file: file)
        var plays: [Play] = []
        guard case .sequence(let items) = root else {
            throw .badValue(reader.position(root), key: "playbook", expected: "a list of plays (each starting with '- name:' or '- hosts:')", got: YAMLReader.describe(root))
        }
        for item in items {
            do { plays.append(try PlayReader.play(item, reader: &reader)) } catch {
                reader.diagnostics.append(error)
            }
        }
        let all = reader.diagnostics.flatMap(\.all).sorted { ($0.sortKey.0, $0.sortKey.1) < ($1.sortKey.0, $1.sortKey.1) }
        if all.count == 1 { throw all[0] }
        if !all.isEmpty { throw .several(all) }
        return Playbook(file: file, plays: plays, digest: FactsDigest.sha256(Array(text.utf8)))
    }

    static func yamlError(_ error: YamlError, file: String) -> PlanError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _), .composer(let context, let problem, let mark, _):
            let message = [context.map { $0.text }, problem].compactMap { $0 }.joined(separator: ": ")
            return .yaml(FileLocation(file: file, line: mark.line, column: mark.column), message: message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return .yaml(FileLocation(file: file, line: context.mark.line, column: context.mark.column), message: "duplicate keys: " + duplicates.joined(separator: ", "))
        default:
            return .yaml(FileLocation(file: file, line: 0, column: 0), message: "\(error)")
        }
    }
}

extension PlanError {
    var sortKey: (Int, Int) {
        switch self {
        case .yaml(let p, _), .unknownKey(let p, _, _, _), .missingKey(let p, _, _), .badValue(let p, _, _, _), .invalid(let p, _),
            .unknownVariable(let p, _, _), .cannotPlan(let p, _, _, _):
            return (p.line, p.column)
        default: return (0, 0)
        }
    }
}

/// The schema of a play and everything in it.
enum PlayReader {
    static let playKeys = ["name", "hosts", "vars", "rollout", "sync_gate", "verify", "timesync", "tasks", "handlers"]
    static let rolloutKeys = ["serial", "max_failures", "max_per_group"]
    static let gateKeys = ["tries", "interval", "max_correction", "max_skew", "max_offset", "source"]
    static let timesyncKeys = [
        "remove", "servers", "pools", "allow", "deny", "local_stratum", "makestep", "minsources", "maxdistance", "rtcsync",
        "guard", "distro_sources", "extra_lines",
    ]
    static let sourceKeys = ["address", "iburst", "prefer", "minpoll", "maxpoll", "nts", "xleave", "key", "maxsources"]
    static let resourceKinds = ["package", "service", "unit", "file", "line"]
    static let taskKeys = ["name", "notify"] + resourceKinds
    static let packageKeys = ["name", "state"]
    static let unitKeys = ["name", "masked", "enabled", "state", "dropins"]
    static let fileKeys = ["path", "content", "mode", "owner", "group", "state"]
    static let lineKeys = ["path", "regexp", "line", "insert_before", "insert_after", "state", "create", "mode"]
    static let handlerKeys = ["name", "unit", "service", "action"]

    static func play(_ node: Node, reader: inout YAMLReader) throws(PlanError) -> Play {
        let f = try reader.mapping(node, context: "a play", key: "play", allowed: playKeys, required: ["hosts"])
        // `hosts` is a pattern, or a list of patterns as Ansible allows (joined into one union pattern).
        let hosts = try reader.templates(f, "hosts")?.map(\.raw).joined(separator: ":") ?? ""
        let name = try reader.string(f, "name")?.raw ?? hosts
        var vars: [String: Template] = [:]
        if let v = f["vars"] {
            let vf = try reader.mapping(v, context: "vars", key: "vars", allowed: varNames(v))
            for key in vf.order { vars[key] = try reader.template(vf[key]!, key: key) }
        }
        var rollout = Rollout()
        if let r = f["rollout"] { rollout = try self.rollout(r, reader: &reader) }
        // `verify` is another name for `sync_gate`; one of them.
        if f.has("sync_gate") && f.has("verify") {
            reader.diagnostics.append(.invalid(f.entries["verify"]!.keyPosition, message: "'verify' and 'sync_gate' are the same setting; keep one"))
        }
        let gate = try (f["sync_gate"] ?? f["verify"]).map { n throws(PlanError) in try syncGate(n, reader: &reader) }
        let timesync = try f["timesync"].map { n throws(PlanError) in try self.timesync(n, reader: &reader) }
        var handlers: [HandlerSpec] = []
        if let h = f["handlers"] {
            for item in try reader.sequence(h, key: "handlers") { handlers.append(try handler(item, reader: &reader)) }
        }
        var tasks: [TaskSpec] = []
        if let t = f["tasks"] {
            for item in try reader.sequence(t, key: "tasks") { tasks.append(try task(item, reader: &reader)) }
        }
        let handlerNames = handlers.map(\.name)
        for task in tasks {
            for n in task.notify where !handlerNames.contains(n) {
                let hint = EditDistance.suggestion(for: n, among: handlerNames).map { "; did you mean '\($0)'?" } ?? ""
                reader.diagnostics.append(.invalid(task.position, message: "task notifies '\(n)', which is not a handler of this play\(hint)"))
            }
        }
        if timesync == nil && tasks.isEmpty {
            reader.diagnostics.append(.invalid(f.position, message: "play '\(name)' has neither 'timesync' nor 'tasks': it would do nothing"))
        }
        return Play(name: name, hosts: hosts, vars: vars, rollout: rollout, syncGate: gate, timesync: timesync, tasks: tasks, handlers: handlers, position: f.position)
    }

    /// Variable names are free, but they must be names.
    static func varNames(_ node: Node) -> [String] {
        guard case .mapping(let m) = node else { return [] }
        return m.compactMap { k, _ in
            guard case .scalar(let s) = k, let first = s.string.first, first.isLetter || first == "_",
                s.string.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
            return s.string
        }
    }

    static func size(_ node: Node, key: String, reader: YAMLReader) throws(PlanError) -> Rollout.Size {
        let expected = "a number of hosts (1) or a percentage (\"30%\")"
        let s = try reader.scalar(node, key: key, expected: expected)
        if s.string.hasSuffix("%"), let p = Int(s.string.dropLast()), (1...100).contains(p) { return .percent(p) }
        if s.style == .plain, let n = Int(s.string), n >= 1 { return .count(n) }
        throw .badValue(reader.position(node), key: key, expected: expected, got: YAMLReader.describe(node))
    }

    static func rollout(_ node: Node, reader: inout YAMLReader) throws(PlanError) -> Rollout {
        let f = try reader.mapping(node, context: "rollout", key: "rollout", allowed: rolloutKeys)
        var r = Rollout()
        if let s = f["serial"] {
            if case .sequence(let items) = s {
                for item in items { r.serial.append(try size(item, key: "serial", reader: reader)) }
            } else {
                r.serial = [try size(s, key: "serial", reader: reader)]
            }
        }
        if let m = f["max_failures"] {
            let expected = "a number of hosts (0 or more) or a percentage (\"10%\")"
            let s = try reader.scalar(m, key: "max_failures", expected: expected)
            if s.string.hasSuffix("%"), let p = Int(s.string.dropLast()), (0...100).contains(p) {
                r.maxFailures = .percent(p)
            } else if s.style == .plain, let n = Int(s.string), n >= 0 {
                r.maxFailures = .count(n)
            } else {
                throw .badValue(reader.position(m), key: "max_failures", expected: expected, got: YAMLReader.describe(m))
            }
        }
        if let g = f["max_per_group"] {
            guard case .mapping(let m) = g else {
                throw .badValue(reader.position(g), key: "max_per_group", expected: "a mapping of group name prefixes to host counts ({zone_: 1})", got: YAMLReader.describe(g))
            }
            for (k, v) in m {
                let prefixes = try reader.templates(k, key: "max_per_group").map(\.raw)
                r.maxPerGroup.append(Rollout.GroupLimit(prefixes: prefixes, limit: try reader.int(v, key: "max_per_group", range: 1...1_000_000)))
            }
        }
        return r
    }

    static func syncGate(_ node: Node, reader: inout YAMLReader) throws(PlanError) -> SyncGate {
        let f = try reader.mapping(node, context: "sync_gate", key: "sync_gate", allowed: gateKeys)
        var g = SyncGate()
        if let v = try reader.int(f, "tries", range: 1...100_000) { g.tries = v }
        if let v = try reader.double(f, "interval", range: 0.1...3600) { g.interval = v }
        if let v = try reader.double(f, "max_correction", range: 0...3600) { g.maxCorrection = v }
        if let v = try reader.double(f, "max_skew", range: 0...100_000) { g.maxSkew = v }
        g.maxOffset = try reader.double(f, "max_offset", range: 0...3600)
        g.source = try reader.string(f, "source")
        return g
    }

    static func timesync(_ node: Node, reader: inout YAMLReader) throws(PlanError) -> TimesyncSpec {
        let f = try reader.mapping(node, context: "timesync", key: "timesync", allowed: timesyncKeys)
        var t = TimesyncSpec(position: f.position)
        if let r = try reader.templates(f, "remove") {
            t.remove = []
            for name in r {
                guard name.isLiteral, (try? FactRequest(packages: [name.raw])) != nil else {
                    throw .badValue(name.position, key: "remove", expected: "package names", got: "\"\(name.raw)\"")
                }
                t.remove.append(name.raw)
            }
            if t.remove.contains("chrony") {
                reader.diagnostics.append(.invalid(f.position, message: "timesync cannot remove 'chrony': it is the daemon timesync installs"))
            }
        }
        if let s = f["servers"] {
            for item in try reader.sequence(s, key: "servers") { t.servers.append(try source(item, key: "servers", reader: &reader)) }
        }
        if let p = f["pools"] {
            for item in try reader.sequence(p, key: "pools") { t.pools.append(try source(item, key: "pools", reader: &reader)) }
        }
        t.allow = try reader.templates(f, "allow") ?? []
        t.deny = try reader.templates(f, "deny") ?? []
        t.localStratum = try reader.int(f, "local_stratum", range: 1...15)
        if let m = f["makestep"] {
            let mf = try reader.mapping(m, context: "makestep", key: "makestep", allowed: ["threshold", "limit"], required: ["threshold", "limit"])
            t.makestep = TimesyncSpec.MakeStep(
                threshold: try reader.double(mf, "threshold", range: 0.000_001...1_000_000) ?? 1,
                limit: try reader.int(mf, "limit", range: -1...1_000_000) ?? 3
            )
            if t.makestep.limit == 0 {
                reader.diagnostics.append(.badValue(reader.position(mf["limit"]!), key: "limit", expected: "-1 (always) or a number of updates from 1", got: "0"))
            }
        }
        t.minsources = try reader.int(f, "minsources", range: 1...64)
        t.maxdistance = try reader.double(f, "maxdistance", range: 0.000_001...1000)
        t.rtcsync = try reader.bool(f, "rtcsync") ?? true
        t.guardAgainstReturn = try reader.bool(f, "guard") ?? false
        t.distroSources = try reader.bool(f, "distro_sources") ?? false
        t.extraLines = try reader.templates(f, "extra_lines") ?? []
        reader.diagnostics += t.validate()
        return t
    }

    /// A time source: `"ADDRESS option..."` as in chrony.conf, or a mapping.
    static func source(_ node: Node, key: String, reader: inout YAMLReader) throws(PlanError) -> TimeSource {
        let at = reader.position(node)
        if case .scalar(let s) = node {
            let words = splitWords(s.string)
            guard let first = words.first else { throw .badValue(at, key: key, expected: "an address with options", got: "nothing") }
            var src = TimeSource(address: Template(first, at: at), position: at)
            var i = 1
            func number(_ option: String) throws(PlanError) -> Int {
                guard i + 1 < words.count, let v = Int(words[i + 1]) else {
                    throw .badValue(at, key: option, expected: "a number after '\(option)'", got: i + 1 < words.count ? "\"\(words[i + 1])\"" : "nothing")
                }
                i += 1
                return v
            }
            while i < words.count {
                switch words[i] {
                case "iburst": src.iburst = true
                case "prefer": src.prefer = true
                case "nts": src.nts = true
                case "xleave": src.xleave = true
                case "minpoll": src.minpoll = try number("minpoll")
                case "maxpoll": src.maxpoll = try number("maxpoll")
                case "key": src.key = try number("key")
                case "maxsources": src.maxsources = try number("maxsources")
                case let other:
                    throw .unknownKey(at, key: other, context: "a time source", suggestion: EditDistance.suggestion(for: other, among: Array(sourceKeys.dropFirst())))
                }
                i += 1
            }
            return src
        }
        let f = try reader.mapping(node, context: "a time source", key: key, allowed: sourceKeys, required: ["address"])
        return TimeSource(
            address: try reader.string(f, "address") ?? Template("", at: at),
            iburst: try reader.bool(f, "iburst") ?? false,
            prefer: try reader.bool(f, "prefer") ?? false,
            minpoll: try reader.int(f, "minpoll", range: -100...100),
            maxpoll: try reader.int(f, "maxpoll", range: -100...100),
            nts: try reader.bool(f, "nts") ?? false,
            xleave: try reader.bool(f, "xleave") ?? false,
            key: try reader.int(f, "key", range: 1...65535),
            maxsources: try reader.int(f, "maxsources", range: 1...16),
            position: at
        )
    }

    /// Splits on blanks, keeping `{{ ... }}` together.
    static func splitWords(_ s: String) -> [String] {
        var words: [String] = []
        var current = ""
        var depth = 0
        var chars = Array(s)[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            if c == "{", chars.first == "{" { depth += 1; current += "{{"; chars = chars.dropFirst(); continue }
            if c == "}", chars.first == "}", depth > 0 { depth -= 1; current += "}}"; chars = chars.dropFirst(); continue }
            if (c == " " || c == "\t") && depth == 0 {
                if !current.isEmpty { words.append(current); current = "" }
                continue
            }
            current.append(c)
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    static func task(_ node: Node, reader: inout YAMLReader) throws(PlanError) -> TaskSpec {
        let f = try reader.mapping(node, context: "a task", key: "tasks", allowed: taskKeys)
        let kinds = resourceKinds.filter { f.has($0) }
        guard kinds.count == 1, let kind = kinds.first else {
            throw .invalid(f.position, message: kinds.isEmpty
                ? "a task needs one resource: " + resourceKinds.joined(separator: ", ")
                : "a task has one resource, not \(kinds.count) (" + kinds.joined(separator: ", ") + ")")
        }
        let value = f[kind]!
        let resource: ResourceSpec
        switch kind {
        case "package": resource = .package(try package(value, reader: &reader))
        case "service", "unit": resource = .unit(try unit(value, key: kind, reader: &reader))
        case "file": resource = .file(try file(value, reader: &reader))
        default: resource = .line(try line(value, reader: &reader))
        }
        return TaskSpec(
            name: try reader.string(f, "name")?.raw, resource: resource,
            notify: try reader.templates(f, "notify")?.map(\.raw) ?? [], position: f.position
        )
    }

    static func package(_ node: Node, reader: inout YAMLReader) throws(PlanError) -> PackageSpec {
        if case .mapping = node {
            let f = try reader.mapping(node, context: "package", key: "package", allowed: packageKeys, required: ["name"])
            let state = try reader.choice(f, "state", [("present", PackageSpec.State.present), ("absent", .absent), ("purged", .purged)])
            return PackageSpec(names: try reader.templates(f, "name") ?? [], state: state ?? .present)
        }
        return PackageSpec(names: try reader.templates(node, key: "package"))
    }

    static func unit(_ node: Node, key: String, reader: inout YAMLReader) throws(PlanError) -> UnitSpec {
        let f = try reader.mapping(node, context: key, key: key, allowed: unitKeys, required: ["name"])
        var spec = UnitSpec(name: try reader.string(f, "name") ?? Template("", at: f.position))
        spec.masked = try reader.bool(f, "masked")
        spec.enabled = try reader.bool(f, "enabled")
        spec.state = try reader.choice(f, "state", [("running", UnitSpec.State.running), ("stopped", .stopped), ("restarted", .restarted)])
        if let d = f["dropins"] {
            let df = try reader.mapping(d, context: "dropins", key: "dropins", allowed: dropinNames(d))
            for name in df.order {
                spec.dropins.append(UnitSpec.DropIn(name: name.hasSuffix(".conf") ? name : name + ".conf", content: try reader.template(df[name]!, key: name)))
            }
        }
        if spec.masked == true && (spec.enabled == true || spec.state == .running || spec.state == .restarted || !spec.dropins.isEmpty) {
            reader.diagnostics.append(.invalid(f.position, message: "a masked unit cannot be enabled, running or given drop-ins"))
        }
        return spec
    }

    static func dropinNames(_ node: Node) -> [String] {
        guard case .mapping(let m) = node else { return [] }
        return m.compactMap { k, _ in
            guard case .scalar(let s) = k, !s.string.isEmpty, !s.string.contains("/"), !s.string.hasPrefix(".") else { return nil }
            return s.string
        }
    }

    static func mode(_ f: Fields, reader: YAMLReader) throws(PlanError) -> String? {
        guard let n = f["mode"] else { return nil }
        let s = try reader.scalar(n, key: "mode", expected: "an octal mode in quotes (\"0644\")")
        let digits = s.string
        guard (3...4).contains(digits.count), digits.allSatisfy({ ("0"..."7").contains($0) }), s.style != .plain || digits.hasPrefix("0") else {
            throw .badValue(reader.position(n), key: "mode", expected: "an octal mode in quotes (\"0644\")", got: YAMLReader.describe(n))
        }
        return digits.count == 3 ? "0" + digits : digits
    }

    static func file(_ node: Node, reader: inout YAMLReader) throws(PlanError) -> FileSpec {
        let f = try reader.mapping(node, context: "file", key: "file", allowed: fileKeys, required: ["path"])
        let absent = try reader.choice(f, "state", [("present", false), ("absent", true)]) ?? false
        let content = try reader.string(f, "content")
        if !absent && content == nil { reader.diagnostics.append(.missingKey(f.position, key: "content", context: "a file that is present")) }
        let path = try reader.string(f, "path") ?? Template("/", at: f.position)
        if path.isLiteral && !path.raw.hasPrefix("/") { reader.diagnostics.append(.badValue(path.position, key: "path", expected: "an absolute path", got: "\"\(path.raw)\"")) }
        return FileSpec(
            path: path, content: content, mode: try mode(f, reader: reader) ?? "0644",
            owner: try reader.string(f, "owner")?.raw ?? "root", group: try reader.string(f, "group")?.raw ?? "root", absent: absent
        )
    }

    static func regex(_ f: Fields, _ key: String, reader: YAMLReader) throws(PlanError) -> String? {
        guard let n = f[key] else { return nil }
        let s = try reader.scalar(n, key: key, expected: "a regular expression")
        do { _ = try BoundedRegex(s.string) } catch {
            throw .badValue(reader.position(n), key: key, expected: "a regular expression", got: "\"\(s.string)\" (\(error))")
        }
        return s.string
    }

    static func line(_ node: Node, reader: inout YAMLReader) throws(PlanError) -> LineSpec {
        let f = try reader.mapping(node, context: "line", key: "line", allowed: lineKeys, required: ["path"])
        let present = try reader.choice(f, "state", [("present", true), ("absent", false)]) ?? true
        var anchor = LineSpec.Anchor.end
        if f.has("insert_before") && f.has("insert_after") {
            reader.diagnostics.append(.invalid(f.position, message: "use one of 'insert_before' and 'insert_after'"))
        }
        if let b = f["insert_before"], case .scalar(let s) = b, s.string == "BOF" {
            anchor = .beginning
        } else if let before = try regex(f, "insert_before", reader: reader) {
            anchor = .before(before)
        }
        if let a = f["insert_after"], case .scalar(let s) = a, s.string == "EOF" {
            anchor = .end
        } else if let after = try regex(f, "insert_after", reader: reader) {
            anchor = .after(after)
        }
        let spec = LineSpec(
            path: try reader.string(f, "path") ?? Template("/", at: f.position), regexp: try regex(f, "regexp", reader: reader),
            line: try reader.string(f, "line"), anchor: anchor, present: present, create: try reader.bool(f, "create") ?? false,
            mode: try mode(f, reader: reader) ?? "0644"
        )
        if present && spec.line == nil { reader.diagnostics.append(.missingKey(f.position, key: "line", context: "a line that is present")) }
        if !present && spec.line == nil && spec.regexp == nil {
            reader.diagnostics.append(.missingKey(f.position, key: "regexp", context: "a line that is absent"))
        }
        return spec
    }

    static func handler(_ node: Node, reader: inout YAMLReader) throws(PlanError) -> HandlerSpec {
        let f = try reader.mapping(node, context: "a handler", key: "handlers", allowed: handlerKeys, required: ["name"])
        let unitTemplate = try reader.string(f, "unit")
        let serviceTemplate = try reader.string(f, "service")
        guard let unit = unitTemplate ?? serviceTemplate else {
            throw .missingKey(f.position, key: "unit", context: "a handler")
        }
        let action = try reader.choice(f, "action", [("restart", HandlerSpec.Action.restart), ("reload", .reload)]) ?? .restart
        return HandlerSpec(name: try reader.string(f, "name")?.raw ?? "", unit: unit, action: action, position: f.position)
    }
}
