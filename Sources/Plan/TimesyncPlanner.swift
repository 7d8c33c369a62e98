import FlotillaCore
import Facts

/// Expands the typed `timesync` resource into package, unit and file changes for one host.
///
/// Order, and why: competing daemons are purged first (their packages stop their units and take them
/// along); systemd-timesyncd is masked whether or not it is installed (a mask needs no unit file, so a
/// host without timesyncd never fails with "unit not found"); the guard keeps the purged daemons out;
/// chrony is installed (unmasked first if a mask would stop its maintainer scripts); its configuration,
/// options and drop-in are written; its unit is unmasked, enabled and started; and a restart runs once at
/// the end if the configuration changed while chronyd was running.
extension PlanBuilder {
    mutating func timesync(_ spec: TimesyncSpec, vars: [String: String]) throws(PlanError) {
        guard facts.systemdRunning else {
            throw .unsupportedHost(host: host, reason: "systemd is not running on this host; Flotilla manages time daemons through systemd")
        }
        let at = spec.position
        position = at
        let chronyUnit = distro.chronyUnit

        // 1. Competing daemons, purged in one call of the package tool (each call costs about a second).
        let purge = spec.remove.filter { package($0).leavesTraces }
        for (i, name) in purge.enumerated() {
            let together = purge.count > 1
                ? (i == 0 ? " (one \(distro.packageManager.rawValue) call purges \(Describe.list(purge)))" : " (purged by the same call as package[\(purge[0])])")
                : ""
            ensurePackage(name, .purged, reason: (package(name).status == .configFiles
                ? "competing time daemon removed earlier; its configuration files are still there, purging removes them"
                : "competing time daemon; purged with its configuration, which also stops and removes its unit") + together)
            if i == 0 && purge.count > 1 {
                changes[changes.count - 1].steps = [distro.purge(purge)]
            } else if i > 0 {
                changes[changes.count - 1].steps = []
            }
        }

        // 2. systemd-timesyncd: disabled and masked, installed or not.
        let timesyncd = unit("systemd-timesyncd.service")
        try ensureUnit("systemd-timesyncd.service", UnitGoal(masked: true), reason: timesyncd.exists
            ? "competes with chrony for the clock; disabled and masked so that nothing starts it again"
            : "not installed; masked anyway (a mask needs no unit file) so that a later install cannot start it", at: at)

        // 3. The guard against returning daemons.
        if spec.guardAgainstReturn { try planGuard(spec) }

        // 4. chrony itself.
        let chronyMasked = unit(chronyUnit).isMasked
        let needsInstall = !package("chrony").isInstalled
        // On Debian, chrony, ntpsec, openntpd and systemd-timesyncd all provide and conflict with
        // time-daemon: apt removes whichever is still installed when chrony goes in.
        let conflicting = distro.family == .debian && needsInstall
            ? ["ntp", "ntpsec", "openntpd", "systemd-timesyncd"].filter { package($0).isInstalled } : []
        ensurePackage("chrony", .present, reason: needsInstall
            ? (distro.installEnablesAndStarts
                ? "the time daemon timesync manages; Debian's package enables and starts \(chronyUnit) when it is installed"
                : "the time daemon timesync manages; the package does not start \(chronyUnit), that is planned below")
                + (chronyMasked ? "; \(chronyUnit) is masked, so it is unmasked first" : "")
                + (conflicting.isEmpty ? "" : "; apt removes \(Describe.list(conflicting)) (config files kept), which conflict\(conflicting.count == 1 ? "s" : "") with it over time-daemon")
            : nil,
            extraBefore: needsInstall && chronyMasked ? [.systemctl(verb: .unmask, unit: chronyUnit)] : [])
        for name in conflicting {
            packages[name] = PackageFact(name: name, status: .configFiles, dpkgStatus: "rc")
            for u in distro.units(ofPackage: name) where unit(u).exists && !unit(u).isMasked { units[u] = .notFound(u) }
        }
        if needsInstall && chronyMasked, var u = units[chronyUnit] {
            u.loadState = .loaded
            units[chronyUnit] = u
        }

        // 5. Configuration.
        let config = try chronyConfig(spec, vars: vars)
        let confPath = distro.chronyConf
        if try ensureFile(confPath, content: config, reason: needsInstall
            ? "chrony's configuration as the playbook describes it; replaces the package's default once chrony is installed"
            : "chrony's configuration as the playbook describes it (the whole file: the result depends only on the playbook and the distribution)") {
            notify(chronyUnit, .restart, by: "file[\(confPath)]")
        }

        // 6. Containers without CAP_SYS_TIME: -x and a drop-in that clears ConditionCapability.
        let noCap = !facts.hasCapSysTime
        let where_ = facts.virtualization.isContainer ? "this host is a container (\(facts.virtualization.kind)) without CAP_SYS_TIME" : "this host has no CAP_SYS_TIME"
        try planOptions(needX: noCap, why: where_)
        let dropIn = distro.containerDropIn
        if noCap {
            let content = "# Managed by Flotilla: \(where_), so \(chronyUnit)'s\n# ConditionCapability=CAP_SYS_TIME would keep it 'inactive (dead)'. chronyd runs with -x\n# (it never sets the clock), and this empty assignment clears the condition.\n[Unit]\nConditionCapability=\n"
            if try ensureFile(dropIn, content: content, reason: "\(where_): the unit's ConditionCapability=CAP_SYS_TIME would keep chronyd from starting at all; the drop-in clears it (chronyd runs with -x)",
                          makeParent: true, then: [.systemctl(verb: .daemonReload, unit: nil)]) {
                notify(chronyUnit, .restart, by: "file[\(dropIn)]")
                if var u = units[chronyUnit] {
                    u.dropInPaths.append(dropIn)
                    units[chronyUnit] = u
                }
            }
        } else if file(dropIn).exists {
            if ensureAbsent(dropIn, reason: "this host has CAP_SYS_TIME now, so chrony's own start condition applies again", after: [.systemctl(verb: .daemonReload, unit: nil)]) {
                notify(chronyUnit, .restart, by: "file[\(dropIn)]")
            }
        }

        // 7. The unit: unmasked, enabled, running.
        let u = unit(chronyUnit)
        var why: [String] = []
        if u.isMasked { why.append("it is masked (a masked unit cannot start)") }
        if !u.fileState.isEnabled && !u.isMasked { why.append("it is not enabled (it would not start at boot)") }
        if !u.activeState.isRunning {
            why.append(u.conditionResult == false && noCap
                ? "it is not running (its start condition failed; the drop-in above lets it start)"
                : "it is not running")
        }
        try ensureUnit(chronyUnit, UnitGoal(masked: false, enabled: true, state: .running),
                       reason: Describe.list(why), at: at)
    }

