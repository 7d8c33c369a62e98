import FlotillaCore
import Facts
import Plan
import Testing

@Suite struct PlaybookSchemaTests {
    func parse(_ yaml: String) throws(PlanError) -> Playbook { try Playbook.parse(yaml: yaml, file: "test.yml") }

    @Test func shippedChronyPlaybookLoadsWithItsRollout() throws {
        let book = try Repo.playbook("chrony.yml")
        #expect(book.plays.count == 1)
        let play = book.plays[0]
        #expect(play.hosts == "all")
        #expect(play.rollout.serial == [.count(1), .percent(30), .percent(100)])
        #expect(play.rollout.maxFailures == .count(1))
        #expect(play.rollout.batches(of: 10) == [1, 3, 6])
        #expect(play.syncGate == SyncGate(tries: 60, interval: 1, maxCorrection: 0.1, maxSkew: 0, maxOffset: 0.05))
        let t = try #require(play.timesync)
        #expect(t.guardAgainstReturn)
        #expect(t.remove == ["ntp", "ntpsec", "openntpd"])
        #expect(t.servers.count == 1)
        #expect(t.servers[0].address.raw == "169.254.169.123")
        #expect(t.servers[0].prefer && t.servers[0].iburst)
        #expect(t.servers[0].minpoll == 4 && t.servers[0].maxpoll == 4)
        #expect(book.digest.hasPrefix("sha256:"))
    }

    @Test func shippedMasterPlaybookHasTwoRoles() throws {
        let book = try Repo.playbook("chrony-master.yml")
        #expect(book.plays.map(\.hosts) == ["timemaster", "clients"])
        #expect(book.plays[0].timesync?.localStratum == 8)
        #expect(book.plays[0].timesync?.allow.map(\.raw) == ["{{ vpc_subnet }}"])
        #expect(book.plays[1].timesync?.servers.first?.address.raw == "{{ timemaster_address }}")
        #expect(book.plays[1].rollout.maxPerGroup == [Rollout.GroupLimit(prefixes: ["zone_"], limit: 2)])
        #expect(book.plays[1].syncGate?.source?.raw == "{{ timemaster_address }}")
    }

