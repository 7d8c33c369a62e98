import FlotillaCore
import Facts
import Plan
import Testing

@Suite struct TaskPlannerTests {
    func play(_ yaml: String) throws -> Play {
        try Playbook.parse(yaml: yaml, file: "tasks.yml").plays[0]
    }

    /// Plans like the CLI does: facts gathered for the play's request, then the plan.
    func plan(_ yaml: String, host: String = "h", vars: [String: String] = [:], facts: HostFacts? = nil) throws -> HostPlan {
        let p = try play(yaml)
        let base = try facts ?? vmFacts()
        return try Planner.plan(p, host: host, vars: vars, facts: gathered(base, for: try p.factRequest(vars: vars, host: host)))
    }

    func vmFacts() throws -> HostFacts {
        var facts = try Repo.facts("debian13-ntpsec")
        facts.files["/etc/app.conf"] = FileFact(path: "/etc/app.conf", state: .present, content: Array("a=1\nport=80\nz=9\n".utf8), mode: "644", owner: "root", group: "root")
        return facts
    }

    @Test func serviceOfAPackageInstalledEarlierIsPlannedAfterTheInstall() throws {
        let p = try plan("""
        - hosts: web
          tasks:
            - package: nginx
            - service: {name: nginx.service, enabled: true, state: running}
        """, host: "web1", vars: [:], facts: try vmFacts())
        #expect(p.resources == ["+ package[nginx]", "+ unit[nginx.service]"])
        let unit = try #require(p.change("unit[nginx.service]"))
        #expect(unit.reason.hasPrefix("after nginx is installed (systemd does not know nginx.service yet): "))
        #expect(unit.steps == [.systemctl(verb: .enable, unit: "nginx.service"), .systemctl(verb: .start, unit: "nginx.service")])
    }