    /// chrony.conf for this host, with variables resolved and the resolved values checked.
    func chronyConfig(_ spec: TimesyncSpec, vars: [String: String]) throws(PlanError) -> String {
        func source(_ s: TimeSource, _ kind: String) throws(PlanError) -> String {
            let address = try s.address.resolve(vars, host: host)
            if let problem = TimeSource.addressProblem(address) {
                throw .invalid(s.address.position, message: problem + (s.address.isLiteral ? "" : " (\(s.address.raw) on \(host))"))
            }
            return s.directive(kind, address: address)
        }
        func subnets(_ list: [Template]) throws(PlanError) -> [String] {
            var out: [String] = []
            for t in list {
                let value = try t.resolve(vars, host: host)
                if let problem = Subnet.problem(value) {
                    throw .invalid(t.position, message: problem + (t.isLiteral ? "" : " (\(t.raw) on \(host))"))
                }
                out.append(value)
            }
            return out
        }
        var servers: [String] = []
        for s in spec.servers { servers.append(try source(s, "server")) }
        var pools: [String] = []
        for p in spec.pools { pools.append(try source(p, "pool")) }
        var extra: [String] = []
        for line in spec.extraLines { extra.append(try line.resolve(vars, host: host)) }
        let config = ChronyConfig(servers: servers, pools: pools, allow: try subnets(spec.allow), deny: try subnets(spec.deny), spec: spec, extraLines: extra)
        return config.render(for: distro)
    }

