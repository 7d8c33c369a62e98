public import Plan

/// Cuts a play's hosts into batches: the rollout's sizes in order (the last one repeating), hosts in
/// inventory order, and at most K hosts of one group per batch when the rollout has group limits.
///
/// Pure. A host a group limit keeps out of a batch waits for the next one, so a limited batch may be
/// smaller than its size, and there may be more batches than sizes.
public enum BatchScheduler {
    /// `groups` maps each host to the inventory groups it belongs to (directly or through parents).
    public static func batches(_ hosts: [String], rollout: Rollout, groups: [String: [String]] = [:]) -> [[String]] {
        let total = hosts.count
        guard total > 0 else { return [] }
        let sizes = rollout.serial.isEmpty ? [Rollout.Size.count(total)] : rollout.serial
        var left = hosts
        var out: [[String]] = []
        while !left.isEmpty {
            let size = max(1, sizes[min(out.count, sizes.count - 1)].hosts(of: total))
            var batch: [String] = []
            var perGroup: [String: Int] = [:]
            var waiting: [String] = []
            for host in left {
                guard batch.count < size else { waiting.append(host); continue }
                let limited = limitedGroups(of: host, rollout: rollout, groups: groups)
                if limited.contains(where: { perGroup[$0.group, default: 0] >= $0.limit }) {
                    waiting.append(host)
                    continue
                }
                for g in limited { perGroup[g.group, default: 0] += 1 }
                batch.append(host)
            }
            out.append(batch)
            left = waiting
        }
        return out
    }

    /// The groups of `host` that a group limit covers, each with its limit (the smallest when several match).
    static func limitedGroups(of host: String, rollout: Rollout, groups: [String: [String]]) -> [(group: String, limit: Int)] {
        guard !rollout.maxPerGroup.isEmpty else { return [] }
        var out: [(group: String, limit: Int)] = []
        for group in groups[host] ?? [] {
            let limits = rollout.maxPerGroup.filter { l in l.prefixes.contains { group.hasPrefix($0) } }.map(\.limit)
            if let limit = limits.min() { out.append((group, limit)) }
        }
        return out
    }
}
