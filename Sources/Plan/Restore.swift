public import Facts

/// One step that puts part of a host back as it was before a failed apply.
public struct RestoreStep: Sendable, Hashable {
    public var step: Step
    /// What it puts back: `package[ntpsec]`, `unit[systemd-timesyncd.service]`, `file[/etc/chrony/chrony.conf]`.
    public var resource: String
    /// What it does, in a few words for the report (`systemd-timesyncd unmasked`).
    public var summary: String

    public init(step: Step, resource: String, summary: String) {
        self.step = step
        self.resource = resource
        self.summary = summary
    }
}

/// Putting a host back where it was when a step of its plan failed (make before break: a host is never left
/// worse than it started).
///
/// The undo is not a list carried by each change: it is computed from the facts gathered before the steps ran
/// and the facts gathered again after the failure, so it undoes exactly what happened, a step that failed half
/// way included (a dpkg run that removed ntpsec and then failed to configure chrony), and nothing that did not.
/// It runs in two phases because packages bring their units with them:
/// 1. `firstPhase`: units that were not masked and are now are unmasked (so that a reinstalled package's
///    maintainer scripts see them as they were), files are written back with their old content (or removed
///    when they did not exist; the guard goes before the packages, since its pins would refuse them), and one
///    package transaction reinstalls what was removed and removes what was installed (from apt's cache when
///    the .debs are there, which the plan's fetch step and earlier installs leave);
/// 2. `secondPhase`, on facts gathered after the first: units are masked, enabled, disabled, started and
///    stopped as they were.
/// `differences` then says what, if anything, is still not as it was.
public enum Restore {
    public static func firstPhase(before: HostFacts, now: HostFacts) -> [RestoreStep] {
        var out: [RestoreStep] = []
        for name in units(before, now) {
            let b = before.unit(name), n = now.unit(name)
            if !b.isMasked && n.isMasked {
                out.append(RestoreStep(step: .systemctl(verb: .unmask, unit: name), resource: "unit[\(name)]", summary: "\(name) unmasked"))
            }
        }
        var reload = false
        for path in before.files.keys.sorted() {
            let b = before.file(path), n = now.file(path)
            guard !sameFile(b, n) else { continue }
            switch b.state {
            case .absent:
                out.append(RestoreStep(step: .removeFile(path: path, backup: false), resource: "file[\(path)]", summary: "\(path) removed again"))
            case .present:
                guard let bytes = b.content, let text = String(validating: bytes, as: UTF8.self) else { continue }
                out.append(RestoreStep(
                    step: .writeFile(path: path, content: text, mode: PlanBuilder.normalMode(b.mode ?? "644"), owner: b.owner ?? "root",
                                     group: b.group ?? "root", backup: false),
                    resource: "file[\(path)]", summary: "\(path) written back"))
            case .tooLarge, .notRegular, .unreadable:
                continue
            }
            if path.hasPrefix("/etc/systemd/") { reload = true }
        }
        if reload {
            out.append(RestoreStep(step: .systemctl(verb: .daemonReload, unit: nil), resource: "unit files", summary: "systemd reloaded"))
        }
        // Packages: one transaction with apt (conflicting daemons swap places in it), two calls with dnf/yum.
        var reinstall: [String] = []
        var remove: [String] = []
        var purgeAll = true
        for name in before.packages.keys.sorted() {
            let b = before.package(name), n = now.package(name)
            if b.isInstalled && !n.isInstalled {
                reinstall.append(name)
            } else if !b.isInstalled && b.status != .broken && (n.isInstalled || n.status == .broken) {
                remove.append(name)
                if b.status != .notInstalled { purgeAll = false }
            }
        }
        guard !reinstall.isEmpty || !remove.isEmpty, let distro = try? Distro(facts: before, host: "") else { return out }
        let summary = Describe.list(
            (reinstall.isEmpty ? [] : [Describe.list(reinstall) + " reinstalled"])
                + (remove.isEmpty ? [] : [Describe.list(remove) + (purgeAll ? " purged" : " removed") + " again"]))
        let resource = (reinstall + remove).map { "package[\($0)]" }.joined(separator: ", ")
        if distro.packageManager == .apt {
            out.append(RestoreStep(step: distro.restore(install: reinstall, remove: remove, purge: purgeAll), resource: resource, summary: summary))
        } else {
            if !remove.isEmpty {
                out.append(RestoreStep(step: distro.remove(remove), resource: remove.map { "package[\($0)]" }.joined(separator: ", "),
                                       summary: Describe.list(remove) + " removed again"))
            }
            if !reinstall.isEmpty {
                out.append(RestoreStep(step: distro.install(reinstall), resource: reinstall.map { "package[\($0)]" }.joined(separator: ", "),
                                       summary: Describe.list(reinstall) + " reinstalled"))
            }
        }
        return out
    }

