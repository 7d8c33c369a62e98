// Planning 1000 hosts from fixture facts (issue 4's benchmark): the pure planner's cost, no network.
//   swift run -c release plan-benchmark [HOSTS]
import Facts
import Foundation
import Plan

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let count = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 1000
let fixtures = ["debian12-ntp", "debian12-timesyncd", "lab-debian12-chrony-masked", "lab-debian12-chrony-dead", "lab-debian12-converged"]
let facts = try fixtures.map { name in
    try FactParser.parse(stdout: String(contentsOf: root.appendingPathComponent("Tests/FactsTests/Fixtures/\(name).txt"), encoding: .utf8))
}
let playbook = try Playbook.load(path: root.appendingPathComponent("Playbooks/chrony.yml").path)
let vars = ["vpc_subnet": "10.88.0.0/24", "timemaster_address": "10.88.0.11", "time_upstream": "169.254.169.123"]
let hosts = (0..<count).map { i in
    FleetPlanner.Host(name: String(format: "node%04d", i), vars: vars, plays: [0], facts: .success(facts[i % facts.count]))
}
var best = Double.infinity
var outcome: FleetPlanner.Outcome?
for _ in 0..<5 {
    let start = ContinuousClock.now
    outcome = FleetPlanner.plan(playbook, hosts: hosts)
    let elapsed = start.duration(to: .now)
    best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}
let text = PlanRenderer.text(outcome!.plans, failures: outcome!.failures)
print("planned \(count) hosts: best of 5 runs \(String(format: "%.3f", best)) s (\(String(format: "%.1f", best / Double(count) * 1e6)) µs per host); \(outcome!.summary)")
print("rendered \(text.split(separator: "\n").count) lines")

// Saving the plan (`plan --out FILE`): the file with a digest per fact of each host (so that a refusal names
// what changed), against the same file without them.
let byName = Dictionary(uniqueKeysWithValues: hosts.compactMap { h in (try? h.facts.get()).map { (h.name, $0) } })
func bestSave(_ playbook: Playbook, _ plans: [HostPlan], facts: [String: HostFacts]) -> (seconds: Double, bytes: Int) {
    var best = Double.infinity
    var bytes = 0
    for _ in 0..<5 {
        let start = ContinuousClock.now
        bytes = PlanFile(playbook: playbook, inventoryDigest: "benchmark", plans: plans, facts: facts).encoded().count
        let elapsed = start.duration(to: .now)
        best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
    return (best, bytes)
}
let with = bestSave(playbook, outcome!.plans, facts: byName)
let without = bestSave(playbook, outcome!.plans, facts: [:])
print(
    "saved the plan of \(count) hosts: best of 5 runs \(String(format: "%.3f", with.seconds)) s, \(with.bytes) bytes with per-fact digests; "
        + "\(String(format: "%.3f", without.seconds)) s, \(without.bytes) bytes without")
