import Facts

/// Short state descriptions for a change's before and after.
enum Describe {
    static func package(_ p: PackageFact) -> String {
        switch p.status {
        case .installed: "installed" + (p.version.map { " " + $0 } ?? "")
        case .configFiles: "removed, config files left (dpkg \(p.dpkgStatus ?? "rc"))"
        case .broken: "half-installed (dpkg \(p.dpkgStatus ?? "?"))"
        case .notInstalled: "not installed"
        case .unknown: "unknown (no package database)"
        }
    }

    static func unit(_ u: UnitFact) -> String {
        if let error = u.error { return "unknown (\(error))" }
        if u.loadState == .notFound && !u.fileState.isMasked { return "not found" }
        var active = u.activeState.rawValue
        var detail = u.subState.isEmpty ? [] : [u.subState]
        if u.conditionResult == false && !u.activeState.isRunning { detail.append("start condition failed") }
        if !detail.isEmpty { active += " (" + detail.joined(separator: ", ") + ")" }
        return "\(u.isMasked ? "masked" : u.fileState.rawValue), \(active)"
    }

    static func file(_ f: FileFact) -> String {
        switch f.state {
        case .absent: return "absent"
        case .present:
            let lines = f.text.map { $0.split(separator: "\n", omittingEmptySubsequences: false).count - ($0.hasSuffix("\n") ? 1 : 0) } ?? 0
            return "\(lines) lines, \(f.mode.map { "0" + $0.drop(while: { $0 == "0" }) } ?? "?") \(f.owner ?? "?"):\(f.group ?? "?")"
        case .tooLarge: return "too large to read (\(f.size ?? 0) bytes)"
        case .notRegular: return "not a regular file"
        case .unreadable: return "unreadable"
        }
    }

    static func content(_ text: String, mode: String, owner: String, group: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count - (text.hasSuffix("\n") ? 1 : 0)
        return "\(lines) lines, \(mode) \(owner):\(group)"
    }

    /// `a`, `a and b`, `a, b and c`.
    static func list(_ items: [String]) -> String {
        switch items.count {
        case 0: ""
        case 1: items[0]
        default: items.dropLast().joined(separator: ", ") + " and " + items.last!
        }
    }
}
