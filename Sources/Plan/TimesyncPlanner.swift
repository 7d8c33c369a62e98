import FlotillaCore
import Facts

/// Expands the typed `timesync` resource into package, unit and file changes for one host.
///
/// Order, and why (make before break: the host is never without a time daemon longer than one dpkg run,
/// and nothing is removed before the steps that can fail for reasons outside the host's configuration):
/// 1. chrony's packages are fetched into the package cache (`apt-get install --download-only`), so a mirror
///    that is down or a package that cannot be had stops the host while nothing was changed;
/// 2. chrony is installed (unmasked first if a mask would stop its maintainer scripts); with apt in the same
///    transaction that removes the daemons it conflicts with over time-daemon (`apt-get install chrony ntp-
///    ntpsec-`), keeping their configuration files so that a failure can put them back. That call takes the
///    package lock before it changes anything, so a held lock also fails the host with nothing changed;
/// 3. its configuration, options and drop-in are written; its unit is unmasked, enabled and started;
/// 4. only then, with chrony running: systemd-timesyncd is masked whether or not it is installed (a mask
///    needs no unit file, so a host without timesyncd never fails with "unit not found"), the competing
///    daemons' leftovers are purged, and the guard keeps them out;
/// and a restart runs once at the end if the configuration changed while chronyd was running.
extension PlanBuilder {
    /// The daemons that compete with chrony for the clock and, on Debian and Ubuntu, conflict with it over
    /// the virtual package time-daemon.
    static let timeDaemons = ["ntp", "ntpsec", "openntpd", "systemd-timesyncd"]

    mutating func timesync(_ spec: TimesyncSpec, vars: [String: String]) throws(PlanError) {
        guard facts.systemdRunning else {
            throw .unsupportedHost(host: host, reason: "systemd is not running on this host; Flotilla manages time daemons through systemd")
        }
        let at = spec.position
        position = at
        let chronyUnit = distro.chronyUnit

        // 1-2. chrony: fetched, then installed; with apt in the transaction that removes what conflicts with it.
        let chronyMasked = unit(chronyUnit).isMasked
        let needsInstall = !package("chrony").isInstalled
        let swapped = needsInstall && distro.packageManager == .apt
            ? (spec.remove + Self.timeDaemons.filter { !spec.remove.contains($0) }).filter { package($0).isInstalled || package($0).status == .broken }
            : []
        if needsInstall {
            var why = distro.installEnablesAndStarts
                ? "the time daemon timesync manages; Debian's package enables and starts \(chronyUnit) when it is installed"
                : "the time daemon timesync manages; the package does not start \(chronyUnit), that is planned below"
            why += "; make before break: its packages are fetched first, so that a mirror that is down or a package that cannot be had stops the host before anything was changed"
            if !swapped.isEmpty {
                let one = swapped.count == 1
                why += ", then one apt transaction installs it and removes \(Describe.list(swapped)) (config files kept, so that a failure can put \(one ? "it" : "them") back), which conflict\(one ? "s" : "") with it over time-daemon: the host is without a time daemon only inside that one dpkg run, and that call takes the package lock before it changes anything"
            } else if spec.remove.contains(where: { package($0).isInstalled }) {
                why += ", and the competing daemons are removed only once chrony runs"
            }
            if chronyMasked { why += "; \(chronyUnit) is masked, so it is unmasked before the install" }
            ensurePackage("chrony", .present, reason: why,
                          extraBefore: chronyMasked ? [.systemctl(verb: .unmask, unit: chronyUnit)] : [], fetchFirst: true, removing: swapped)
        }
        for name in swapped {
            packages[name] = PackageFact(name: name, status: .configFiles, dpkgStatus: "rc")
            for u in distro.units(ofPackage: name) where unit(u).exists && !unit(u).isMasked { units[u] = .notFound(u) }
        }
        if needsInstall && chronyMasked, var u = units[chronyUnit] {
            u.loadState = .loaded
            units[chronyUnit] = u
        }

        // 3. Configuration.
        let config = try chronyConfig(spec, vars: vars)
        let confPath = distro.chronyConf
        if try ensureFile(confPath, content: config, reason: needsInstall
            ? "chrony's configuration as the playbook describes it; replaces the package's default once chrony is installed"
            : "chrony's configuration as the playbook describes it (the whole file: the result depends only on the playbook and the distribution)") {
            notify(chronyUnit, .restart, by: "file[\(confPath)]")
        }

        // 3b. Containers without CAP_SYS_TIME: -x and a drop-in that clears ConditionCapability.
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

        // 3c. The unit: unmasked, enabled, running.
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

        // 4. Only now that chrony runs: systemd-timesyncd masked, installed or not.
        let timesyncd = unit("systemd-timesyncd.service")
        try ensureUnit("systemd-timesyncd.service", UnitGoal(masked: true), reason: swapped.contains("systemd-timesyncd")
            ? "apt removed it in chrony's transaction above (config files kept); masked as well (a mask needs no unit file) once chrony runs, so that a later install cannot start it"
            : timesyncd.exists
            ? "competes with chrony for the clock; disabled and masked once chrony runs, so that nothing starts it again"
            : "not installed; masked anyway (a mask needs no unit file) so that a later install cannot start it", at: at)

        // 4b. What is left of the competing daemons, purged in one call of the package tool (each call costs about a second).
        let purge = spec.remove.filter { package($0).leavesTraces }
        for (i, name) in purge.enumerated() {
            let together = purge.count > 1
                ? (i == 0 ? " (one \(distro.packageManager.rawValue) call purges \(Describe.list(purge)))" : " (purged by the same call as package[\(purge[0])])")
                : ""
            let why = swapped.contains(name)
                ? "competing time daemon; apt removed it in chrony's transaction (package[chrony]) and kept its configuration files so that a failure could put it back; purged now that chrony runs"
                : package(name).status == .configFiles
                ? "competing time daemon removed earlier; its configuration files are still there, purging removes them"
                : "competing time daemon; purged with its configuration only now that chrony runs, which also stops and removes its unit"
            ensurePackage(name, .purged, reason: why + together)
            changes[changes.count - 1].before = Describe.package(facts.packages[name] ?? .absent(name))
            if i == 0 && purge.count > 1 {
                changes[changes.count - 1].steps = [distro.purge(purge)]
            } else if i > 0 {
                changes[changes.count - 1].steps = []
            }
        }

        // 4c. The guard against returning daemons.
        if spec.guardAgainstReturn { try planGuard(spec) }
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
    /// With apt the pin covers systemd-timesyncd too: it conflicts with chrony over time-daemon, so installing it
    /// (an image build, another tool's role) would remove chrony and leave the host with a masked timesyncd.
    mutating func planGuard(_ spec: TimesyncSpec) throws(PlanError) {
        var names = spec.remove
        guard !names.isEmpty else { return }
        let path = distro.guardFile
        if distro.packageManager == .apt {
            let timesyncd = "systemd-timesyncd"
            if !names.contains(timesyncd) { names.append(timesyncd) }
            var content = "# Managed by Flotilla (timesync guard): chrony keeps the time; these daemons must not come back.\n"
            content += names.map { "Package: \($0)\nPin: version *\nPin-Priority: -1\n" }.joined(separator: "\n")
            try ensureFile(path, content: content, reason: "guard: apt will not install \(Describe.list(names)) again (pin priority -1), whatever pulls them in; "
                + "installing \(timesyncd) would remove chrony, which conflicts with it over time-daemon", role: .timesyncGuard)
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
                   reason: "guard: \(distro.packageManager.rawValue) will not install \(Describe.list(names)) again (\(key) in [main])", role: .timesyncGuard)
    }
}
