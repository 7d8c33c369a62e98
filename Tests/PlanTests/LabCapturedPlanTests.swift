import Facts
import Plan
import Testing

/// Plans from fact-script output captured on real lab hosts (`flotilla facts --save-raw`), not composed.
@Suite struct LabCapturedPlanTests {
    private func plan(_ fixture: String) throws -> HostPlan {
        let playbook = try Repo.playbook("chrony.yml")
        return try Planner.plan(playbook.plays[0], host: "node", vars: labVars, facts: try Repo.facts(fixture))
    }

    /// Captured before the guard covered systemd-timesyncd: the only change is the guard's new pin, and once it
    /// is written the host plans nothing.
    @Test func aHostConvergedByAnEarlierApplyOnlyGetsTheTimesyncdPin() throws {
        let plan = try plan("lab-debian12-converged")
        #expect(plan.resources == ["~ file[/etc/apt/preferences.d/flotilla-timesync]"])
        let guardChange = try #require(plan.changes.first)
        #expect(guardChange.diff?.contains("\n+Package: systemd-timesyncd\n+Pin: version *\n+Pin-Priority: -1\n") == true)
        #expect(!(guardChange.diff ?? "").contains("\n-Package:"))
        var facts = try Repo.facts("lab-debian12-converged")
        let path = "/etc/apt/preferences.d/flotilla-timesync"
        facts.files[path] = FileFact(path: path, state: .present, content: Array(try #require(plan.written(path)).utf8), mode: "644", owner: "root", group: "root")
        let again = try Planner.plan(try Repo.playbook("chrony.yml").plays[0], host: "node", vars: labVars, facts: facts)
        #expect(again.isConverged, "\(again.resources)")
    }

    @Test func timesyncdHostGetsChronyInTheTransactionThatRemovesTimesyncdThenMasksIt() throws {
        let plan = try plan("lab-debian12-timesyncd")
        #expect(plan.resources.first == "+ package[chrony]")
        let install = try #require(plan.change("package[chrony]"))
        guard let fetch = install.steps.first?.argv, let transaction = install.steps.last?.argv else {
            Issue.record("\(install.steps)")
            return
        }
        #expect(fetch.suffix(4) == ["install", "--download-only", "--", "chrony"])
        #expect(transaction.suffix(4) == ["install", "--", "chrony", "systemd-timesyncd-"])
        // Masked only after chrony was started.
        let start = try #require(plan.resources.firstIndex(of: "~ unit[chrony.service]"))
        let mask = try #require(plan.resources.firstIndex(of: "+ unit[systemd-timesyncd.service]"))
        #expect(start < mask)
    }

    @Test func maskedChronyIsUnmaskedNotReinstalled() throws {
        let plan = try plan("lab-debian12-chrony-masked")
        #expect(!plan.resources.contains("+ package[chrony]"))
        #expect(plan.change("unit[chrony.service]") != nil, "\(plan.resources)")
    }

    @Test func deadChronyInAContainerGetsTheDropInAndMinusX() throws {
        let plan = try plan("lab-debian12-chrony-dead")
        #expect(plan.resources.contains("+ file[/etc/systemd/system/chrony.service.d/flotilla-no-cap-sys-time.conf]"))
        #expect(plan.written("/etc/default/chrony")?.contains("-x") == true)
        #expect(!plan.resources.contains("+ package[chrony]"))
    }
}
