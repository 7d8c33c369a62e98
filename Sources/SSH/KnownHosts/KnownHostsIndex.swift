import FlotillaCore

/// The entries of a `KnownHostsStore`, indexed so that a lookup does not walk every line: lines whose
/// host field is a list of literal names are found by name; hashed and wildcard lines are tried one by
/// one (hashed ones with their HMAC key precomputed). A value type: the store copies it out of its lock
/// (cheap, copy-on-write) and matches outside the lock.
struct KnownHostsIndex: Sendable {
    private(set) var entries = [KnownHostsEntry]()
    var warnings = [KnownHostsWarning]()
    private var byName = [String: [Int]]()
    private var scanned = [Scanned]()

    /// An entry that must be tried against each name.
    private struct Scanned: Sendable {
        var position: Int
        /// For hashed entries: the salt as an HMAC key, and the expected MAC.
        var hashed: (key: HMAC.SHA1Key, mac: [UInt8])?
    }

    mutating func add(_ entry: KnownHostsEntry) {
        let position = entries.count
        entries.append(entry)
        switch entry.hosts {
        case .patterns(let patterns) where patterns.allSatisfy(WildcardPattern.isLiteral):
            for name in Set(patterns.map { $0.lowercased() }) { byName[name, default: []].append(position) }
        case .patterns:
            scanned.append(Scanned(position: position, hashed: nil))
        case .hashed(let salt, let hmac):
            scanned.append(Scanned(position: position, hashed: (HMAC.SHA1Key(salt), hmac)))
        }
    }

    /// Drops the entries and warnings of `file` after `afterLine` (to read those lines again).
    /// - Returns: whether anything was dropped.
    @discardableResult
    mutating func remove(file: String, afterLine: Int) -> Bool {
        let stale: (String, Int) -> Bool = { $0 == file && $1 > afterLine }
        guard entries.contains(where: { stale($0.file, $0.line) })
            || warnings.contains(where: { stale($0.file, $0.line) })
        else { return false }
        let kept = entries.filter { !stale($0.file, $0.line) }
        let keptWarnings = warnings.filter { !stale($0.file, $0.line) }
        self = KnownHostsIndex()
        kept.forEach { add($0) }
        warnings = keptWarnings
        return true
    }

    /// Positions of the entries whose host field matches, in file order.
    func matching(_ lookupName: String) -> [Int] {
        var hits = byName[lookupName] ?? []
        let bytes = Array(lookupName.utf8)
        for candidate in scanned {
            let matched: Bool
            if let hashed = candidate.hashed {
                matched = hashed.key.authenticate(bytes) == hashed.mac
            } else {
                matched = entries[candidate.position].matches(lookupName: lookupName)
            }
            if matched { hits.append(candidate.position) }
        }
        return hits.sorted()
    }

    /// The verdict for `key` given the positions `matching` found for the host.
    func verdict(positions: [Int], key: HostKey) -> KnownHostsVerdict {
        var found: KnownHostsVerdict?
        var changed: KnownHostsVerdict?
        for position in positions {
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

    /// The key types of the plain lines among `positions`, in order, without repeats.
    func keyTypes(positions: [Int]) -> [String] {
        var types = [String]()
        for position in positions {
            let entry = entries[position]
            if entry.marker == .none, !types.contains(entry.key.type) { types.append(entry.key.type) }
        }
        return types
    }
}
