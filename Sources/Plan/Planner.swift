import FlotillaCore
public import Facts

/// The pure planner: a play, a host's variables and facts in; the host's plan out. No I/O.
public enum Planner {
    /// Plans one host for one play. Errors name the host and the playbook position; a failing host is
    /// the caller's data, not a reason to stop planning the others.
    /// `factsDigest` may be passed when the caller already has it (it is the same for all of a host's plays).
    public static func plan(
        _ play: Play, host: String, vars inventoryVars: [String: String], facts: HostFacts, factsDigest: String? = nil
    ) throws(PlanError) -> HostPlan {
        let vars = try play.variables(for: host, inventory: inventoryVars)
        try checkGathered(play.factRequest(vars: inventoryVars, host: host), facts: facts, host: host, at: play.position)
        var builder = try PlanBuilder(host: host, facts: facts)
        if let timesync = play.timesync { try builder.timesync(timesync, vars: vars) }
        for task in play.tasks { try builder.task(task, vars: vars, handlers: play.handlers) }
        builder.flushHandlers()
        return HostPlan(
            host: host, play: play.name, changes: builder.changes,
            summary: summary(play, facts: facts, changes: builder.changes, distro: builder.distro), factsDigest: factsDigest ?? facts.digest)
    }

    /// A plan from facts that were never gathered would be a guess ("absent" because nobody looked):
    /// refuse it and say what is missing.
    static func checkGathered(_ request: FactRequest, facts: HostFacts, host: String, at position: FileLocation) throws(PlanError) {
        let missing = request.packages.filter { facts.packages[$0] == nil }.map { "package[\($0)]" }
            + request.units.filter { facts.units[$0] == nil }.map { "unit[\($0)]" }
            + request.files.filter { facts.files[$0] == nil }.map { "file[\($0)]" }
        guard missing.isEmpty else {
            throw .cannotPlan(position, host: host, resource: "facts", reason: "the facts do not cover " + Describe.list(missing) + "; gather them with the play's factRequest")
        }
    }

    static func summary(_ play: Play, facts: HostFacts, changes: [Change], distro: Distro) -> String {
        var notes: [String] = []
        if play.timesync != nil && !facts.hasCapSysTime {
            notes.append((facts.virtualization.isContainer ? "container (\(facts.virtualization.kind))" : "host") + " without CAP_SYS_TIME: chronyd runs with -x and never sets the clock")
        }
        if changes.isEmpty {
            var s = "converged: "
            if let t = play.timesync {
                let chrony = facts.chronyVersion.map { "chrony \($0)" } ?? "chrony"
                s += (t.remove.isEmpty ? "" : Describe.list(t.remove) + " absent, ") + "systemd-timesyncd masked, \(chrony) installed, enabled and running with the playbook's configuration"
                if !play.tasks.isEmpty { s += ", and all \(play.tasks.count) tasks are as the playbook says" }
            } else {
                s += "all \(play.tasks.count) tasks are as the playbook says"
            }
            notes.insert(s, at: 0)
        }
        return notes.joined(separator: "; ")
    }
}

extension Playbook {
    /// The facts one host needs for the plays it is in (`plays` are indexes into `self.plays`).
    public func factRequest(plays: [Int]? = nil, vars: [String: String] = [:], host: String = "all") throws(PlanError) -> FactRequest {
        var request = FactRequest()
        for index in plays ?? Array(self.plays.indices) {
            request = request.merged(with: try self.plays[index].factRequest(vars: vars, host: host))
        }
        return request
    }
}

extension Play {
    /// What the fact script must gather for this play on one host (paths for both families, so that one
    /// request fits a mixed fleet).
    public func factRequest(vars inventoryVars: [String: String] = [:], host: String = "all") throws(PlanError) -> FactRequest {
        var request = FactRequest()
        func add(_ body: (inout FactRequest) throws(FactsError) -> Void, at position: FileLocation) throws(PlanError) {
            do { try body(&request) } catch { throw .invalid(position, message: error.description) }
        }
        if let t = timesync {
            for name in t.remove + ["chrony", "systemd-timesyncd"] { try add({ r throws(FactsError) in try r.add(package: name) }, at: t.position) }
            for unit in ["chrony.service", "chronyd.service", "systemd-timesyncd.service", "ntp.service", "ntpsec.service", "ntpd.service", "openntpd.service"] {
                try add({ r throws(FactsError) in try r.add(unit: unit) }, at: t.position)
            }
            for file in [
                "/etc/chrony/chrony.conf", "/etc/chrony.conf", "/etc/default/chrony", "/etc/sysconfig/chronyd",
                "/etc/systemd/system/chrony.service.d/flotilla-no-cap-sys-time.conf",
                "/etc/systemd/system/chronyd.service.d/flotilla-no-cap-sys-time.conf",
            ] + (t.guardAgainstReturn ? ["/etc/apt/preferences.d/flotilla-timesync", "/etc/dnf/dnf.conf", "/etc/yum.conf"] : []) {
                try add({ r throws(FactsError) in try r.add(file: file) }, at: t.position)
            }
        }
        let vars = try variables(for: host, inventory: inventoryVars)
        for task in tasks {
            switch task.resource {
            case .package(let spec):
                for n in spec.names {
                    let name = try n.resolve(vars, host: host)
                    try add({ r throws(FactsError) in try r.add(package: name) }, at: n.position)
                }
            case .unit(let spec):
                let name = try spec.name.resolve(vars, host: host)
                try add({ r throws(FactsError) in try r.add(unit: name) }, at: spec.name.position)
                for d in spec.dropins {
                    try add({ r throws(FactsError) in try r.add(file: "/etc/systemd/system/\(name).d/\(d.name)") }, at: spec.name.position)
                }
            case .file(let spec):
                let path = try spec.path.resolve(vars, host: host)
                try add({ r throws(FactsError) in try r.add(file: path) }, at: spec.path.position)
            case .line(let spec):
                let path = try spec.path.resolve(vars, host: host)
                try add({ r throws(FactsError) in try r.add(file: path) }, at: spec.path.position)
            }
        }
        for h in handlers {
            let name = try h.unit.resolve(vars, host: host)
            try add({ r throws(FactsError) in try r.add(unit: name) }, at: h.position)
        }
        return request
    }
}

