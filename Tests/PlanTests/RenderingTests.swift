import Facts
import Foundation
import Plan
import Testing

@Suite struct RenderingTests {
    func fleet() throws -> [HostPlan] {
        let play = try Repo.playbook("chrony.yml").plays[0]
        let ntp = try Repo.facts("debian12-ntp")
        var plans = try (1...3).map { i in try Planner.plan(play, host: "lab-0\(i)", vars: [:], facts: ntp) }
        let first = plans[0]
        let converged = convergedFacts(ntp, after: first, chronyUnit: "chrony.service", removed: ["ntp", "ntpsec", "openntpd"])
        plans.append(try Planner.plan(play, host: "lab-04", vars: [:], facts: converged))
        plans.append(try Planner.plan(play, host: "rhel-1", vars: [:], facts: try Repo.facts("rhel9-chrony")))
        return plans
    }

    @Test func identicalHostsAreFoldedAndTheSummaryCountsEverything() throws {
        let text = PlanRenderer.text(try fleet())
        #expect(text.hasPrefix("Play \"chrony on every host (AWS Time Sync)\" (5 hosts)\n\n3 hosts: the same 9 changes\n  lab-[01:03]\n"))
        #expect(text.contains("\nlab-04: converged: ntp, ntpsec and openntpd absent, systemd-timesyncd masked, chrony installed, enabled and running with the playbook's configuration; container (systemd-nspawn) without CAP_SYS_TIME: chronyd runs with -x and never sets the clock\n"))
        #expect(text.contains("\nrhel-1: 4 changes\n"))
        #expect(text.contains("\n  - package[ntpsec]  installed 1.2.2+dfsg1-1+deb12u1 → purged\n      competing time daemon; apt removed it in chrony's transaction"))
        #expect(text.contains("\n        +server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4\n"))
        #expect(text.hasSuffix("\nPlan: 5 hosts, 4 to change (31 changes: 19 to add, 6 to change, 6 to destroy), 1 converged\n"))
        #expect(!text.contains("\u{1B}["))
    }

    @Test func colourIsOptIn() throws {
        let text = PlanRenderer.text(try fleet(), colour: true)
        #expect(text.contains("\u{1B}[31m-\u{1B}[0m package[ntp]"))
        #expect(text.contains("\u{1B}[32m+server 169.254.169.123"))
    }

    @Test func allConvergedSaysSo() {
        let plans = [HostPlan(host: "a", play: "p", changes: [], summary: "converged: fine", factsDigest: "d")]
        #expect(PlanSummary(plans).description == "Plan: 1 host, all converged: nothing to change")
        #expect(!PlanSummary(plans).hasChanges)
    }

    @Test func jsonIsStableAndDecodable() throws {
        let plans = try fleet()
        let json = PlanRenderer.json(plans)
        #expect(json == PlanRenderer.json(plans))
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["formatVersion"] as? Int == 2)
        let summary = object?["summary"] as? [String: Any]
        #expect(summary?["changes"] as? Int == 31)
        #expect(summary?["converged"] as? Int == 1)
        let first = (object?["plans"] as? [[String: Any]])?.first
        #expect(first?["host"] as? String == "lab-01")
        let change = (first?["changes"] as? [[String: Any]])?.first
        #expect(change?["action"] as? String == "create")
        #expect(change?["resource"] as? String == "package[chrony]")
        let call = ((change?["steps"] as? [[String: Any]])?.first?["package"] as? [String: Any])?["call"] as? [String: Any]
        #expect(call?["timeoutSeconds"] as? Int == 600)
        #expect(call?["manager"] as? String == "apt")
        #expect(call?["lockWaitSeconds"] as? Int == 120)
    }

    @Test func hostListsCompactNumberedRuns() {
        #expect(HostList.compact(["web01", "web02", "web03", "web04", "db1", "db2", "x"]) == "web[01:04], db1, db2, x")
        #expect(HostList.compact(["n8", "n9", "n10"]) == "n8, n9, n10")
        #expect(HostList.compact(["a-1.lab", "a-2.lab", "a-3.lab"]) == "a-[1:3].lab")
    }

    /// Host names are the inventory's: a number at Int.max ends a run instead of overflowing (it trapped).
    @Test func hostListsNearIntMaxNeverOverflow() {
        #expect(HostList.compact(["n9223372036854775806", "n9223372036854775807", "n9223372036854775808"])
            == "n9223372036854775806, n9223372036854775807, n9223372036854775808")
        #expect(HostList.compact(["n9223372036854775805", "n9223372036854775806", "n9223372036854775807"])
            == "n[9223372036854775805:9223372036854775807]")
        #expect(HostList.compact(["n99999999999999999999", "n99999999999999999999"]) == "n99999999999999999999, n99999999999999999999")
    }

    @Test func planFileRoundTripsAndFindsStaleHosts() throws {
        let book = try Repo.playbook("chrony.yml")
        let plans = try fleet()
        let file = PlanFile(playbook: book, inventoryDigest: "sha256:inv", plans: plans, createdAt: Date(timeIntervalSince1970: 1_800_000_000))
        let back = try PlanFile.decode(file.encoded(), file: "plan.json")
        #expect(back == file)
        var current = file.factsDigests
        #expect(file.staleHosts(current: current) == [])
        current["lab-02"] = "sha256:other"
        current["rhel-1"] = nil
        #expect(file.staleHosts(current: current) == ["lab-02", "rhel-1"])
        #expect(throws: PlanError.self) { try PlanFile.decode(Data("{}".utf8), file: "plan.json") }
    }
}

