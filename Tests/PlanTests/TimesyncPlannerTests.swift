import FlotillaCore
import Foundation
import Facts
import Plan
import Testing

@Suite struct TimesyncPlannerTests {
    let play: Play

    init() throws {
        play = try Repo.playbook("chrony.yml").plays[0]
    }

    func plan(_ fixture: String) throws -> HostPlan {
        try Planner.plan(play, host: fixture, vars: [:], facts: try Repo.facts(fixture))
    }

    static let apt = [
        "env", "DEBIAN_FRONTEND=noninteractive", "NEEDRESTART_MODE=a", "UCF_FORCE_CONFFOLD=1", "apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=120",
        "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
    ]

    @Test func ntpInstalledInAContainerGetsTheWholeMigrationMakeBeforeBreak() throws {
        let p = try plan("debian12-ntp")
        #expect(p.resources == [
            "+ package[chrony]", "+ file[/etc/chrony/chrony.conf]", "+ file[/etc/default/chrony]",
            "+ file[/etc/systemd/system/chrony.service.d/flotilla-no-cap-sys-time.conf]", "~ unit[chrony.service]",
            "+ unit[systemd-timesyncd.service]", "- package[ntp]", "- package[ntpsec]", "+ file[/etc/apt/preferences.d/flotilla-timesync]",
        ])
        // Fetched first (a mirror that is down fails the host before anything changed), then one apt transaction
        // installs chrony and removes ntp and ntpsec (config files kept, so that a failure can put them back).
        let chrony = try #require(p.change("package[chrony]"))
        #expect(chrony.steps == [
            Step.apt(["install", "--download-only", "--", "chrony"]),
            Step.apt(["install", "--", "chrony", "ntp-", "ntpsec-"]),
        ])
        #expect(chrony.reason.contains("fetched first"))
        #expect(chrony.reason.contains("one apt transaction installs it and removes ntp and ntpsec (config files kept"))
        // Their leftovers are purged in one call once chrony runs (a second call would cost about a second per host).
        #expect(p.change("package[ntp]")?.steps == [Step.apt(["purge", "--", "ntp", "ntpsec"])])
        // The command line apt actually gets, pinned literally once.
        #expect(p.change("package[ntp]")?.steps.first?.argv == Self.apt + ["purge", "--", "ntp", "ntpsec"])
        #expect(p.change("package[chrony]")?.steps.first?.argv == Self.apt + ["install", "--download-only", "--", "chrony"])
        #expect(p.change("package[ntp]")?.before.hasPrefix("installed 1:4.2.8p15") == true)
        #expect(p.change("package[ntp]")?.reason.contains("purged now that chrony runs") == true)
        #expect(p.change("package[ntpsec]")?.steps == [])
        #expect(p.change("package[ntpsec]")?.reason.hasSuffix("(purged by the same call as package[ntp])") == true)
        // ntp's unit went with its package: nothing stops or disables it separately.
        #expect(!p.steps.contains(.systemctl(verb: .stop, unit: "ntp.service")))
        #expect(p.summary.contains("without CAP_SYS_TIME"))
    }

    /// Whether a step takes something away from the host: removes or purges a package, or stops, disables or
    /// masks a unit other than chrony's own.
    static func breaks(_ step: Step, chronyUnit: String) -> Bool {
        switch step {
        case .package(let call):
            let argv = call.argv
            guard let verb = argv.first(where: { ["install", "remove", "purge", "erase"].contains($0) }) else { return false }
            return verb != "install" || argv.contains { $0.hasSuffix("-") && !$0.hasPrefix("-") }
        case .systemctl(let verb, let unit):
            return [.stop, .disable, .mask].contains(verb) && unit != chronyUnit
        default:
            return false
        }
    }

    /// For every fixture: nothing that can fail for reasons outside the host (fetching chrony) runs after anything
    /// was taken away; nothing is taken away before chrony is installed, except by the transaction that installs
    /// it; and nothing but that transaction and its fetch runs before chrony is running when it must be installed.
    @Test(arguments: [
        ("debian12-ntp", "chrony.service"), ("debian12-timesyncd", "chrony.service"), ("debian12-chrony-masked", "chrony.service"),
        ("debian12-chrony-dead", "chrony.service"), ("rhel9-bare", "chronyd.service"), ("ubuntu2404-chrony", "chrony.service"),
        ("amzn2023-chrony", "chronyd.service"), ("debian13-ntpsec", "chrony.service"), ("ubuntu2204-timesyncd", "chrony.service"),
        ("lab-debian12-timesyncd", "chrony.service"), ("lab-debian12-chrony-masked", "chrony.service"), ("lab-debian12-chrony-dead", "chrony.service"),
    ])
    func nothingIsTakenAwayBeforeChronyRuns(fixture: String, unit: String) throws {
        let p = try Planner.plan(play, host: fixture, vars: labVars, facts: try Repo.facts(fixture))
        let steps = p.steps
        let firstBreak = steps.firstIndex { Self.breaks($0, chronyUnit: unit) }
        // Where chrony starts: its unit's start, or (Debian's package starts it) the install; nil when it runs already.
        let chronyStart = steps.lastIndex { $0 == .systemctl(verb: .start, unit: unit) }
        if let install = p.change("package[chrony]") {
            // The fetch is the host's first step; the install transaction the only step that may take something away early.
            guard let fetch = try #require(steps.first).argv else { Issue.record("\(fixture): first step \(steps[0])"); return }
            #expect(fetch.contains("--download-only") || fetch.contains("--downloadonly"), "\(fixture): \(fetch)")
            let transaction = try #require(install.steps.last)
            let transactionIndex = try #require(steps.firstIndex(of: transaction))
            if let firstBreak { #expect(firstBreak >= transactionIndex, "\(fixture): \(steps[firstBreak]) before chrony's install") }
            let otherBreaks = steps.indices.filter { $0 != transactionIndex && Self.breaks(steps[$0], chronyUnit: unit) }
            if let chronyRunning = chronyStart ?? transactionIndex as Int?, let b = otherBreaks.first {
                #expect(b > chronyRunning, "\(fixture): \(steps[b]) before chrony runs")
            }
        } else if let firstBreak, let chronyRunning = chronyStart {
            #expect(firstBreak > chronyRunning, "\(fixture): \(steps[firstBreak]) before chrony runs")
        }
    }

    /// Issue 16, part 2: `apt-get install systemd-timesyncd` on a converged host would remove chrony (they
    /// conflict over time-daemon); the guard pins it out with the purged daemons.
    @Test func aptGuardPinsSystemdTimesyncdWithThePurgedDaemons() throws {
        let p = try plan("debian12-ntp")
        let guardChange = try #require(p.change("file[/etc/apt/preferences.d/flotilla-timesync]"))
        #expect(p.written("/etc/apt/preferences.d/flotilla-timesync") == """
            # Managed by Flotilla (timesync guard): chrony keeps the time; these daemons must not come back.
            Package: ntp
            Pin: version *
            Pin-Priority: -1

            Package: ntpsec
            Pin: version *
            Pin-Priority: -1

            Package: openntpd
            Pin: version *
            Pin-Priority: -1

            Package: systemd-timesyncd
            Pin: version *
            Pin-Priority: -1

            """)
        #expect(guardChange.reason.hasPrefix("guard: apt will not install ntp, ntpsec, openntpd and systemd-timesyncd again (pin priority -1)"))
        #expect(guardChange.reason.contains("installing systemd-timesyncd would remove chrony"))
        // A remove list that names it already pins it once; dnf's exclude list is the remove list, as before.
        var custom = play
        custom.timesync?.remove = ["ntpsec", "systemd-timesyncd"]
        let once = try Planner.plan(custom, host: "h", vars: [:], facts: try Repo.facts("debian12-ntp"))
        #expect(once.written("/etc/apt/preferences.d/flotilla-timesync")?.components(separatedBy: "Package: systemd-timesyncd").count == 2)
        #expect(try plan("rhel9-bare").written("/etc/dnf/dnf.conf")?.contains("excludepkgs=ntp ntpsec openntpd\n") == true)
    }

    @Test func timesyncdIsMaskedEvenWhenItIsNotInstalled() throws {
        let p = try plan("debian12-ntp")
        let mask = try #require(p.change("unit[systemd-timesyncd.service]"))
        #expect(mask.action == .create)
        #expect(mask.steps == [.systemctl(verb: .mask, unit: "systemd-timesyncd.service")])
        #expect(mask.before == "not found")
        #expect(mask.reason.contains("not installed; masked anyway"))
    }

    @Test func installedTimesyncdIsRemovedByChronysTransactionThenMasked() throws {
        let p = try plan("debian12-timesyncd")
        #expect(p.change("package[chrony]")?.steps.last == Step.apt(["install", "--", "chrony", "systemd-timesyncd-"]))
        let mask = try #require(p.change("unit[systemd-timesyncd.service]"))
        // apt removed it (its prerm stops it) in the transaction that installed chrony: only the mask is left, after chrony runs.
        #expect(mask.steps == [.systemctl(verb: .mask, unit: "systemd-timesyncd.service")])
        #expect(mask.reason.hasPrefix("apt removed it in chrony's transaction above (config files kept)"))
        #expect(p.resources.firstIndex(of: "~ unit[chrony.service]")! < p.resources.firstIndex(of: "+ unit[systemd-timesyncd.service]")!)
        // Where chrony is installed already (no transaction), a running timesyncd is stopped, disabled and masked once chrony runs.
        var facts = try Repo.facts("debian12-chrony-dead")
        facts.units["systemd-timesyncd.service"] = UnitFact(
            name: "systemd-timesyncd.service", loadState: .loaded, fileState: .enabled, activeState: .active, subState: "running")
        let running = try Planner.plan(play, host: "h", vars: [:], facts: facts)
        #expect(running.change("unit[systemd-timesyncd.service]")?.steps == [
            .systemctl(verb: .stop, unit: "systemd-timesyncd.service"), .systemctl(verb: .disable, unit: "systemd-timesyncd.service"),
            .systemctl(verb: .mask, unit: "systemd-timesyncd.service"),
        ])
        #expect(running.change("unit[systemd-timesyncd.service]")?.reason.contains("once chrony runs") == true)
    }

    @Test func serverLineComesBeforeAnyOtherSourceLine() throws {
        let conf = try #require(try plan("debian12-ntp").written("/etc/chrony/chrony.conf"))
        let sources = conf.split(separator: "\n").filter { $0.hasPrefix("server ") || $0.hasPrefix("pool ") }
        #expect(sources == ["server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4"])
        #expect(conf.contains("\nkeyfile /etc/chrony/chrony.keys\ndriftfile /var/lib/chrony/chrony.drift\n"))
        #expect(!conf.contains("confdir"))
        #expect(conf.contains("\nmakestep 1 3\nrtcsync\n"))
    }

    @Test func enablingChronyIsPlannedAfterItsInstallNotAsAnError() throws {
        let p = try plan("rhel9-bare")
        #expect(p.resources == [
            "+ package[chrony]", "+ file[/etc/chrony.conf]", "~ unit[chronyd.service]", "+ unit[systemd-timesyncd.service]", "~ file[/etc/dnf/dnf.conf]",
        ])
        let unit = try #require(p.change("unit[chronyd.service]"))
        #expect(unit.reason.hasPrefix("after chrony is installed: "))
        #expect(unit.before == "not installed before this plan")
        #expect(unit.steps == [.systemctl(verb: .enable, unit: "chronyd.service"), .systemctl(verb: .start, unit: "chronyd.service")])
        #expect(p.change("package[chrony]")?.steps == [
            Step.dnf(["install", "--downloadonly", "--", "chrony"]),
            Step.dnf(["install", "--", "chrony"]),
        ])
        // Started after the configuration was written: no restart on top.
        #expect(!p.steps.contains(.systemctl(verb: .restart, unit: "chronyd.service")))
    }

    @Test func debianInstallStartsChronySoOnlyTheRestartRemains() throws {
        var facts = try Repo.facts("debian13-ntpsec")
        #expect(facts.hasCapSysTime)
        let p = try Planner.plan(play, host: "vm", vars: [:], facts: facts)
        // Debian's postinst enables and starts chrony.service: no enable or start; the new config needs one restart.
        #expect(p.resources == [
            "+ package[chrony]", "+ file[/etc/chrony/chrony.conf]", "+ unit[systemd-timesyncd.service]", "- package[ntpsec]",
            "+ file[/etc/apt/preferences.d/flotilla-timesync]", "~ unit[chrony.service]",
        ])
        #expect(p.change("package[chrony]")?.steps.last == Step.apt(["install", "--", "chrony", "ntpsec-"]))
        #expect(p.changes.last?.steps == [.systemctl(verb: .restart, unit: "chrony.service")])
        #expect(p.changes.last?.reason.hasPrefix("config changed: file[/etc/chrony/chrony.conf]") == true)
        #expect(p.written("/etc/default/chrony") == nil)
        facts.os.id = "plan9"
        facts.os.family = .other
        #expect(throws: PlanError.self) { try Planner.plan(play, host: "vm", vars: [:], facts: facts) }
    }

    @Test func maskedChronyIsUnmaskedEnabledAndStarted() throws {
        let p = try plan("debian12-chrony-masked")
        #expect(p.change("package[chrony]") == nil)
        #expect(p.change("package[ntpsec]")?.before == "removed, config files left (dpkg rc)")
        let unit = try #require(p.change("unit[chrony.service]"))
        // Unmasked, enabled and started before the leftovers of ntpsec are purged.
        #expect(p.resources.suffix(3) == ["+ unit[systemd-timesyncd.service]", "- package[ntpsec]", "+ file[/etc/apt/preferences.d/flotilla-timesync]"])
        #expect(unit.steps == [
            .systemctl(verb: .unmask, unit: "chrony.service"), .systemctl(verb: .enable, unit: "chrony.service"),
            .systemctl(verb: .start, unit: "chrony.service"),
        ])
        #expect(unit.before == "masked, inactive (dead)")
    }

    @Test func deadChronyInAContainerGetsMinusXAndTheDropIn() throws {
        let p = try plan("debian12-chrony-dead")
        let options = try #require(p.change("file[/etc/default/chrony]"))
        #expect(options.diff?.contains("-DAEMON_OPTS=\"-F 1\"\n+DAEMON_OPTS=\"-F 1 -x\"") == true)
        #expect(options.reason.contains("container (systemd-nspawn) without CAP_SYS_TIME"))
        let dropIn = try #require(p.change("file[/etc/systemd/system/chrony.service.d/flotilla-no-cap-sys-time.conf]"))
        #expect(dropIn.steps.first == .makeDirectory(path: "/etc/systemd/system/chrony.service.d", mode: "0755"))
        #expect(dropIn.steps.last == .systemctl(verb: .daemonReload, unit: nil))
        #expect(p.written(dropIn.resource.dropFirst(5).dropLast().description)?.hasSuffix("[Unit]\nConditionCapability=\n") == true)
        #expect(p.change("unit[chrony.service]")?.steps == [.systemctl(verb: .start, unit: "chrony.service")])
        #expect(p.change("unit[chrony.service]")?.reason.contains("start condition failed") == true)
        // One start after all the writes; no restart.
        #expect(p.steps.filter { if case .systemctl(.restart, _) = $0 { true } else { false } }.isEmpty)
    }

    @Test func handlerRestartsChronyOnceWhenSeveralFilesChanged() throws {
        var facts = try Repo.facts("debian12-chrony-dead")
        // chronyd was running already (say, started by hand with -x): three files change under it.
        facts.units["chrony.service"]?.activeState = .active
        facts.units["chrony.service"]?.subState = "running"
        facts.units["chrony.service"]?.conditionResult = true
        let p = try Planner.plan(play, host: "c1", vars: [:], facts: facts)
        let restarts = p.changes.filter { $0.steps.contains(.systemctl(verb: .restart, unit: "chrony.service")) }
        #expect(restarts.count == 1)
        #expect(restarts.first?.reason == "config changed: file[/etc/chrony/chrony.conf], file[/etc/default/chrony] and file[/etc/systemd/system/chrony.service.d/flotilla-no-cap-sys-time.conf]; restart once so that the new configuration is used")
        #expect(p.changes.last == restarts.first)
    }

    @Test func rhelPathsAndSysconfigOptions() throws {
        let p = try plan("rhel9-chrony")
        #expect(p.resources == ["~ file[/etc/chrony.conf]", "+ unit[systemd-timesyncd.service]", "~ file[/etc/dnf/dnf.conf]", "~ unit[chronyd.service]"])
        #expect(p.written("/etc/chrony.conf")?.contains("\ndriftfile /var/lib/chrony/drift\n") == true)
        #expect(p.written("/etc/dnf/dnf.conf") == "[main]\nexcludepkgs=ntp ntpsec openntpd\ngpgcheck=1\ninstallonly_limit=3\nclean_requirements_on_remove=True\nbest=True\nskip_if_unavailable=False\n")
        #expect(p.changes.last?.steps == [.systemctl(verb: .restart, unit: "chronyd.service")])
        let diff = try #require(p.change("file[/etc/chrony.conf]")?.diff)
        #expect(diff.hasPrefix("--- /etc/chrony.conf\n+++ /etc/chrony.conf\n@@ "))
        #expect(diff.contains("\n-pool 2.rhel.pool.ntp.org iburst\n"))
    }

    @Test func rhelContainerWithoutCapSysTimeUsesSysconfigAndChronydDropIn() throws {
        var facts = try Repo.facts("rhel9-chrony")
        facts.hasCapSysTime = false
        facts.virtualization = Virtualization(kind: "podman", isContainer: true)
        let p = try Planner.plan(play, host: "r1", vars: [:], facts: facts)
        #expect(p.written("/etc/sysconfig/chronyd") == "# Command-line options for chronyd\nOPTIONS=\"-F 2 -x\"\n")
        #expect(p.written("/etc/systemd/system/chronyd.service.d/flotilla-no-cap-sys-time.conf") != nil)
    }

    @Test func amazonLinuxKeepsItsAWSLineAndLosesThePool() throws {
        let p = try plan("amzn2023-chrony")
        let diff = try #require(p.change("file[/etc/chrony.conf]")?.diff)
        #expect(diff.contains("\n-pool time.aws.com iburst\n"))
        #expect(diff.contains("\n server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4\n"))
    }

    @Test(arguments: [
        ("debian12-ntp", "chrony.service"), ("debian12-timesyncd", "chrony.service"), ("debian12-chrony-masked", "chrony.service"),
        ("debian12-chrony-dead", "chrony.service"), ("rhel9-bare", "chronyd.service"), ("ubuntu2404-chrony", "chrony.service"),
        ("amzn2023-chrony", "chronyd.service"), ("debian13-ntpsec", "chrony.service"), ("ubuntu2204-timesyncd", "chrony.service"),
    ])
    func secondPlanAfterApplyIsEmpty(fixture: String, unit: String) throws {
        let facts = try Repo.facts(fixture)
        let first = try Planner.plan(play, host: fixture, vars: [:], facts: facts)
        #expect(!first.isConverged)
        let after = convergedFacts(facts, after: first, chronyUnit: unit, removed: play.timesync!.remove)
        let second = try Planner.plan(play, host: fixture, vars: [:], facts: after)
        #expect(second.changes == [])
        #expect(second.summary.hasPrefix("converged: ntp, ntpsec and openntpd absent, systemd-timesyncd masked"))
    }

    @Test func hostWithCapSysTimeAgainLosesMinusXAndTheDropIn() throws {
        let facts = try Repo.facts("debian12-chrony-dead")
        let first = try Planner.plan(play, host: "c", vars: [:], facts: facts)
        var after = convergedFacts(facts, after: first, chronyUnit: "chrony.service", removed: ["ntp", "ntpsec", "openntpd"])
        after.hasCapSysTime = true
        after.virtualization = .none
        let p = try Planner.plan(play, host: "c", vars: [:], facts: after)
        #expect(p.resources == [
            "~ file[/etc/default/chrony]", "- file[/etc/systemd/system/chrony.service.d/flotilla-no-cap-sys-time.conf]", "~ unit[chrony.service]",
        ])
        #expect(p.written("/etc/default/chrony")?.hasSuffix("DAEMON_OPTS=\"-F 1\"\n") == true)
    }

    @Test func hostWithoutSystemdIsUnsupported() throws {
        let facts = try Repo.facts("debian12-real-docker")
        #expect(throws: PlanError.unsupportedHost(host: "vm", reason: "systemd is not running on this host; Flotilla manages time daemons through systemd")) {
            try Planner.plan(play, host: "vm", vars: [:], facts: facts)
        }
    }
}

@Suite struct MasterAndClientsTests {
    let book: Playbook
    init() throws { book = try Repo.playbook("chrony-master.yml") }

    @Test func masterFollowsUpstreamAndServesTheSubnet() throws {
        let p = try Planner.plan(book.plays[0], host: "lab-01", vars: labVars, facts: try Repo.facts("debian12-ntp"))
        let conf = try #require(p.written("/etc/chrony/chrony.conf"))
        #expect(conf.contains("\nserver 169.254.169.123 prefer iburst minpoll 4 maxpoll 4\n"))
        #expect(conf.contains("\n# Serve time to these clients.\nallow 10.88.0.0/24\nlocal stratum 8\n"))
    }

    @Test func clientsFollowTheMaster() throws {
        let p = try Planner.plan(book.plays[1], host: "lab-02", vars: labVars, facts: try Repo.facts("debian12-timesyncd"))
        let conf = try #require(p.written("/etc/chrony/chrony.conf"))
        #expect(conf.contains("\nserver 10.88.0.10 iburst\n"))
        #expect(!conf.contains("allow"))
        #expect(!conf.contains("169.254.169.123"))
    }

    @Test func missingInventoryVariableIsNamedWithItsPosition() throws {
        var vars = labVars
        vars["timemaster_address"] = nil
        #expect(throws: PlanError.unknownVariable(FileLocation(file: book.file, line: 36, column: 9), name: "timemaster_address", host: "lab-02")) {
            try Planner.plan(book.plays[1], host: "lab-02", vars: vars, facts: try Repo.facts("debian12-timesyncd"))
        }
    }

    @Test func badSubnetFromTheInventoryIsCaughtAtPlanTime() throws {
        var vars = labVars
        vars["vpc_subnet"] = "10.88.0.0/99"
        let facts = try Repo.facts("debian12-ntp")
        do {
            _ = try Planner.plan(book.plays[0], host: "lab-01", vars: vars, facts: facts)
            Issue.record("accepted")
        } catch {
            guard case .invalid(let at, let message) = error else { Issue.record("wrong error \(error)"); return }
            #expect(at == FileLocation(file: book.file, line: 19, column: 13))
            #expect(message == "'10.88.0.0/99' is not a subnet: the prefix length must be 0 to 32 ({{ vpc_subnet }} on lab-01)")
        }
    }

    @Test func factRequestCoversBothFamilies() throws {
        let request = try book.plays[0].factRequest(vars: labVars, host: "lab-01")
        #expect(request.packages == ["ntp", "ntpsec", "openntpd", "chrony", "systemd-timesyncd"])
        #expect(request.units.contains("chrony.service") && request.units.contains("chronyd.service"))
        #expect(request.files.contains("/etc/chrony/chrony.conf") && request.files.contains("/etc/chrony.conf"))
        #expect(request.files.contains("/etc/apt/preferences.d/flotilla-timesync"))
    }
}

@Suite struct ChronyOptionsTests {
    @Test func everyChronyKnobIsRendered() throws {
        let book = try Playbook.parse(yaml: """
        - hosts: all
          timesync:
            remove: [ntp]
            servers:
              - {address: 10.0.0.1, iburst: true, nts: true, xleave: true, minpoll: -2, maxpoll: 6}
              - "10.0.0.2 key 7"
            pools:
              - "pool.example.org iburst maxsources 3"
            allow: [10.88.0.0/24, "fd00::/8"]
            deny: [10.88.0.99]
            local_stratum: 10
            makestep: {threshold: 0.5, limit: -1}
            minsources: 2
            maxdistance: 1.5
            rtcsync: false
            distro_sources: true
            extra_lines: ["log tracking"]
        """, file: "knobs.yml")
        let p = try Planner.plan(book.plays[0], host: "h", vars: [:], facts: try Repo.facts("debian13-ntpsec"))
        let conf = try #require(p.written("/etc/chrony/chrony.conf"))
        #expect(conf == """
        # Managed by Flotilla (timesync). Local edits are replaced on the next apply.

        server 10.0.0.1 iburst minpoll -2 maxpoll 6 nts xleave
        server 10.0.0.2 key 7

        pool pool.example.org iburst maxsources 3

        # Sources dropped in by the distribution's tools.
        confdir /etc/chrony/conf.d
        sourcedir /run/chrony-dhcp
        sourcedir /etc/chrony/sources.d

        minsources 2
        maxdistance 1.5
        makestep 0.5 -1

        # Serve time to these clients.
        allow 10.88.0.0/24
        allow fd00::/8
        deny 10.88.0.99
        local stratum 10

        # Distribution defaults.
        keyfile /etc/chrony/chrony.keys
        driftfile /var/lib/chrony/chrony.drift
        ntsdumpdir /var/lib/chrony
        logdir /var/log/chrony
        maxupdateskew 100.0
        leapsectz right/UTC

        log tracking

        """)
        // ntpsec is running but not in this play's remove list: it stays.
        #expect(p.change("package[ntpsec]") == nil)
    }

    @Test func factsThatWereNotGatheredAreRefused() throws {
        let play = try Repo.playbook("chrony.yml").plays[0]
        var facts = try Repo.facts("debian12-ntp")
        facts.files["/etc/chrony/chrony.conf"] = nil
        facts.units["chrony.service"] = nil
        do {
            _ = try Planner.plan(play, host: "h", vars: [:], facts: facts)
            Issue.record("planned from facts nobody gathered")
        } catch {
            guard case .cannotPlan(_, let host, let resource, let reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(host == "h" && resource == "facts")
            #expect(reason == "the facts do not cover unit[chrony.service] and file[/etc/chrony/chrony.conf]; gather them with the play's factRequest")
        }
    }
}

@Suite struct ConflictTests {
    @Test func installingChronyOnDebianSaysWhichDaemonsItsTransactionRemoves() throws {
        let play = try Repo.playbook("chrony.yml").plays[0]
        let p = try Planner.plan(play, host: "h", vars: [:], facts: try Repo.facts("debian12-timesyncd"))
        #expect(p.change("package[chrony]")?.reason.contains(
            "one apt transaction installs it and removes systemd-timesyncd (config files kept, so that a failure can put it back), which conflicts with it over time-daemon") == true)
        // No competing daemon installed on RHEL: nothing is removed with the install.
        let rhel = try Planner.plan(play, host: "h", vars: [:], facts: try Repo.facts("rhel9-bare"))
        #expect(rhel.change("package[chrony]")?.reason.contains("removes") == false)
    }
}

@Suite struct ShippedPlaybookTests {
    /// Every playbook in Playbooks/ loads and plans every play against every fixture host.
    @Test func everyShippedPlaybookLoadsAndPlans() throws {
        let dir = Repo.root.appendingPathComponent("Playbooks")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted()
        #expect(files == ["chrony-master.yml", "chrony.yml"])
        let fixtures = ["debian12-ntp", "debian12-timesyncd", "debian12-chrony-masked", "debian12-chrony-dead", "debian13-ntpsec",
                        "ubuntu2204-timesyncd", "ubuntu2404-chrony", "rhel9-chrony", "rhel9-bare", "amzn2023-chrony"]
        for file in files {
            let book = try Repo.playbook(file)
            for play in book.plays {
                for fixture in fixtures {
                    let p = try Planner.plan(play, host: fixture, vars: labVars, facts: try Repo.facts(fixture))
                    #expect(!p.changes.isEmpty, "\(file) \(play.name) \(fixture)")
                    #expect(p.changes.allSatisfy { (!$0.steps.isEmpty || $0.reason.contains("purged by the same call")) && !$0.reason.isEmpty })
                }
            }
        }
    }
}