    @Test func unknownKeyNamesPositionAndNearestKey() {
        let yaml = """
        - name: x
          hosts: all
          timesync:
            server:
              - "10.0.0.1 iburst"
        """
        do {
            _ = try parse(yaml)
            Issue.record("accepted")
        } catch {
            // The misspelt key is skipped, so the play also has no source: both are reported, in file order.
            #expect(error.all == [
                .unknownKey(FileLocation(file: "test.yml", line: 4, column: 5), key: "server", context: "timesync", suggestion: "servers"),
                .invalid(FileLocation(file: "test.yml", line: 4, column: 5), message: "timesync needs at least one server or pool, or 'local_stratum' for a master that serves its own clock"),
            ])
        }
    }

    @Test func everyUnknownKeyIsReportedInFileOrder() {
        let yaml = """
        - name: x
          host: all
          timesync:
            servers: ["10.0.0.1"]
            rtcsnyc: true
        """
        do {
            _ = try parse(yaml)
            Issue.record("accepted")
        } catch {
            let messages = error.all.map(\.description)
            #expect(messages == [
                "test.yml:1:3: a play needs 'hosts'",
                "test.yml:2:3: unknown key 'host' in a play; did you mean 'hosts'?",
                "test.yml:5:5: unknown key 'rtcsnyc' in timesync; did you mean 'rtcsync'?",
            ])
        }
    }

    @Test func badSerialValueNamesItsPosition() {
        let yaml = """
        - hosts: all
          rollout:
            serial: [1, "lots"]
          timesync: {servers: ["10.0.0.1"]}
        """
        #expect(throws: PlanError.badValue(FileLocation(file: "test.yml", line: 3, column: 17), key: "serial", expected: "a number of hosts (1) or a percentage (\"30%\")", got: "\"lots\"")) {
            try parse(yaml)
        }
    }

    @Test func minpollAboveMaxpollIsNonsense() {
        let yaml = """
        - hosts: all
          timesync:
            servers:
              - "10.0.0.1 iburst minpoll 8 maxpoll 4"
        """
        do {
            _ = try parse(yaml)
            Issue.record("accepted")
        } catch {
            #expect(error.description == "test.yml:4:9: minpoll 8 is above maxpoll 4: chrony would poll 10.0.0.1 more often than it may")
        }
    }

    @Test func pollOutsideChronysRangeIsRefused() {
        let yaml = """
        - hosts: all
          timesync:
            servers:
              - address: 10.0.0.1
                maxpoll: 30
        """
        #expect(throws: PlanError.invalid(FileLocation(file: "test.yml", line: 4, column: 9), message: "maxpoll 30 is outside chrony's range -6...24 (log2 seconds)")) {
            try parse(yaml)
        }
    }

    @Test(arguments: ["10.88.0.0/33", "10.88.0.300/24", "banana", "10.88.0.0/", "fe80::1::2/64"])
    func badSubnetIsRefused(subnet: String) {
        let yaml = """
        - hosts: all
          timesync:
            servers: ["10.0.0.1"]
            allow: ["\(subnet)"]
        """
        do {
            _ = try parse(yaml)
            Issue.record("\(subnet) accepted")
        } catch {
            guard case .invalid(let at, let message) = error else { Issue.record("wrong error \(error)"); return }
            #expect(at == FileLocation(file: "test.yml", line: 4, column: 13))
            #expect(message.contains("'\(subnet)' is not a subnet"))
        }
    }

    @Test(arguments: ["10.88.0.0/24", "all", "192.168.1.7", "fd00::/8", "::1"])
    func goodSubnetsAreAccepted(subnet: String) throws {
        let book = try parse("""
        - hosts: all
          timesync:
            servers: ["10.0.0.1"]
            allow: ["\(subnet)"]
        """)
        #expect(book.plays[0].timesync?.allow.map(\.raw) == [subnet])
    }

    @Test func noSourceAndNoLocalStratumIsRefused() {
        do {
            _ = try parse("- hosts: all\n  timesync:\n    allow: [all]\n")
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("timesync needs at least one server or pool"))
        }
        #expect(throws: Never.self) { try parse("- hosts: all\n  timesync:\n    local_stratum: 8\n    allow: [all]\n") }
    }

    @Test func misspeltSourceOptionSuggestsTheRightOne() {
        #expect(throws: PlanError.unknownKey(FileLocation(file: "test.yml", line: 3, column: 15), key: "ibrust", context: "a time source", suggestion: "iburst")) {
            try parse("- hosts: all\n  timesync:\n    servers: [\"10.0.0.1 ibrust\"]\n")
        }
    }

    @Test func yamlSyntaxErrorHasAPosition() {
        do {
            _ = try parse("- hosts: all\n  timesync:\n    servers: [\"10.0.0.1\"\n  bad: [\n")
            Issue.record("accepted")
        } catch {
            guard case .yaml(let at, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(at.file == "test.yml")
            #expect(at.line >= 3)
        }
    }

    @Test func notifyingAnUnknownHandlerSuggestsTheNearest() {
        let yaml = """
        - hosts: all
          tasks:
            - file: {path: /etc/app.conf, content: "x=1\\n"}
              notify: restart ap
          handlers:
            - {name: restart app, unit: app.service}
        """
        do {
            _ = try parse(yaml)
            Issue.record("accepted")
        } catch {
            #expect(error.description == "test.yml:3:7: task notifies 'restart ap', which is not a handler of this play; did you mean 'restart app'?")
        }
    }

    @Test func modeMustBeQuotedOctal() {
        #expect(throws: PlanError.self) {
            try parse("- hosts: all\n  tasks:\n    - file: {path: /etc/x, content: y, mode: 644}\n")
        }
        #expect(throws: Never.self) {
            try parse("- hosts: all\n  tasks:\n    - file: {path: /etc/x, content: y, mode: \"0600\"}\n")
        }
    }

    @Test func aTaskHasExactlyOneResource() {
        do {
            _ = try parse("- hosts: all\n  tasks:\n    - name: two\n      package: chrony\n      file: {path: /etc/x, content: y}\n")
            Issue.record("accepted")
        } catch {
            #expect(error.description == "test.yml:3:7: a task has one resource, not 2 (package, file)")
        }
    }

    @Test func aPlaybookIsAListOfPlays() {
        #expect(throws: PlanError.badValue(FileLocation(file: "test.yml", line: 1, column: 1), key: "playbook", expected: "a list of plays (each starting with '- name:' or '- hosts:')", got: "a mapping")) {
            try parse("hosts: all\ntimesync: {servers: [\"10.0.0.1\"]}\n")
        }
    }
}