@Suite struct LineDiffTests {
    @Test func hunksKeepThreeLinesOfContext() {
        let old = (1...20).map { "line \($0)" }.joined(separator: "\n") + "\n"
        var lines = (1...20).map { "line \($0)" }
        lines[1] = "changed 2"
        lines[17] = "changed 18"
        let new = lines.joined(separator: "\n") + "\n"
        let diff = LineDiff.unified(old: old, new: new, oldLabel: "a", newLabel: "b")
        #expect(diff == """
        --- a
        +++ b
        @@ -1,5 +1,5 @@
         line 1
        -line 2
        +changed 2
         line 3
         line 4
         line 5
        @@ -15,6 +15,6 @@
         line 15
         line 16
         line 17
        -line 18
        +changed 18
         line 19
         line 20

        """)
    }

    @Test func equalTextsHaveNoDiff() {
        #expect(LineDiff.unified(old: "a\n", new: "a\n", oldLabel: "x", newLabel: "x") == nil)
    }

    @Test func newFileIsAllAdditions() {
        #expect(LineDiff.unified(old: "", new: "a\nb\n", oldLabel: "/dev/null", newLabel: "f") == "--- /dev/null\n+++ f\n@@ -0,0 +1,2 @@\n+a\n+b\n")
    }

    @Test func missingFinalNewlineIsShown() {
        let diff = LineDiff.unified(old: "a\nb", new: "a\nb\n", oldLabel: "f", newLabel: "f")
        #expect(diff == "--- f\n+++ f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n")
    }
}

@Suite struct FleetScaleTests {
    /// A thousand hosts from three starting states fold into three groups (no timing here: see the report).
    @Test func thousandHostsFoldIntoTheirStartingStates() throws {
        let play = try Repo.playbook("chrony.yml").plays[0]
        let states = try ["debian12-ntp", "debian12-timesyncd", "rhel9-chrony"].map(Repo.facts)
        var plans: [HostPlan] = []
        for i in 0..<1000 {
            plans.append(try Planner.plan(play, host: String(format: "node%04d", i), vars: [:], facts: states[i % 3]))
        }
        let text = PlanRenderer.text(plans)
        #expect(text.contains("\n334 hosts: the same 9 changes\n"))
        #expect(text.contains("\n333 hosts: the same 7 changes\n"))
        #expect(text.contains("\n333 hosts: the same 4 changes\n"))
        #expect(text.hasSuffix("Plan: 1000 hosts, 1000 to change (6669 changes: 4335 to add, 1666 to change, 668 to destroy), 0 converged\n"))
    }

    @Test func rolloutBatchesAndBudget() throws {
        let rollout = try Repo.playbook("chrony.yml").plays[0].rollout
        #expect(rollout.batches(of: 1) == [1])
        #expect(rollout.batches(of: 37) == [1, 12, 24])
        #expect(Rollout(serial: [.count(2)]).batches(of: 5) == [2, 2, 1])
        #expect(Rollout().batches(of: 8) == [8])
        #expect(Rollout.Budget.percent(10).allowed(of: 37) == 3)
        #expect(Rollout.Budget.percent(0).allowed(of: 37) == 0)
        #expect(rollout.maxFailures?.allowed(of: 37) == 1)
    }
}

@Suite struct FailureRenderingTests {
    @Test func hostsThatCouldNotBePlannedAreListedAndCounted() throws {
        let play = try Repo.playbook("chrony.yml").plays[0]
        let ok = try Planner.plan(play, host: "a1", vars: [:], facts: try Repo.facts("rhel9-chrony"))
        var failures: [HostFailure] = []
        let docker = try Repo.facts("debian12-real-docker")
        do {
            _ = try Planner.plan(play, host: "d1", vars: [:], facts: docker)
        } catch {
            failures.append(HostFailure(host: "d1", play: play.name, message: error.description))
        }
        failures.append(HostFailure(host: "x9", message: "unreachable: connection refused"))
        let text = PlanRenderer.text([ok], failures: failures)
        #expect(text.contains("\nCould not plan 2 hosts\n  ! d1 (chrony on every host (AWS Time Sync)): d1: systemd is not running on this host; Flotilla manages time daemons through systemd\n  ! x9: unreachable: connection refused\n"))
        #expect(text.hasSuffix("Plan: 3 hosts, 1 to change (4 changes: 1 to add, 3 to change, 0 to destroy), 0 converged, 2 could not be planned\n"))
        let json = PlanRenderer.json([ok], failures: failures)
        #expect(json.contains("\"failed\" : 2"))
        #expect(json.contains("\"message\" : \"unreachable: connection refused\""))
    }
}

@Suite struct LineDiffPropertyTests {
    /// Applies a unified diff to `old`; nil when a context or removed line does not match.
    static func apply(_ diff: String, to old: [String]) -> [String]? {
        var lines = diff.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard lines.count >= 2 else { return nil }
        lines.removeFirst(2)
        var out: [String] = []
        var cursor = 0
        var i = 0
        while i < lines.count {
            let header = lines[i]
            guard header.hasPrefix("@@ -") else { return nil }
            let oldPart = header.dropFirst(4).prefix { $0 != " " }
            let start = Int(oldPart.split(separator: ",")[0])!
            let count = oldPart.contains(",") ? Int(oldPart.split(separator: ",")[1])! : 1
            let from = count == 0 ? start : start - 1
            guard from >= cursor else { return nil }
            out += old[cursor..<from]
            cursor = from
            i += 1
            while i < lines.count, !lines[i].hasPrefix("@@") {
                let l = lines[i]
                let body = String(l.dropFirst())
                switch l.first {
                case " ": guard cursor < old.count, old[cursor] == body else { return nil }; out.append(body); cursor += 1
                case "-": guard cursor < old.count, old[cursor] == body else { return nil }; cursor += 1
                case "+": out.append(body)
                default: return nil
                }
                i += 1
            }
        }
        out += old[cursor...]
        return out
    }

    @Test func diffsOfRandomEditsApplyBackExactly() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
            return Int(seed % UInt64(n))
        }
        for _ in 0..<300 {
            let old = (0..<next(40)).map { _ in "l\(next(8))" }
            var new = old
            for _ in 0..<next(8) {
                switch next(3) {
                case 0 where !new.isEmpty: new.remove(at: next(new.count))
                case 1: new.insert("n\(next(8))", at: next(new.count + 1))
                default: if !new.isEmpty { new[next(new.count)] = "c\(next(8))" }
                }
            }
            let text = { (l: [String]) in l.isEmpty ? "" : l.joined(separator: "\n") + "\n" }
            guard let diff = LineDiff.unified(old: text(old), new: text(new), oldLabel: "a", newLabel: "b") else {
                #expect(old == new)
                continue
            }
            #expect(Self.apply(diff, to: old) == new, "\(old) -> \(new)\n\(diff)")
        }
    }
}

@Suite struct FleetPlannerTests {
    @Test func fleetOfBothRolesWithAnUnreachableHostAndABadHost() throws {
        let book = try Repo.playbook("chrony-master.yml")
        var bad = labVars
        bad["timemaster_address"] = nil
        let outcome = FleetPlanner.plan(book, hosts: [
            .init(name: "lab-01", vars: labVars, plays: [0], facts: .success(try Repo.facts("debian12-ntp"))),
            .init(name: "lab-02", vars: labVars, plays: [1], facts: .success(try Repo.facts("debian12-timesyncd"))),
            .init(name: "lab-03", vars: bad, plays: [1], facts: .success(try Repo.facts("debian12-timesyncd"))),
            .init(name: "lab-04", vars: labVars, plays: [1], facts: .failure(HostFailure(host: "lab-04", message: "unreachable: no route to host"))),
        ])
        #expect(outcome.plans.map(\.host) == ["lab-01", "lab-02"])
        #expect(outcome.plans.map(\.play) == ["time master", "clients of the time master"])
        #expect(outcome.failures.map(\.host) == ["lab-03", "lab-04"])
        #expect(outcome.failures[0].message.hasSuffix("host lab-03 has no variable 'timemaster_address'"))
        #expect(outcome.summary.description == "Plan: 4 hosts, 2 to change (16 changes: 12 to add, 2 to change, 2 to destroy), 0 converged, 2 could not be planned")
    }
}
