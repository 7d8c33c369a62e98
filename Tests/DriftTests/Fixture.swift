import Foundation
import Drift
import Facts

/// Real `chronyc -c` captures from Fixtures/chrony (see its README for how each was made).
enum Fixture {
    struct Missing: Error { var name: String }

    static func text(_ name: String, folder: String = "chrony") throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/" + folder) else {
            throw Missing(name: name)
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    static func tracking(_ state: String) throws -> ChronyTracking {
        try ChronyTracking.parse(text("\(state).tracking.csv"))
    }

    static func sources(_ state: String) throws -> [ChronySource] {
        try ChronySources.parse(text("\(state).sources.csv"))
    }

    /// What the sync-check script prints on a host in `state`, built from the captured chronyc output.
    static func checkOutput(_ state: String, now: String = "1795241641.416344311", resolve: [String] = []) throws -> String {
        var out = "@@flotilla:chrony 1\nnow=\(now)\nchronyc=/usr/bin/chronyc\n"
        out += "@@flotilla:section tracking\n" + (try text("\(state).tracking.csv")) + "\n@@flotilla:exit 0\n"
        out += "@@flotilla:section sources\n" + (try text("\(state).sources.csv")) + "\n@@flotilla:exit 0\n"
        out += "@@flotilla:section resolve\n" + resolve.map { $0 + "\n" }.joined()
        return out + "@@flotilla:end\n"
    }

    /// The state of a host captured in `state`.
    static func status(_ state: String, expected: [String] = [], resolve: [String] = [], host: String = "web01") throws -> ChronyStatus {
        try SyncCheck.interpret(stdout: checkOutput(state, resolve: resolve), host: host, expected: expected)
    }
}

extension Fixture {
    /// Facts of a host from Fixtures/facts (fact-script output).
    static func facts(_ name: String) throws -> HostFacts {
        guard let url = Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Fixtures/facts") else {
            throw Missing(name: name)
        }
        return try FactParser.parse(stdout: String(contentsOf: url, encoding: .utf8))
    }

    static let policy = try! AuditPolicy(maxOffset: 0.05, critical: 1)

    /// The audit of a host whose chrony is in `state` and whose facts are `facts`.
    static func audit(
        _ state: String?, facts: String? = "rhel9-chrony", expected: [String] = [], crossCheck: ClockCrossCheck? = nil,
        policy: AuditPolicy = Fixture.policy, host: String = "web01"
    ) throws -> HostAudit {
        let o = HostObservation(
            host: host, facts: try facts.map { try Fixture.facts($0) },
            chrony: try state.map { try Fixture.status($0, expected: expected, host: host) }, crossCheck: crossCheck)
        return HostAudit.assess(o, policy: policy)
    }
}
