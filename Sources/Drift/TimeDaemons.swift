public import Facts

/// One time daemon on a host as the facts show it: installed, enabled, active, masked.
public struct TimeDaemonState: Sendable, Codable, Hashable {
    /// The daemon's name (its Debian package name).
    public var name: String
    public var package: PackageFact.Status
    /// The unit found for it (its real name, aliases resolved), if any.
    public var unit: String?
    public var enabled: Bool
    public var active: Bool
    public var masked: Bool
    /// systemd's sub-state and whether a start condition failed (a container without CAP_SYS_TIME).
    public var subState: String?
    public var conditionFailed: Bool

    public init(
        name: String, package: PackageFact.Status, unit: String?, enabled: Bool, active: Bool, masked: Bool,
        subState: String?, conditionFailed: Bool
    ) {
        self.name = name
        self.package = package
        self.unit = unit
        self.enabled = enabled
        self.active = active
        self.masked = masked
        self.subState = subState
        self.conditionFailed = conditionFailed
    }

    public var installed: Bool { package == .installed }
    /// Anything of it present: package, enabled or running unit, or a mask.
    public var present: Bool { installed || enabled || active || masked }
}

/// The time daemons the audit looks at, their packages and units, and the findings they give.
public enum TimeDaemons {
    /// Daemon name -> candidate units, in the order they are looked up (Debian's name, then RHEL's).
    public static let units: [(name: String, units: [String])] = [
        ("chrony", ["chrony.service", "chronyd.service"]),
        ("ntp", ["ntp.service", "ntpd.service"]),
        ("ntpsec", ["ntpsec.service"]),
        ("openntpd", ["openntpd.service"]),
        ("systemd-timesyncd", ["systemd-timesyncd.service"]),
    ]

    /// The facts the audit asks every host for.
    public static var factRequest: FactRequest {
        // The names are constants that satisfy FactRequest's rules.
        (try? FactRequest(packages: units.map(\.name), units: units.flatMap(\.units))) ?? FactRequest()
    }

    /// Each daemon's state from the facts. A unit that is really another daemon's (on Debian, ntp.service is an
    /// alias of ntpsec.service) counts for that daemon only, so one running unit is never reported twice.
    public static func states(from facts: HostFacts) -> [TimeDaemonState] {
        states(package: facts.package, unit: facts.unit)
    }

    /// Each daemon's state from package and unit lookups (a name not found: not installed, no unit).
    public static func states(package: (String) -> PackageFact, unit: (String) -> UnitFact) -> [TimeDaemonState] {
        units.map { entry in
            let pkg = package(entry.name)
            let others = Set(units.filter { $0.name != entry.name }.flatMap(\.units))
            let u = entry.units.map { unit($0) }.first { $0.exists && !others.contains($0.id) }
            return TimeDaemonState(
                name: entry.name, package: pkg.status, unit: u?.id,
                enabled: u?.fileState.isEnabled ?? false, active: u?.activeState.isRunning ?? false,
                masked: u?.isMasked ?? false, subState: u?.subState, conditionFailed: u?.conditionResult == false)
        }
    }

    /// What the audit expects of the daemons beyond "chrony runs alone": the playbook's removals and mask.
    public struct Expectations: Sendable, Codable, Hashable {
        /// Packages the playbook removes (a return is a finding).
        public var removed: [String]
        /// The playbook masks systemd-timesyncd.
        public var masksTimesyncd: Bool
        /// The removed packages the playbook's guard (`guard: true`) keeps out; empty: no guard expected.
        /// With apt the guard pins systemd-timesyncd too (`TimeGuard.required`).
        public var guarded: [String]
        public init(removed: [String] = [], masksTimesyncd: Bool = false, guarded: [String] = []) {
            self.removed = removed
            self.masksTimesyncd = masksTimesyncd
            self.guarded = guarded
        }
    }

    /// The daemon findings: each a finding of its own.
    public static func findings(_ states: [TimeDaemonState], expectations: Expectations) -> [Finding] {
        var out: [Finding] = []
        for d in states where d.name != "chrony" {
            let unit = d.unit ?? d.name
            if d.active {
                out.append(Finding(.competingDaemonActive, .critical, "\(unit) is active: a second time daemon competes with chrony for the clock"))
            } else if d.enabled {
                let why = d.conditionFailed ? " (its start condition failed here, but it will try at every boot)" : ""
                out.append(Finding(.competingDaemonEnabled, .warn, "\(unit) is enabled: it starts at the next boot\(why)"))
            }
            if expectations.removed.contains(d.name) && (d.installed || d.package == .broken) {
                out.append(Finding(.removedDaemonReturned, .warn, "\(d.name) is installed although the playbook removes it (not applied yet, or it came back)"))
            }
            if d.name == "systemd-timesyncd" && expectations.masksTimesyncd && !d.masked && (d.installed || d.unit != nil) {
                out.append(Finding(.timesyncdNotMasked, .warn, "systemd-timesyncd.service is not masked although the playbook masks it"))
            }
        }
        if let chrony = states.first(where: { $0.name == "chrony" }), chrony.installed {
            let unit = chrony.unit ?? "chrony.service"
            if chrony.masked {
                out.append(Finding(.chronyMasked, .critical, "\(unit) is masked: chrony cannot start"))
            } else {
                if !chrony.active {
                    let why = chrony.conditionFailed
                        ? " (start condition failed: Debian's unit needs CAP_SYS_TIME, which a container lacks; a drop-in with an empty ConditionCapability= and chronyd -x fixes it)"
                        : chrony.subState.map { " (\($0))" } ?? ""
                    out.append(Finding(.chronyStopped, .critical, "\(unit) is not running\(why)"))
                }
                if !chrony.enabled {
                    out.append(Finding(.chronyDisabled, .warn, "\(unit) is not enabled: it will not start at the next boot"))
                }
            }
        }
        return out
    }
}