    public static func secondPhase(before: HostFacts, now: HostFacts) -> [RestoreStep] {
        var out: [RestoreStep] = []
        for name in units(before, now) {
            let b = before.unit(name), n = now.unit(name)
            let resource = "unit[\(name)]"
            // A unit left failed by the failed step (its start failed) is reset, as it was not failed before.
            let reset = n.activeState == .failed && b.activeState != .failed
                ? [RestoreStep(step: .systemctl(verb: .resetFailed, unit: name), resource: resource, summary: "\(name)'s failed state reset")] : []
            if b.isMasked {
                if !n.isMasked {
                    if n.activeState.isRunning {
                        out.append(RestoreStep(step: .systemctl(verb: .stop, unit: name), resource: resource, summary: "\(name) stopped"))
                    }
                    out.append(RestoreStep(step: .systemctl(verb: .mask, unit: name), resource: resource, summary: "\(name) masked again"))
                }
                out += reset
                continue
            }
            defer { out += reset }
            guard b.exists, n.exists, !n.isMasked else { continue }
            if b.fileState.isEnabled && !n.fileState.isEnabled {
                out.append(RestoreStep(step: .systemctl(verb: .enable, unit: name), resource: resource, summary: "\(name) enabled"))
            } else if b.fileState == .disabled && n.fileState.isEnabled {
                out.append(RestoreStep(step: .systemctl(verb: .disable, unit: name), resource: resource, summary: "\(name) disabled"))
            }
            if b.activeState.isRunning && !n.activeState.isRunning {
                out.append(RestoreStep(step: .systemctl(verb: .start, unit: name), resource: resource, summary: "\(name) started"))
            } else if !b.activeState.isRunning && n.activeState.isRunning {
                out.append(RestoreStep(step: .systemctl(verb: .stop, unit: name), resource: resource, summary: "\(name) stopped"))
            }
        }
        return out
    }

    /// What is not as it was, one phrase per resource, in the facts' terms
    /// (`unit[systemd-timesyncd.service] is masked, inactive (was enabled, inactive (dead))`).
    public static func differences(before: HostFacts, now: HostFacts) -> [String] {
        var out: [String] = []
        for name in before.packages.keys.sorted() {
            let b = before.package(name), n = now.package(name)
            if b.isInstalled != n.isInstalled || (b.status == .broken) != (n.status == .broken) {
                out.append("package[\(name)] is \(Describe.package(n)) (was \(Describe.package(b)))")
            }
        }
        for name in units(before, now) {
            let b = before.unit(name), n = now.unit(name)
            if b.isMasked != n.isMasked || b.fileState.isEnabled != n.fileState.isEnabled || b.activeState.isRunning != n.activeState.isRunning {
                out.append("unit[\(name)] is \(Describe.unit(n)) (was \(Describe.unit(b)))")
            }
        }
        for path in before.files.keys.sorted() {
            let b = before.file(path), n = now.file(path)
            if !sameFile(b, n) { out.append("file[\(path)] is \(Describe.file(n)) (was \(Describe.file(b)))") }
        }
        return out
    }

    /// The time daemons' units that were enabled or running before, as they are now (`systemd-timesyncd.service
    /// enabled, inactive (dead, start condition failed)`): what the report says the host runs again.
    public static func daemons(before: HostFacts, now: HostFacts) -> [String] {
        units(before, now).compactMap { name in
            let b = before.unit(name)
            guard b.exists, b.fileState.isEnabled || b.activeState.isRunning || b.isMasked else { return nil }
            return "\(name) \(Describe.unit(now.unit(name)))"
        }
    }

    /// The units of the facts that are units of their own, not another name of one: `ntp.service` is ntpsec's
    /// alias on Debian 12, `chronyd.service` chrony's (a link to chrony.service's file; when chrony.service is
    /// masked systemd reports the link as masked, and masking it again fails). Their own unit covers them.
    /// Units systemctl could not describe (`error`) are left out too: their states are unknown.
    static func units(_ before: HostFacts, _ now: HostFacts) -> [String] {
        before.units.keys.sorted().filter { name in
            let b = before.unit(name), n = now.unit(name)
            return !isAlias(b) && !isAlias(n) && b.error == nil && n.error == nil
        }
    }

    static func isAlias(_ u: UnitFact) -> Bool {
        if u.id != u.name { return true }
        guard let fragment = u.fragmentPath, fragment != "/dev/null", let slash = fragment.lastIndex(of: "/") else { return false }
        return fragment[fragment.index(after: slash)...] != u.name
    }

    static func sameFile(_ a: FileFact, _ b: FileFact) -> Bool {
        guard a.state == b.state else { return false }
        if a.state == .tooLarge { return a.sha256 == b.sha256 }
        guard a.state == .present else { return true }
        return a.content == b.content && PlanBuilder.normalMode(a.mode ?? "") == PlanBuilder.normalMode(b.mode ?? "") && a.owner == b.owner && a.group == b.group
    }
}
