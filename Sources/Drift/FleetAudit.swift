public import FlotillaCore
import Foundation

/// Audits a fleet: one connection per host (facts, chrony check and cross-check all over it), all hosts in
/// parallel through `Fleet.run`; an unreachable or failing host is data in the report.
public enum FleetAudit {
    /// One host to audit and what it should follow.
    public struct Target: Sendable {
        public var connection: ConnectionTarget
        public var expectedSources: [String]
        /// What the playbook expects of competing daemons on this host; nil: the policy's.
        public var daemons: TimeDaemons.Expectations?
        public init(connection: ConnectionTarget, expectedSources: [String] = [], daemons: TimeDaemons.Expectations? = nil) {
            self.connection = connection
            self.expectedSources = expectedSources
            self.daemons = daemons
        }

        func policy(_ base: AuditPolicy) -> AuditPolicy {
            var p = base
            if let daemons { p.daemons = daemons }
            return p
        }
    }

    public static func run(
        _ targets: [Target], transport: any Transport, forks: Int, policy: AuditPolicy, samples: Int = 5,
        timeout: Duration = .seconds(30), finished: (@Sendable (_ host: String, _ audit: HostAudit) -> Void)? = nil
    ) async -> AuditReport {
        let startedAt = Date().timeIntervalSince1970
        let clock = ContinuousClock()
        let start = clock.now
        let expected = Dictionary(targets.map { ($0.connection.name, $0.expectedSources) }, uniquingKeysWith: { a, _ in a })
        let results = await Fleet.run(targets.map(\.connection), transport: transport, forks: forks, finished: { index, result in
            guard let finished else { return }
            let name = targets[index].connection.name
            finished(name, HostAudit.assess(observation(name, result), policy: targets[index].policy(policy)))
        }) { connection in
            let name = connection.target.name
            let probe = HostProbe(expectedSources: expected[name] ?? [], become: connection.target.become, samples: samples, timeout: timeout)
            return try await probe.observe(connection)
        }
        let audits = zip(targets, results).map { target, result in
            HostAudit.assess(observation(target.connection.name, result), policy: target.policy(policy))
        }
        return AuditReport(startedAt: startedAt, duration: (clock.now - start).seconds, policy: policy, hosts: audits)
    }

    static func observation(_ name: String, _ result: HostResult<HostObservation>) -> HostObservation {
        switch result {
        case .success(let o): o
        case .unreachable(let error): HostObservation(host: name, unreachable: "\(error)")
        case .failed(let error): HostObservation(host: name, factsError: nil, chronyError: "connection failed during the audit: \(error)")
        }
    }
}
