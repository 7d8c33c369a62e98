public import Facts
public import Foundation

/// A saved plan (`flotilla plan --out FILE`): what apply runs later, and what it checks first.
///
/// Apply re-gathers facts and refuses every host whose facts digest differs from the saved one (the plan
/// was computed from a host that no longer exists in that state), and the whole file when the playbook's
/// digest differs. Each host's plans also keep a digest per fact, so that the refusal names the facts that
/// changed (`file[/etc/chrony/chrony.conf] changed since the plan was made`); files written before they were
/// kept still load, and their refusals say only that the facts changed.
public struct PlanFile: Sendable, Codable, Hashable {
    public static let currentVersion = 2

    public var formatVersion: Int
    public var createdAt: Date
    public var playbookFile: String
    public var playbookDigest: String
    public var inventoryDigest: String
    public var plans: [HostPlan]

    /// `facts` are the facts each host's plans were made from, by host (their per-fact digests are kept in the
    /// plans; about 1 ms per host, see Benchmarks/PlanBenchmark).
    public init(playbook: Playbook, inventoryDigest: String, plans: [HostPlan], facts: [String: HostFacts] = [:], createdAt: Date = Date()) {
        formatVersion = Self.currentVersion
        self.createdAt = createdAt
        playbookFile = playbook.file
        playbookDigest = playbook.digest
        self.inventoryDigest = inventoryDigest
        let digests = facts.mapValues(FactsDigest.perFact)
        self.plans = plans.map { plan in
            var plan = plan
            plan.factDigests = digests[plan.host]
            return plan
        }
    }

    /// Each host's facts digest (all of a host's plays were computed from the same facts).
    public var factsDigests: [String: String] {
        var out: [String: String] = [:]
        for p in plans { out[p.host] = p.factsDigest }
        return out
    }

    /// Hosts whose current facts digest differs from the saved one (or that are missing from `current`), sorted.
    public func staleHosts(current: [String: String]) -> [String] {
        factsDigests.filter { current[$0.key] != $0.value }.map(\.key).sorted()
    }

    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(self)) ?? Data()
    }

    /// Reads a saved plan; anything that keeps it from being one is `PlanError.damagedPlanFile` saying what
    /// (see `PlanFileDamage`).
    public static func decode(_ data: Data, file: String) throws(PlanError) -> PlanFile {
        if let problem = PlanFileDamage.check(data, version: currentVersion) {
            throw .damagedPlanFile(file: file, problem: problem)
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = PlanFileDamage.iso8601
        let plan: PlanFile
        do { plan = try decoder.decode(PlanFile.self, from: data) } catch {
            throw .damagedPlanFile(file: file, problem: PlanFileDamage.describe(error))
        }
        let hosts = Set(plan.plans.map(\.host))
        for h in hosts.sorted() where Set(plan.plans.filter { $0.host == h }.map(\.factsDigest)).count != 1 {
            throw .damagedPlanFile(file: file, problem: "host \(h) has plans made from different facts")
        }
        return plan
    }

    /// Whether `path`, whose first bytes are `head`, is to be read as a saved plan rather than a playbook: its
    /// first non-blank byte is `{` (a playbook is a list of plays), or its name ends in `.plan`, or in `.json`
    /// without starting as a list (the names `flotilla plan --out` is given in the docs), so that an empty or
    /// damaged plan is reported as a damaged plan, not as a playbook.
    public static func isPlanFile(path: String, head: some Sequence<UInt8>) -> Bool {
        let first = head.first(where: { ![0x20, 0x0a, 0x0d, 0x09].contains($0) })
        if first == UInt8(ascii: "{") || path.hasSuffix(".plan") { return true }
        return path.hasSuffix(".json") && first != UInt8(ascii: "[")
    }

    public func save(to path: String) throws(PlanError) {
        do { try encoded().write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw .unreadable(file: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads a plan file and checks it against the playbook it claims to come from, when one is given.
    public static func load(path: String, playbook: Playbook? = nil) throws(PlanError) -> PlanFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadable(file: path, reason: error.localizedDescription)
        }
        let plan = try decode(data, file: path)
        if let playbook, playbook.digest != plan.playbookDigest {
            throw .badPlanFile(file: path, reason: "\(playbook.file) changed since the plan was made; plan again")
        }
        return plan
    }
}

extension HostPlan {
    /// Why this saved plan no longer fits a host whose facts are now `facts`, naming the facts that changed
    /// (`file[/etc/chrony/chrony.conf] changed since the plan was made`); nil while they are the facts it was made from.
    public func staleness(now facts: HostFacts) -> String? {
        guard facts.digest != factsDigest else { return nil }
        let changed = factDigests.map { FactsDigest.changed(saved: $0, now: FactsDigest.perFact(facts)) } ?? []
        guard !changed.isEmpty else {
            return "the host's facts changed since the plan was made (this plan file does not record which; plan again)"
        }
        let limit = 8
        var names = Array(changed.prefix(limit))
        if changed.count > limit { names.append("\(changed.count - limit) more") }
        let list = names.count == 1 ? names[0] : names.dropLast().joined(separator: ", ") + " and " + names.last!
        return "\(list) changed since the plan was made (plan again)"
    }
}