    /// chronyd's options file: `-x` added when the host cannot set the clock, removed when it can again.
    mutating func planOptions(needX: Bool, why: String) throws(PlanError) {
        let (path, variable, defaults, header) = distro.chronyOptions
        let f = file(path)
        let chronyUnit = distro.chronyUnit
        var newText: String
        if let text = f.text, f.state == .present {
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let index = lines.lastIndex { $0.hasPrefix(variable + "=") }
            var flags = index.map { Self.flags(lines[$0], variable: variable) } ?? []
            if needX && !flags.contains("-x") { flags.append("-x") }
            if !needX { flags.removeAll { $0 == "-x" } }
            let line = "\(variable)=\"\(flags.joined(separator: " "))\""
            if let index { lines[index] = line } else {
                if lines.last == "" { lines.removeLast() }
                lines += [line, ""]
            }
            newText = lines.joined(separator: "\n")
        } else {
            guard needX else { return }
            newText = header + "\(variable)=\"\((defaults + ["-x"]).joined(separator: " "))\"\n"
        }
        let reason = needX
            ? "\(why): chronyd runs with -x, so it tracks and serves time without trying to set the clock it shares"
            : "this host has CAP_SYS_TIME: chronyd may set the clock again, so -x goes"
        if try ensureFile(path, content: newText, reason: reason) {
            notify(chronyUnit, .restart, by: "file[\(path)]")
        }
    }

    /// The words of `VAR="..."` (quotes optional).
    static func flags(_ line: String, variable: String) -> [String] {
        var value = Substring(line.dropFirst(variable.count + 1))
        if let q = value.first, q == "\"" || q == "'" {
            value = value.dropFirst()
            if let end = value.firstIndex(of: q) { value = value[..<end] }
        }
        return value.split(separator: " ").map(String.init)
    }

    /// Keeps the removed daemons from coming back: an apt pin with priority -1, or dnf/yum's exclude list.
    mutating func planGuard(_ spec: TimesyncSpec) throws(PlanError) {
        let names = spec.remove
        guard !names.isEmpty else { return }
        let path = distro.guardFile
        if distro.packageManager == .apt {
            var content = "# Managed by Flotilla (timesync guard): chrony keeps the time; these daemons must not come back.\n"
            content += names.map { "Package: \($0)\nPin: version *\nPin-Priority: -1\n" }.joined(separator: "\n")
            try ensureFile(path, content: content, reason: "guard: apt will not install \(Describe.list(names)) again (pin priority -1), whatever pulls them in")
            return
        }
        // dnf and yum: add the names to `excludepkgs=` (dnf) or `exclude=` (yum) in [main], keeping what is there.
        let key = distro.packageManager == .yum ? "exclude" : "excludepkgs"
        let f = file(path)
        var lines = (f.text ?? "[main]\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let mainIndex = lines.firstIndex { $0.trimmingWhitespace() == "[main]" }
        let sectionEnd = mainIndex.map { m in lines[(m + 1)...].firstIndex { $0.hasPrefix("[") } ?? lines.count } ?? lines.count
        let keyIndex = mainIndex.flatMap { m in
            lines[(m + 1)..<sectionEnd].firstIndex { line in
                let t = line.trimmingWhitespace()
                return t.hasPrefix(key) && t.dropFirst(key.count).trimmingWhitespace().hasPrefix("=")
            }
        }
        if let keyIndex {
            let value = lines[keyIndex].split(separator: "=", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
            var present = value.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
            for n in names where !present.contains(n) { present.append(n) }
            lines[keyIndex] = "\(key)=" + present.joined(separator: " ")
        } else if let mainIndex {
            lines.insert("\(key)=" + names.joined(separator: " "), at: mainIndex + 1)
        } else {
            lines.insert(contentsOf: ["[main]", "\(key)=" + names.joined(separator: " ")], at: 0)
        }
        try ensureFile(path, content: lines.joined(separator: "\n") + "\n",
                   reason: "guard: \(distro.packageManager.rawValue) will not install \(Describe.list(names)) again (\(key) in [main])")
    }
}
