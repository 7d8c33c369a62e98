public import Plan

/// Command-line overrides of a play's rollout: `--serial 1,10%,50%,100%` and `--max-failures N|P%`.
public struct RolloutOverride: Sendable, Hashable, Codable {
    public var serial: [Rollout.Size]?
    public var maxFailures: Rollout.Budget?

    public init(serial: [Rollout.Size]? = nil, maxFailures: Rollout.Budget? = nil) {
        self.serial = serial
        self.maxFailures = maxFailures
    }

    /// The play's rollout with these overrides applied (group limits always come from the playbook).
    public func applied(to rollout: Rollout) -> Rollout {
        var out = rollout
        if let serial { out.serial = serial }
        if let maxFailures { out.maxFailures = maxFailures }
        return out
    }

    /// Reads `1,10%,50%,100%`: numbers of hosts (at least 1) and percentages (1 to 100).
    public static func parseSerial(_ text: String) throws(EngineError) -> [Rollout.Size] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: " ") }
        var out: [Rollout.Size] = []
        for part in parts {
            if part.hasSuffix("%"), let p = Int(part.dropLast()), (1...100).contains(p) {
                out.append(.percent(p))
            } else if let n = Int(part), n >= 1 {
                out.append(.count(n))
            } else {
                throw .badRolloutSetting(
                    option: "--serial", value: text,
                    expected: "batch sizes separated by commas, each a number of hosts (1 or more) or a percentage (1% to 100%), such as 1,10%,50%,100%")
            }
        }
        return out
    }

    /// Reads `N` (hosts, 0 or more) or `P%` (0% to 100%).
    public static func parseBudget(_ text: String) throws(EngineError) -> Rollout.Budget {
        let t = text.trimmingCharacters(in: " ")
        if t.hasSuffix("%"), let p = Int(t.dropLast()), (0...100).contains(p) { return .percent(p) }
        if let n = Int(t), n >= 0 { return .count(n) }
        throw .badRolloutSetting(option: "--max-failures", value: text, expected: "a number of hosts (0 or more) or a percentage (0% to 100%), such as 1 or 10%")
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
