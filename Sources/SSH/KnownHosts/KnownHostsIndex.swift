/// The entries of a `KnownHostsStore`, indexed so that a lookup does not walk every line: lines whose
/// host field is a list of literal names are found by name; hashed and wildcard lines are tried one by one.
struct KnownHostsIndex: Sendable {
    private(set) var entries = [KnownHostsEntry]()
    var warnings = [KnownHostsWarning]()
    private var byName = [String: [Int]]()
    private var scanned = [Int]()

    mutating func add(_ entry: KnownHostsEntry) {
        let position = entries.count
        entries.append(entry)
        if case .patterns(let patterns) = entry.hosts, patterns.allSatisfy(WildcardPattern.isLiteral) {
            for name in Set(patterns.map { $0.lowercased() }) { byName[name, default: []].append(position) }
        } else {
            scanned.append(position)
        }
    }

    /// Drops the entries and warnings of `file` after `afterLine` (to read those lines again).
    mutating func remove(file: String, afterLine: Int) {
        let stale: (String, Int) -> Bool = { $0 == file && $1 > afterLine }
        guard entries.contains(where: { stale($0.file, $0.line) })
            || warnings.contains(where: { stale($0.file, $0.line) })
        else { return }
        let kept = entries.filter { !stale($0.file, $0.line) }
        let keptWarnings = warnings.filter { !stale($0.file, $0.line) }
        self = KnownHostsIndex()
        kept.forEach { add($0) }
        warnings = keptWarnings
    }

    /// Positions of the entries whose host field matches, in file order.
    func matching(_ lookupName: String) -> [Int] {
        var hits = byName[lookupName] ?? []
        for position in scanned where entries[position].matches(lookupName: lookupName) {
            hits.append(position)
        }
        return hits.sorted()
    }

    func verdict(lookupName: String, key: HostKey) -> KnownHostsVerdict {
        var found: KnownHostsVerdict?
        var changed: KnownHostsVerdict?
        for position in matching(lookupName) {
            let entry = entries[position]
            switch entry.marker {
            case .revoked:
                if entry.key == key { return .revoked(file: entry.file, line: entry.line) }
            case .certAuthority:
                continue
            case .none:
                guard entry.key.type == key.type else { continue }
                if entry.key == key {
                    if found == nil { found = .match(file: entry.file, line: entry.line) }
                } else if changed == nil {
                    changed = .mismatch(file: entry.file, line: entry.line, knownType: entry.key.type)
                }
            }
        }
        return found ?? changed ?? .notFound
    }

    func keyTypes(lookupName: String) -> [String] {
        var types = [String]()
        for position in matching(lookupName) {
            let entry = entries[position]
            if entry.marker == .none, !types.contains(entry.key.type) { types.append(entry.key.type) }
        }
        return types
    }
}
