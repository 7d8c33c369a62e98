/// Which starting state each host gets: `ntp:3,timesyncd:2` (counts, in order, the rest cycling again) or
/// `ntp,chrony-dead` (names cycled over the hosts). The default cycles all four states.
public struct MixSpec: Sendable, Hashable {
    public enum Entry: Sendable, Hashable {
        case count(StartingState, Int)
        case cycle(StartingState)
    }

    public var entries: [Entry]

    public static let standard = MixSpec(entries: StartingState.allCases.map { .cycle($0) })

    public init(entries: [Entry]) { self.entries = entries }

    /// Parses a `--mix` specification. Either every item has a count or none has.
    public init(parsing spec: String) throws {
        let items = spec.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: " ") }
        guard !items.isEmpty, !(items.count == 1 && items[0].isEmpty) else {
            throw LabError.badMix(spec: spec, item: "", reason: "empty specification")
        }
        var entries: [Entry] = []
        for item in items {
            if item.isEmpty { throw LabError.badMix(spec: spec, item: item, reason: "empty item") }
            let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 2 else {
                throw LabError.badMix(spec: spec, item: item, reason: "expected STATE or STATE:COUNT")
            }
            guard let state = StartingState(rawValue: parts[0]) else {
                let known = StartingState.allCases.map(\.rawValue).joined(separator: ", ")
                throw LabError.badMix(spec: spec, item: item, reason: "unknown state (known: \(known))")
            }
            if parts.count == 2 {
                guard let n = Int(parts[1]), n >= 0 else {
                    throw LabError.badMix(spec: spec, item: item, reason: "count must be a whole number >= 0")
                }
                entries.append(.count(state, n))
            } else {
                entries.append(.cycle(state))
            }
        }
        let counted = entries.filter { if case .count = $0 { true } else { false } }.count
        if counted != 0 && counted != entries.count {
            throw LabError.badMix(spec: spec, item: spec, reason: "give a count for every state or for none")
        }
        if counted > 0 && entries.allSatisfy({ if case .count(_, 0) = $0 { true } else { false } }) {
            throw LabError.badMix(spec: spec, item: spec, reason: "all counts are zero")
        }
        self.entries = entries
    }

    /// The states of `hosts` hosts, in host order. With counts, the counted sequence repeats when there are
    /// more hosts than the counts add up to, and stops early when there are fewer.
    public func assign(hosts: Int) -> [StartingState] {
        var sequence: [StartingState] = []
        for entry in entries {
            switch entry {
            case .count(let state, let n): sequence += Array(repeating: state, count: n)
            case .cycle(let state): sequence.append(state)
            }
        }
        guard !sequence.isEmpty, hosts > 0 else { return [] }
        return (0..<hosts).map { sequence[$0 % sequence.count] }
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