    @Test func unitThatNothingProvidesCannotBePlanned() throws {
        #expect(throws: PlanError.cannotPlan(FileLocation(file: "tasks.yml", line: 3, column: 7), host: "web1", resource: "unit[nginx.service]", reason: "systemd has no unit nginx.service on this host and nothing before it in the play installs it")) {
            try plan("""
            - hosts: web
              tasks:
                - service: {name: nginx.service, state: running}
            """, host: "web1", vars: [:], facts: try vmFacts())
        }
    }

    @Test func maskingAMissingUnitIsFine() throws {
        let p = try plan("""
        - hosts: all
          tasks:
            - unit: {name: openntpd.service, masked: true}
        """, host: "h", vars: [:], facts: try vmFacts())
        #expect(p.changes.map(\.steps) == [[.systemctl(verb: .mask, unit: "openntpd.service")]])
    }

    @Test func lineIsReplacedWhereTheRegexpMatchesAndHandlerRunsOnce() throws {
        let p = try plan("""
        - hosts: all
          tasks:
            - line: {path: /etc/app.conf, regexp: "^port=", line: "port=8080"}
              notify: restart app
            - line: {path: /etc/app.conf, line: "debug=1", insert_before: "^z="}
              notify: restart app
          handlers:
            - {name: restart app, unit: ntpsec.service}
        """, host: "h", vars: [:], facts: try vmFacts())
        #expect(p.resources == ["~ file[/etc/app.conf]", "~ file[/etc/app.conf]", "~ unit[ntpsec.service]"])
        #expect(p.written("/etc/app.conf") == "a=1\nport=8080\ndebug=1\nz=9\n")
        #expect(p.changes[0].diff == "--- /etc/app.conf\n+++ /etc/app.conf\n@@ -1,3 +1,3 @@\n a=1\n-port=80\n+port=8080\n z=9\n")
        #expect(p.changes.last?.steps == [.systemctl(verb: .restart, unit: "ntpsec.service")])
        #expect(p.changes.last?.reason == "config changed: file[/etc/app.conf]; restart once so that the new configuration is used")
    }

    /// lineinfile's regexp is Python's re.search: it matches anywhere in the line unless `^` anchors it.
    @Test func lineRegexpSearchesAnywhereInTheLine() throws {
        let p = try plan("- hosts: all\n  tasks:\n    - line: {path: /etc/app.conf, regexp: \"=8\", line: \"port=8080\"}\n")
        #expect(p.written("/etc/app.conf") == "a=1\nport=8080\nz=9\n")
        let anchored = try plan("- hosts: all\n  tasks:\n    - line: {path: /etc/app.conf, regexp: \"^=8\", line: \"port=8080\"}\n")
        #expect(anchored.written("/etc/app.conf") == "a=1\nport=80\nz=9\nport=8080\n")
        let removed = try plan("- hosts: all\n  tasks:\n    - line: {path: /etc/app.conf, regexp: \"\\\\d$\", state: absent}\n")
        #expect(removed.written("/etc/app.conf") == "")
    }

    /// A regexp that backtracks without end on this host's file is an error for this host, naming the task's
    /// file:line and the pattern, not a hang.
    @Test func lineRegexpThatBacktracksWithoutEndIsAnErrorForTheHost() throws {
        var facts = try vmFacts()
        facts.files["/etc/app.conf"] = FileFact(path: "/etc/app.conf", state: .present, content: Array((String(repeating: "a", count: 40) + "b\n").utf8), mode: "644", owner: "root", group: "root")
        let reason = "the regular expression '(a+)+$' needs more than 1000000 backtracking steps to match a 41-byte text"
            + " (nested quantifiers backtrack without end; simplify the pattern)"
        for task in ["{path: /etc/app.conf, regexp: \"(a+)+$\", line: x}", "{path: /etc/app.conf, regexp: \"(a+)+$\", state: absent}",
                     "{path: /etc/app.conf, line: x, insert_after: \"(a+)+$\"}", "{path: /etc/app.conf, line: x, insert_before: \"(a+)+$\"}"] {
            #expect(throws: PlanError.cannotPlan(FileLocation(file: "tasks.yml", line: 3, column: 7), host: "h", resource: "file[/etc/app.conf]", reason: reason)) {
                try plan("- hosts: all\n  tasks:\n    - line: \(task)\n", facts: facts)
            }
        }
    }

    @Test func badLineRegexpIsRefusedAtItsFileAndLine() throws {
        #expect(throws: PlanError.badValue(FileLocation(file: "tasks.yml", line: 3, column: 43), key: "regexp", expected: "a regular expression",
                                           got: "\"port(\" (bad regular expression 'port(': missing closing parenthesis at offset 5)")) {
            try play("- hosts: all\n  tasks:\n    - line: {path: /etc/app.conf, regexp: \"port(\", line: x}\n")
        }
    }

    @Test func lineAlreadyThereChangesNothing() throws {
        let p = try plan("""
        - hosts: all
          tasks:
            - line: {path: /etc/app.conf, regexp: "^port=", line: "port=80"}
              notify: restart app
          handlers:
            - {name: restart app, unit: ntpsec.service}
        """, host: "h", vars: [:], facts: try vmFacts())
        #expect(p.isConverged)
        #expect(p.summary == "converged: all 1 tasks are as the playbook says")
    }

    @Test func lineAbsentRemovesMatchesAndMissingFileNeedsCreate() throws {
        let p = try plan("""
        - hosts: all
          tasks:
            - line: {path: /etc/app.conf, regexp: "^a=", state: absent}
        """, host: "h", vars: [:], facts: try vmFacts())
        #expect(p.written("/etc/app.conf") == "port=80\nz=9\n")
        #expect(throws: PlanError.self) {
            try plan("- hosts: all\n  tasks:\n    - line: {path: /etc/none.conf, line: x}\n", host: "h", vars: [:], facts: try vmFacts())
        }
        let created = try plan("- hosts: all\n  tasks:\n    - line: {path: /etc/none.conf, line: x, create: true}\n", host: "h", vars: [:], facts: try vmFacts())
        #expect(created.written("/etc/none.conf") == "x\n")
        #expect(created.steps.first == .makeDirectory(path: "/etc", mode: "0755"))
        #expect(created.changes.first?.action == .create)
    }

    @Test func fileWithVariablesModeAndOwner() throws {
        let p = try plan("""
        - hosts: all
          vars:
            greeting: "hello {{ inventory_hostname }}"
          tasks:
            - file: {path: "/etc/motd.d/{{ site }}", content: "{{ greeting }}\\n", mode: "0640", group: adm}
        """, host: "h1", vars: ["site": "eu"], facts: try vmFacts())
        let change = try #require(p.changes.first)
        #expect(change.resource == "file[/etc/motd.d/eu]")
        #expect(change.steps == [
            .makeDirectory(path: "/etc/motd.d", mode: "0755"),
            .writeFile(path: "/etc/motd.d/eu", content: "hello h1\n", mode: "0640", owner: "root", group: "adm", backup: false),
        ])
    }

    @Test func onlyModeDiffersIsAChmodNotARewrite() throws {
        let p = try plan("- hosts: all\n  tasks:\n    - file: {path: /etc/app.conf, content: \"a=1\\nport=80\\nz=9\\n\", mode: \"0600\"}\n",
                                 host: "h", vars: [:], facts: try vmFacts())
        #expect(p.changes.first?.steps == [.exec(argv: ["chmod", "0600", "--", "/etc/app.conf"], timeoutSeconds: 30), .exec(argv: ["chown", "root:root", "--", "/etc/app.conf"], timeoutSeconds: 30)])
        #expect(p.changes.first?.diff == nil)
    }

    @Test func packageStatesOnRpmHosts() throws {
        let facts = try Repo.facts("rhel9-chrony")
        let p = try plan("""
        - hosts: all
          tasks:
            - package: {name: [chrony, ntp], state: absent}
        """, host: "r", vars: [:], facts: facts)
        #expect(p.resources == ["- package[chrony]"])
        #expect(p.changes[0].steps == [Step.dnf(["remove", "--", "chrony"])])
    }

    @Test func dropInForARunningServiceRestartsIt() throws {
        let p = try plan("""
        - hosts: all
          tasks:
            - service:
                name: ntpsec.service
                state: running
                dropins:
                  limits: "[Service]\\nLimitNOFILE=4096"
        """, host: "h", vars: [:], facts: try vmFacts())
        #expect(p.resources == ["+ file[/etc/systemd/system/ntpsec.service.d/limits.conf]", "~ unit[ntpsec.service]"])
        #expect(p.changes[0].steps.last == .systemctl(verb: .daemonReload, unit: nil))
        #expect(p.changes[1].steps == [.systemctl(verb: .restart, unit: "ntpsec.service")])
    }
}
