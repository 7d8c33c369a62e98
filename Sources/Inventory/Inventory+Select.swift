import FlotillaRegex

extension Inventory {
    /// The hosts a pattern selects (see `HostPattern`), in the order the pattern produces them: a group's
    /// own hosts first, then its children's; `all` in inventory order. `nil` selects every host.
    ///
    /// Throws when a plain or intersection term matches no host and no group, or when nothing is left.
    public func select(pattern: String?) throws -> [InventoryHost] {
        guard let pattern, !pattern.trimmingWhitespace().isEmpty else { return hosts }
        return try select(try HostPattern(pattern))
    }

    public func select(_ pattern: HostPattern) throws -> [InventoryHost] {
        var selected: [String] = []
        for term in pattern.terms {
            let matched = try match(term.expression, in: pattern)
            switch term.operation {
            case .union:
                guard let names = matched else {
                    throw InventoryError.patternMatchedNothing(pattern: pattern.text, term: term.description)
                }
                let present = Set(selected)
                selected += names.filter { !present.contains($0) }
            case .intersection:
                guard let names = matched else {
                    throw InventoryError.patternMatchedNothing(pattern: pattern.text, term: term.description)
                }
                let keep = Set(names)
                selected = selected.filter { keep.contains($0) }
            case .exclusion:
                let drop = Set(matched ?? [])
                selected = selected.filter { !drop.contains($0) }
            }
        }
        guard !selected.isEmpty else { throw InventoryError.noHostsSelected(pattern: pattern.text) }
        return selected.compactMap { host(named: $0) }
    }

    /// Hosts of one term, without duplicates; `nil` when it matched no host and no group (an empty
    /// group is a match with no hosts).
    func match(_ expression: String, in pattern: HostPattern) throws -> [String]? {
        if host(named: expression) != nil { return [expression] }
        if expression == "all" || expression == "*" { return hosts.map(\.name) }
        let (base, subscriptPart) = HostPattern.splitSubscript(expression)
        let test: (String) throws(InventoryError) -> Bool
        let isPattern: Bool
        if base.hasPrefix("~") {
            // Ansible matches `~` patterns with Python's re.match: from the start of the name, not to its end.
            // BoundedRegex bounds the work of each match, so a pattern that backtracks without end is an error.
            let regex: BoundedRegex
            do {
                regex = try BoundedRegex(String(base.dropFirst()))
            } catch {
                throw InventoryError.invalidPattern(pattern: pattern.text, reason: error.description)
            }
            test = { name throws(InventoryError) in
                do { return try regex.matchesPrefix(name) } catch {
                    throw InventoryError.invalidPattern(pattern: pattern.text, reason: "\(error) ('\(name)')")
                }
            }
            isPattern = true
        } else {
            let glob = GlobPattern(base)
            test = glob.matches
            isPattern = base.contains(".") || GlobPattern.hasMagic(base)
        }
        var result: [String] = []
        var seen: Set<String> = []
        var matchedGroups: [String] = []
        for group in groupNames where try test(group) { matchedGroups.append(group) }
        for group in matchedGroups {
            for host in hosts(inGroup: group) where seen.insert(host).inserted { result.append(host) }
        }
        var matchedHosts = false
        if matchedGroups.isEmpty || isPattern {
            for host in hosts where try test(host.name) {
                matchedHosts = true
                if seen.insert(host.name).inserted { result.append(host.name) }
            }
        }
        guard !matchedGroups.isEmpty || matchedHosts else { return nil }
        guard let subscriptPart else { return result }
        switch subscriptPart {
        case .index(let i):
            let index = i < 0 ? result.count + i : i
            guard result.indices.contains(index) else {
                throw InventoryError.invalidPattern(
                    pattern: pattern.text, reason: "'\(expression)': index \(i) is outside the \(result.count) hosts matched")
            }
            return [result[index]]
        case .range(let start, let end):
            let last = min(end ?? result.count - 1, result.count - 1)
            guard start < result.count, start <= last else {
                throw InventoryError.invalidPattern(
                    pattern: pattern.text, reason: "'\(expression)': range is outside the \(result.count) hosts matched")
            }
            return Array(result[start...last])
        }
    }
}
