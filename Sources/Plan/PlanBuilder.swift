import FlotillaCore
import Facts

/// Plans one host: walks the resources in order against a simulated host that every planned change updates,
/// so that a later resource sees what earlier ones will have done ("after chrony is installed").
struct PlanBuilder {
    let host: String
    let facts: HostFacts
    let distro: Distro
    /// The host as it will be after the changes planned so far.
    var packages: [String: PackageFact]
    var units: [String: UnitFact]
    var files: [String: FileFact]
    /// Units that exist only because a package is installed by this plan: unit -> package.
    var unitOrigin: [String: String] = [:]
    /// Packages this plan installs, in order.
    var installed: [String] = []
    var changes: [Change] = []
    /// Handlers to run at the end: (unit, action) -> resources that asked for it, in order of first request.
    var pending: [(unit: String, action: HandlerSpec.Action, by: [String])] = []
    /// Where the resource being planned was written, for errors.
    var position = FileLocation(file: "", line: 0, column: 0)

    init(host: String, facts: HostFacts) throws(PlanError) {
        self.host = host
        self.facts = facts
        self.distro = try Distro(facts: facts, host: host)
        packages = facts.packages
        units = facts.units
        files = facts.files
    }

    func package(_ name: String) -> PackageFact { packages[name] ?? .absent(name) }
    func unit(_ name: String) -> UnitFact { units[name] ?? .notFound(name) }
    func file(_ path: String) -> FileFact { files[path] ?? .absent(path) }

    // MARK: packages

    /// Brings a package to a state. `extraBefore` are steps that must run before the package tool (unmasking).
    /// `fetchFirst` downloads the package before anything else runs; `removing` (apt only) are packages the same
    /// install transaction removes.
    @discardableResult
    mutating func ensurePackage(
        _ name: String, _ state: PackageSpec.State, reason: String? = nil, extraBefore: [Step] = [], fetchFirst: Bool = false,
        removing: [String] = []
    ) -> Bool {
        let p = package(name)
        let id = "package[\(name)]"
        switch state {
        case .present:
            guard !p.isInstalled else { return false }
            let starts = distro.installEnablesAndStarts
            let unitsOfPackage = distro.units(ofPackage: name)
            let why = reason ?? (p.status == .broken ? "its last installation was interrupted; installing it again finishes it" : "the playbook wants it installed")
            changes.append(Change(
                action: p.status == .notInstalled || p.status == .unknown ? .create : .update, resource: id,
                before: Describe.package(p), after: "installed", reason: why,
                steps: (fetchFirst ? [distro.fetch([name])] : []) + extraBefore
                    + [removing.isEmpty ? distro.install([name]) : distro.install([name], removing: removing)]))
            packages[name] = PackageFact(name: name, status: .installed)
            installed.append(name)
            for u in unitsOfPackage.prefix(1) {
                let startable = !distro.needsCapSysTime(u) || facts.hasCapSysTime || units[u]?.dropInPaths.isEmpty == false
                let running = starts && startable
                units[u] = UnitFact(
                    name: u, loadState: .loaded, fileState: starts ? .enabled : .disabled,
                    activeState: running ? .active : .inactive, subState: running ? "running" : "dead",
                    conditionResult: starts && !startable ? false : nil, dropInPaths: units[u]?.dropInPaths ?? [])
                unitOrigin[u] = name
            }
            return true
        case .absent, .purged:
            let needed = state == .purged ? p.leavesTraces : (p.isInstalled || p.status == .broken)
            guard needed else { return false }
            let why = reason ?? (p.status == .configFiles
                ? "removed earlier, but its configuration files are still there; purging removes them"
                : "the playbook wants it \(state == .purged ? "purged" : "removed")")
            changes.append(Change(
                action: .delete, resource: id, before: Describe.package(p), after: state == .purged ? "purged" : "removed",
                reason: why, steps: extraBefore + [state == .purged ? distro.purge([name]) : distro.remove([name])]))
            packages[name] = state == .purged || distro.packageManager != .apt
                ? PackageFact(name: name, status: .notInstalled)
                : PackageFact(name: name, status: .configFiles, dpkgStatus: "rc")
            // Removing a package stops its service and takes its unit file with it.
            for u in distro.units(ofPackage: name) where !unit(u).isMasked && unit(u).exists {
                units[u] = .notFound(u)
            }
            return true
        }
    }

    // MARK: files

