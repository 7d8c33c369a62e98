import Facts

/// What Flotilla knows about a distribution family: paths, unit names, package tools and what packages do
/// when they are installed. All distribution knowledge of the planner lives here.
struct Distro: Sendable {
    let family: OSRelease.Family
    let packageManager: PackageManager

    init(facts: HostFacts, host: String) throws(PlanError) {
        guard facts.os.family != .other else {
            throw .unsupportedHost(host: host, reason: "\(facts.os.prettyName) is neither of the Debian nor of the Red Hat family; Flotilla knows no paths or package tools for it")
        }
        family = facts.os.family
        packageManager = facts.packageManager == .unknown ? (family == .debian ? .apt : .dnf) : facts.packageManager
    }

    // MARK: chrony

    var chronyConf: String { family == .debian ? "/etc/chrony/chrony.conf" : "/etc/chrony.conf" }
    var chronyUnit: String { family == .debian ? "chrony.service" : "chronyd.service" }
    /// The file with chronyd's command-line options and the variable that holds them.
    var chronyOptions: (path: String, variable: String, defaultFlags: [String], header: String) {
        family == .debian
            ? ("/etc/default/chrony", "DAEMON_OPTS", ["-F", "1"],
               "# This is a configuration file for /etc/init.d/chrony and\n# /lib/systemd/system/chrony.service; it allows you to pass various options to\n# the chrony daemon without editing the init script or service file.\n\n# Options to pass to chrony.\n")
            : ("/etc/sysconfig/chronyd", "OPTIONS", ["-F", "2"], "# Command-line options for chronyd\n")
    }
    func dropInDirectory(_ unit: String) -> String { "/etc/systemd/system/\(unit).d" }
    var containerDropIn: String { dropInDirectory(chronyUnit) + "/flotilla-no-cap-sys-time.conf" }

    /// The distribution's settings that are not about sources, kept in the file Flotilla writes.
    var chronyBase: (keyfile: String, driftfile: String, extra: [String], includes: [String]) {
        family == .debian
            ? ("/etc/chrony/chrony.keys", "/var/lib/chrony/chrony.drift",
               ["ntsdumpdir /var/lib/chrony", "logdir /var/log/chrony", "maxupdateskew 100.0", "leapsectz right/UTC"],
               ["confdir /etc/chrony/conf.d", "sourcedir /run/chrony-dhcp", "sourcedir /etc/chrony/sources.d"])
            : ("/etc/chrony.keys", "/var/lib/chrony/drift",
               ["ntsdumpdir /var/lib/chrony", "logdir /var/log/chrony", "leapsectz right/UTC"],
               ["sourcedir /run/chrony-dhcp"])
    }

    // MARK: packages and their units

    /// The units a package brings, as far as Flotilla knows.
    func units(ofPackage name: String) -> [String] {
        switch (name, family) {
        case ("chrony", .debian): ["chrony.service"]
        case ("chrony", _): ["chronyd.service"]
        case ("ntp", .debian): ["ntp.service", "ntpsec.service"]
        case ("ntp", _): ["ntpd.service"]
        case ("ntpsec", _): ["ntpsec.service", "ntpd.service"]
        case ("openntpd", _): ["openntpd.service"]
        case ("systemd-timesyncd", _): ["systemd-timesyncd.service"]
        default: []
        }
    }

    /// Debian's maintainer scripts enable and start a service when its package is installed; RPM scriptlets
    /// only apply presets, which Flotilla does not count on.
    var installEnablesAndStarts: Bool { family == .debian }

    /// Units whose start needs CAP_SYS_TIME (`ConditionCapability=CAP_SYS_TIME`).
    func needsCapSysTime(_ unit: String) -> Bool {
        ["chrony.service", "chronyd.service", "ntpsec.service", "ntp.service", "ntpd.service"].contains(unit)
    }

    func install(_ names: [String]) -> Step { packageStep("install", names) }
    func remove(_ names: [String]) -> Step { packageStep("remove", names) }
    func purge(_ names: [String]) -> Step { packageStep(packageManager == .apt ? "purge" : "remove", names) }

    /// Downloads the packages (and what they need) into the package tool's cache without installing
    /// anything: `apt-get install --download-only`, `dnf/yum install --downloadonly`. A mirror that is down
    /// or a package that cannot be resolved fails here, before anything on the host changed.
    func fetch(_ names: [String]) -> Step {
        packageStep("install", names, flags: [packageManager == .apt ? "--download-only" : "--downloadonly"])
    }

    /// apt only: one transaction that installs `names` and removes `removing` (apt's `NAME-` suffix), keeping
    /// the removed packages' configuration files. dpkg removes a conflicting package just before it unpacks its
    /// replacement, so the host is without one of them only inside that one dpkg run.
    func install(_ names: [String], removing: [String]) -> Step {
        packageStep("install", names + removing.map { $0 + "-" })
    }

    /// apt only: one transaction that installs `install` again and removes `remove` (purging them when `purge`),
    /// from apt's cache when the .debs are there.
    func restore(install: [String], remove: [String], purge: Bool) -> Step {
        packageStep("install", install + remove.map { $0 + "-" }, flags: purge && !remove.isEmpty ? ["--purge"] : [])
    }

    private func packageStep(_ verb: String, _ names: [String], flags: [String] = []) -> Step {
        .package(call: PackageCall(
            manager: packageManager, verb: verb, flags: flags, names: names,
            lockWaitSeconds: packageManager == .apt ? 120 : nil))
    }

    // MARK: guard

    /// Where the guard against returning daemons lives.
    var guardFile: String {
        switch packageManager {
        case .apt: "/etc/apt/preferences.d/flotilla-timesync"
        case .yum: "/etc/yum.conf"
        case .dnf, .unknown: "/etc/dnf/dnf.conf"
        }
    }
}
