import FlotillaCore
import FlotillaRegex
import Facts

/// Plans the generic resources of a play's `tasks`.
extension PlanBuilder {
    mutating func task(_ task: TaskSpec, vars: [String: String], handlers: [HandlerSpec]) throws(PlanError) {
        let before = changes.count
        position = task.position
        var ids: [String] = []
        switch task.resource {
        case .package(let spec):
            for t in spec.names {
                let name = try t.resolve(vars, host: host)
                guard (try? FactRequest(packages: [name])) != nil else {
                    throw .invalid(t.position, message: "'\(name)' is not a package name")
                }
                ensurePackage(name, spec.state)
                ids.append("package[\(name)]")
            }
        case .unit(let spec):
            let name = try spec.name.resolve(vars, host: host)
            var dropInChanged = false
            for d in spec.dropins {
                let path = distro.dropInDirectory(name) + "/" + d.name
                let content = try d.content.resolve(vars, host: host)
                if try ensureFile(path, content: content.hasSuffix("\n") ? content : content + "\n", reason: "drop-in for \(name)",
                              makeParent: true, then: [.systemctl(verb: .daemonReload, unit: nil)]) {
                    dropInChanged = true
                    if var u = units[name] {
                        if !u.dropInPaths.contains(path) { u.dropInPaths.append(path) }
                        units[name] = u
                    }
                }
            }
            var goal = UnitGoal(masked: spec.masked, enabled: spec.enabled, state: spec.state)
            // New drop-ins take effect on a running unit only with a restart.
            if dropInChanged && spec.state == .running && unit(name).activeState.isRunning { goal.state = .restarted }
            try ensureUnit(name, goal, reason: task.name ?? "the playbook's state for \(name)", at: task.position)
            ids.append("unit[\(name)]")
        case .file(let spec):
            let path = try spec.path.resolve(vars, host: host)
            if spec.absent {
                ensureAbsent(path, reason: task.name ?? "the playbook wants it gone")
            } else {
                let content = try spec.content?.resolve(vars, host: host) ?? ""
                try ensureFile(path, content: content, mode: spec.mode, owner: spec.owner, group: spec.group,
                           reason: task.name ?? "the playbook's content for it", makeParent: true)
            }
            ids.append("file[\(path)]")
        case .line(let spec):
            let path = try spec.path.resolve(vars, host: host)
            try line(spec, path: path, vars: vars, reason: task.name, at: task.position)
            ids.append("file[\(path)]")
        }
        guard changes.count > before else { return }
        for name in task.notify {
            guard let h = handlers.first(where: { $0.name == name }) else { continue }
            notify(try h.unit.resolve(vars, host: host), h.action, by: ids.first ?? name)
        }
    }

    /// One line in a file, planned as a whole-file write of the edited content (so apply writes atomically
    /// and the plan shows the exact diff).
    mutating func line(_ spec: LineSpec, path: String, vars: [String: String], reason: String?, at position: FileLocation) throws(PlanError) {
        let f = file(path)
        let id = "file[\(path)]"
        let wanted = try spec.line?.resolve(vars, host: host)
        var lines: [String]
        var mode = spec.mode, owner = "root", group = "root"
        switch f.state {
        case .present:
            let text = f.text ?? ""
            lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            mode = f.mode ?? mode
            owner = f.owner ?? owner
            group = f.group ?? group
        case .absent:
            guard spec.create, spec.present else {
                if !spec.present { return }
                throw .cannotPlan(position, host: host, resource: id, reason: "the file does not exist (set 'create: true' to create it with the line)")
            }
            lines = []
        default:
            throw .cannotPlan(position, host: host, resource: id, reason: "the file cannot be read (\(Describe.file(f)))")
        }
        // Python's re.search, as Ansible's lineinfile; each match does bounded work, and a pattern that needs
        // more on this host's file is an error for this host naming the pattern, not a hang.
        let host = host
        func compile(_ p: String?) throws(PlanError) -> BoundedRegex? {
            do { return try p.map { (p) throws(BoundedRegexError) in try BoundedRegex(p) } } catch {
                throw .invalid(position, message: "bad regexp: \(error)")
            }
        }
        func matches(_ l: String, _ p: BoundedRegex?) throws(PlanError) -> Bool {
            guard let p else { return false }
            do { return try p.search(l) } catch {
                throw .cannotPlan(position, host: host, resource: id, reason: error.description)
            }
        }
        func lastIndex(_ p: BoundedRegex?, in lines: [String]) throws(PlanError) -> Int? {
            for i in lines.indices.reversed() where try matches(lines[i], p) { return i }
            return nil
        }
        let pattern = try compile(spec.regexp)
        var edited = lines
        if spec.present, let wanted {
            if let index = try lastIndex(pattern, in: edited) {
                edited[index] = wanted
            } else if !edited.contains(wanted) {
                switch spec.anchor {
                case .beginning: edited.insert(wanted, at: 0)
                case .end: edited.append(wanted)
                case .before(let p):
                    let r = try compile(p)
                    var first: Int?
                    for i in edited.indices where try matches(edited[i], r) { first = i; break }
                    if let i = first { edited.insert(wanted, at: i) } else { edited.append(wanted) }
                case .after(let p):
                    if let i = try lastIndex(try compile(p), in: edited) { edited.insert(wanted, at: i + 1) } else { edited.append(wanted) }
                }
            }
        } else {
            var kept: [String] = []
            for l in edited where !(try matches(l, pattern)) && !(wanted != nil && l == wanted) { kept.append(l) }
            edited = kept
        }
        guard edited != lines || f.state == .absent else { return }
        let content = edited.isEmpty ? "" : edited.joined(separator: "\n") + "\n"
        try ensureFile(path, content: content, mode: mode, owner: owner, group: group,
                       reason: reason ?? (spec.present ? "the line '\(wanted ?? "")' must be there" : "lines matching '\(spec.regexp ?? wanted ?? "")' must go"),
                       makeParent: f.state == .absent)
    }
}