    /// Makes a file have exactly this content, mode and ownership. Returns whether anything changes.
    @discardableResult
    mutating func ensureFile(
        _ path: String, content: String, mode: String = "0644", owner: String = "root", group: String = "root",
        reason: String, makeParent: Bool = false, then: [Step] = [], role: Change.Role = .ordinary
    ) throws(PlanError) -> Bool {
        let f = file(path)
        let id = "file[\(path)]"
        let wantMode = Self.normalMode(mode)
        let stepsWrite: [Step] = (makeParent ? [.makeDirectory(path: Self.parent(path), mode: "0755")] : [])
            + [.writeFile(path: path, content: content, mode: wantMode, owner: owner, group: group, backup: f.exists)] + then
        let after = Describe.content(content, mode: wantMode, owner: owner, group: group)
        switch f.state {
        case .absent:
            changes.append(Change(
                action: .create, resource: id, before: "absent", after: after, reason: reason,
                diff: LineDiff.unified(old: "", new: content, oldLabel: "/dev/null", newLabel: path), steps: stepsWrite, role: role))
        case .present:
            let old = f.text ?? ""
            let sameContent = f.content == Array(content.utf8)
            let sameMeta = Self.normalMode(f.mode ?? "") == wantMode && f.owner == owner && f.group == group
            if sameContent && sameMeta { return false }
            var steps = stepsWrite
            if sameContent {
                steps = [.exec(argv: ["chmod", wantMode, "--", path], timeoutSeconds: 30), .exec(argv: ["chown", "\(owner):\(group)", "--", path], timeoutSeconds: 30)] + then
            }
            changes.append(Change(
                action: .update, resource: id, before: Describe.file(f), after: after,
                reason: sameContent ? reason + " (mode or owner differ)" : reason,
                diff: LineDiff.unified(old: old, new: content, oldLabel: path, newLabel: path), steps: steps, role: role))
        case .notRegular:
            throw .cannotPlan(position, host: host, resource: id, reason: "something other than a regular file is at that path (a directory?); Flotilla will not replace it")
        case .tooLarge, .unreadable:
            changes.append(Change(
                action: .update, resource: id, before: Describe.file(f), after: after,
                reason: reason + " (the current file could not be compared, so it is rewritten)", steps: stepsWrite, role: role))
        }
        files[path] = FileFact(path: path, state: .present, content: Array(content.utf8), mode: String(wantMode.drop(while: { $0 == "0" })), owner: owner, group: group)
        return true
    }

    @discardableResult
    mutating func ensureAbsent(_ path: String, reason: String, after: [Step] = []) -> Bool {
        let f = file(path)
        guard f.exists else { return false }
        changes.append(Change(
            action: .delete, resource: "file[\(path)]", before: Describe.file(f), after: "absent", reason: reason,
            diff: f.text.flatMap { LineDiff.unified(old: $0, new: "", oldLabel: path, newLabel: "/dev/null") },
            steps: [.removeFile(path: path, backup: true)] + after))
        files[path] = .absent(path)
        return true
    }

    static func normalMode(_ mode: String) -> String {
        let digits = mode.drop(while: { $0 == "0" })
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    // MARK: handlers

    mutating func notify(_ unit: String, _ action: HandlerSpec.Action, by resource: String) {
        if let i = pending.firstIndex(where: { $0.unit == unit && $0.action == action }) {
            if !pending[i].by.contains(resource) { pending[i].by.append(resource) }
        } else {
            pending.append((unit, action, [resource]))
        }
    }

    /// A start or restart planned after the notifications already picks up the new configuration.
    mutating func satisfyHandlers(of unit: String) {
        pending.removeAll { $0.unit == unit }
    }

    /// Turns the pending handlers into changes, once per unit and action. A reload of a unit that is not
    /// running has nothing to do; a restart starts a stopped unit, as systemd does.
    mutating func flushHandlers() {
        for h in pending {
            let u = unit(h.unit)
            if h.action == .reload && !u.activeState.isRunning { continue }
            let verb = h.action == .restart ? "restart" : "reload"
            changes.append(Change(
                action: .update, resource: "unit[\(h.unit)]", before: Describe.unit(u), after: verb == "restart" ? "restarted" : "reloaded",
                reason: "config changed: " + Describe.list(h.by) + "; \(verb) once so that the new configuration is used",
                steps: [.systemctl(verb: h.action == .restart ? .restart : .reload, unit: h.unit)]))
            if h.action == .restart {
                var started = u
                started.activeState = .active
                started.subState = "running"
                units[h.unit] = started
            }
        }
        pending = []
    }
}