@Suite struct AnsibleHabitsTests {
    @Test func ansibleSerialPointsAtRollout() {
        #expect(throws: PlanError.unknownKey(FileLocation(file: "a.yml", line: 2, column: 3), key: "serial", context: "a play", suggestion: "rollout.serial")) {
            try Playbook.parse(yaml: "- hosts: all\n  serial: 1\n  timesync: {servers: [\"10.0.0.1\"]}\n", file: "a.yml")
        }
    }

    @Test func hostsMayBeAListOfPatterns() throws {
        let book = try Playbook.parse(yaml: "- hosts: [zone_a, zone_b]\n  timesync: {servers: [\"10.0.0.1\"]}\n", file: "a.yml")
        #expect(book.plays[0].hosts == "zone_a:zone_b")
        #expect(book.plays[0].name == "zone_a:zone_b")
    }

    @Test func aDirectoryWhereAFileShouldBeIsNotReplaced() throws {
        let play = try Playbook.parse(yaml: "- hosts: all\n  tasks:\n    - file: {path: /etc/app.conf, content: x}\n", file: "a.yml").plays[0]
        var facts = try Repo.facts("debian13-ntpsec")
        facts.files["/etc/app.conf"] = FileFact(path: "/etc/app.conf", state: .notRegular, mode: "755", owner: "root", group: "root", size: 4096)
        #expect(throws: PlanError.cannotPlan(FileLocation(file: "a.yml", line: 3, column: 7), host: "h", resource: "file[/etc/app.conf]", reason: "something other than a regular file is at that path (a directory?); Flotilla will not replace it")) {
            try Planner.plan(play, host: "h", vars: [:], facts: facts)
        }
    }
}

@Suite struct SyncGateTests {
    @Test func verifyIsAnotherNameForSyncGate() throws {
        let book = try Playbook.parse(yaml: "- hosts: all\n  verify: {tries: 5, interval: 2, max_correction: 0.01}\n  timesync: {servers: [\"10.0.0.1\"]}\n", file: "v.yml")
        #expect(book.plays[0].syncGate == SyncGate(tries: 5, interval: 2, maxCorrection: 0.01, maxSkew: 0))
        #expect(throws: PlanError.self) {
            try Playbook.parse(yaml: "- hosts: all\n  verify: {tries: 5}\n  sync_gate: {tries: 5}\n  timesync: {servers: [\"10.0.0.1\"]}\n", file: "v.yml")
        }
    }
}

@Suite struct DuplicateKeyTests {
    @Test func aKeyGivenTwiceIsAnError() {
        #expect(throws: PlanError.yaml(FileLocation(file: "d.yml", line: 1, column: 3), message: "duplicate keys: hosts")) {
            try Playbook.parse(yaml: "- hosts: all\n  timesync: {servers: [\"10.0.0.1\"]}\n  hosts: web\n", file: "d.yml")
        }
    }
}
