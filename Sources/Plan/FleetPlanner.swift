public import Facts

/// Plans a whole fleet for a playbook: every host through the plays it is in, failures kept as data.
/// Pure, like `Planner`: facts in (already gathered), plans out.
public enum FleetPlanner {
    /// One host: its name, its inventory variables, the plays it is in (indexes into the playbook's plays,
    /// in order), and its facts or why there are none (unreachable, unreadable output).
    public struct Host: Sendable {
        public var name: String
        public var vars: [String: String]
        public var plays: [Int]
        public var facts: Result<HostFacts, HostFailure>

        public init(name: String, vars: [String: String], plays: [Int], facts: Result<HostFacts, HostFailure>) {
            self.name = name
            self.vars = vars
            self.plays = plays
            self.facts = facts
        }
    }

    public struct Outcome: Sendable {
        /// Plans in playbook order (play by play), hosts in the order given within each play.
        public var plans: [HostPlan]
        public var failures: [HostFailure]
        public var summary: PlanSummary { PlanSummary(plans, failures: failures) }
    }

    public static func plan(_ playbook: Playbook, hosts: [Host]) -> Outcome {
        var byPlay: [[HostPlan]] = Array(repeating: [], count: playbook.plays.count)
        var failures: [HostFailure] = []
        for host in hosts {
            let facts: HostFacts
            switch host.facts {
            case .success(let f): facts = f
            case .failure(let failure): failures.append(failure); continue
            }
            let digest = facts.digest
            for index in host.plays where playbook.plays.indices.contains(index) {
                let play = playbook.plays[index]
                do {
                    byPlay[index].append(try Planner.plan(play, host: host.name, vars: host.vars, facts: facts, factsDigest: digest))
                } catch {
                    failures.append(HostFailure(host: host.name, play: play.name, message: error.description))
                    break
                }
            }
        }
        // A host that failed in one play is not half-planned: its plans for other plays go too.
        let failed = Set(failures.map(\.host))
        let plans = byPlay.flatMap { $0 }.filter { !failed.contains($0.host) }
        return Outcome(plans: plans, failures: failures)
    }
}

extension HostFailure: Error {}
