import Foundation

/// Facts for people (`flotilla facts`) and for machines (`flotilla facts --json`).
public enum FactsRenderer {
    /// One block per host, hosts in the order given: system line, then packages, units and files.
    public static func text(_ hosts: [(name: String, facts: HostFacts)]) -> String {
        var out = ""
        for (name, f) in hosts {
            var system = [f.os.prettyName, f.packageManager.rawValue]
            system.append(f.virtualization.isContainer ? "\(f.virtualization.kind) container" : f.virtualization.kind == "none" ? "bare metal or unknown VM" : "\(f.virtualization.kind) VM")
            system.append(f.hasCapSysTime ? "CAP_SYS_TIME" : "no CAP_SYS_TIME")
            if !f.systemdRunning { system.append("systemd not running") }
            system.append(f.chronyVersion.map { "chrony \($0)" } ?? "no chronyd")
            out += "\(name): " + system.joined(separator: ", ") + "\n"
            for key in f.packages.keys.sorted() {
                let p = f.packages[key]!
                let state = switch p.status {
                case .installed: "installed \(p.version ?? "")"
                case .configFiles: "config files only"
                case .broken: "half-installed"
                case .notInstalled: "not installed"
                case .unknown: "unknown"
                }
                out += "  package \(key): \(state)" + (p.dpkgStatus.map { " (dpkg \($0))" } ?? "") + "\n"
            }
            for key in f.units.keys.sorted() {
                let u = f.units[key]!
                if let error = u.error { out += "  unit \(key): unknown (\(error))\n"; continue }
                var line = "  unit \(key): load \(u.loadState.rawValue), file \(u.fileState.rawValue), \(u.activeState.rawValue)"
                if !u.subState.isEmpty { line += " (\(u.subState))" }
                if u.conditionResult == false { line += ", start condition failed" }
                if u.id != key { line += ", is \(u.id)" }
                if !u.dropInPaths.isEmpty { line += ", drop-ins: " + u.dropInPaths.joined(separator: " ") }
                out += line + "\n"
            }
            for key in f.files.keys.sorted() {
                let file = f.files[key]!
                var line = "  file \(key): \(file.state.rawValue)"
                if file.exists {
                    line += ", \(file.size.map { "\($0) bytes" } ?? "size unknown"), \(file.mode ?? "?") \(file.owner ?? "?"):\(file.group ?? "?")"
                    if let sum = file.sha256 { line += ", sha256 \(sum.prefix(12))…" }
                }
                if let target = file.linkTarget { line += ", link to \(target)" }
                out += line + "\n"
            }
        }
        return out
    }

    /// `{"hosts": {NAME: FACTS, ...}}` with sorted keys; file contents in base64, each host with its digest.
    public static func json(_ hosts: [(name: String, facts: HostFacts)]) -> String {
        struct Entry: Encodable {
            var digest: String
            var facts: HostFacts
        }
        var map: [String: Entry] = [:]
        for (name, f) in hosts { map[name] = Entry(digest: f.digest, facts: f) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(["hosts": map]) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
