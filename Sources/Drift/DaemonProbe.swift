public import Facts
import FlotillaCore

/// The time daemons' packages and units, and the guard files against their return, in a few processes (one `sed` over dpkg's status file, or `rpm -q`, for the
/// five packages; one `systemctl show` for the seven units) instead of the general fact script's ~25: the audit
/// runs it on every host of the fleet, in the same command as the chrony check (`HostProbe`).
///
/// dpkg's status file (deb-status(5)) is read directly because `dpkg-query -W` loads the whole package database:
/// 8 ms of CPU per call on a host with 800 packages against 3 ms for the `sed`, paid on every host of every audit.
/// When dpkg has journal entries not yet merged into that file (`/var/lib/dpkg/updates/`, after an interrupted
/// run) the file is not the whole truth, and the probe asks `dpkg-query` after all.
public enum DaemonProbe {
    static let header = "@@flotilla:daemons 1"
    static let endMarker = "@@flotilla:daemons-end"
    static let command = "the time-daemon probe"

    public static var packages: [String] { TimeDaemons.units.map(\.name) }
    public static var unitNames: [String] { TimeDaemons.units.flatMap(\.units) }

    /// The script (names are Flotilla's constants, quoted all the same).
    public static var script: String { script(packages: packages) }

    /// The script for other package names (tests compare its reading of dpkg's status file with dpkg-query's).
    public static func script(packages names: [String]) -> String {
        let packages = ShellQuote.join(names)
        let units = ShellQuote.join(unitNames)
        let stanzas = ShellQuote.quote("/^Package: (\(names.map(regexEscaped).joined(separator: "|")))$/,/^$/{/^(Package|Status|Version): /p}")
        return """
            LC_ALL=C; export LC_ALL
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}; export PATH
            echo '\(header)'
            pending=; for f in /var/lib/dpkg/updates/*; do [ -e "$f" ] && pending=1; break; done
            if [ -z "$pending" ] && [ -r /var/lib/dpkg/status ] && command -v dpkg-query >/dev/null 2>&1; then
              sed -n -E \(stanzas) /var/lib/dpkg/status
              echo 'packages=dpkg-status'
            elif command -v dpkg-query >/dev/null 2>&1; then
              dpkg-query -W -f 'package\\t${Package}\\t${Version}\\t${db:Status-Abbrev}\\n' \(packages) 2>/dev/null
              echo 'packages=dpkg'
            elif command -v rpm >/dev/null 2>&1; then
              rpm -q --qf 'package\\t%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\tinstalled\\n' \(packages) 2>/dev/null | grep '^package'
              echo 'packages=rpm'
            else
              echo 'packages=none'
            fi
            for f in \(ShellQuote.join(TimeGuard.paths)); do
              if [ -f "$f" ] && [ -r "$f" ]; then
                echo "guard-file=$f"
                head -c \(TimeGuard.readLimit) -- "$f" | while IFS= read -r l || [ -n "$l" ]; do printf '|%s\\n' "$l"; done
              elif [ -e "$f" ]; then echo "guard-unreadable=$f"
              else echo "guard-absent=$f"
              fi
            done
            if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
              echo 'units=systemd'
              systemctl show -p Id,Names,LoadState,UnitFileState,ActiveState,SubState,ConditionResult,ConditionTimestamp -- \(units) 2>&1
            else
              echo 'units=none'
            fi
            echo '\(endMarker)'

            """
    }

    /// dpkg's `Status: WANT FLAG STATUS` field (deb-status(5)) as `${db:Status-Abbrev}` would print it: "ii ",
    /// "rc ", "iHR"... nil when a word is not one dpkg writes.
    static func dpkgAbbrev(statusField: String) -> String? {
        let words = statusField.split(separator: " ")
        guard words.count == 3 else { return nil }
        let want: [Substring: Character] = ["unknown": "u", "install": "i", "hold": "h", "deinstall": "r", "purge": "p"]
        let flag: [Substring: Character] = ["ok": " ", "reinstreq": "R"]
        let state: [Substring: Character] = [
            "not-installed": "n", "config-files": "c", "half-installed": "H", "unpacked": "U",
            "half-configured": "F", "triggers-awaited": "W", "triggers-pending": "t", "installed": "i",
        ]
        guard let w = want[words[0]], let f = flag[words[1]], let s = state[words[2]] else { return nil }
        return String([w, s, f])
    }

    /// A package name as a literal in an extended regular expression.
    static func regexEscaped(_ name: String) -> String {
        var out = ""
        for c in name {
            if ".+*?()[]{}|^$\\".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// Splits the output of `script` followed by other output: (the probe's part, the rest).
    public static func split(_ stdout: String) -> (probe: String, rest: String)? {
        guard let range = stdout.range(of: endMarker + "\n") else { return nil }
        return (String(stdout[..<range.upperBound]), String(stdout[range.upperBound...]))
    }

    /// Reads the probe's output into daemon states. Odd output is a `cannotRead` naming the line.
    public static func parse(_ text: String) throws(DriftError) -> [TimeDaemonState] {
        try reading(text).daemons
    }

    /// Reads the probe's output into daemon states and the guard files as found (nil: not in the output).
    public static func reading(_ text: String) throws(DriftError) -> (daemons: [TimeDaemonState], timeGuard: TimeGuard?) {
        let r = try read(text)
        let daemons = TimeDaemons.states(
            package: { r.packages[$0] ?? .absent($0) },
            unit: { r.units[$0] ?? .notFound($0) })
        return (daemons, r.timeGuard)
    }

    /// The packages the probe's output names, whatever their names (see `script(packages:)`).
    public static func packages(in text: String) throws(DriftError) -> [String: PackageFact] {
        try read(text).packages
    }

    static func read(_ text: String) throws(DriftError) -> (packages: [String: PackageFact], units: [String: UnitFact], timeGuard: TimeGuard?) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.first == header else {
            throw .cannotRead(command: command, line: 1, field: "header", value: lines.first ?? "", reason: "not the probe's output", host: nil)
        }
        var packages: [String: PackageFact] = [:]
        var tool: String?
        var unitsAvailable: Bool?
        var blocks: [[String: String]] = []
        var current: [String: String] = [:]
        var ended = false
        // A stanza of the status file: `Package:`, then its `Status:` and `Version:` in any order.
        var stanza: (name: String, status: String?, version: String?, line: Int)?
        var guardFiles: [TimeGuard.File] = []
        func closeStanza() throws(DriftError) {
            guard let st = stanza else { return }
            stanza = nil
            guard let status = st.status, let abbrev = dpkgAbbrev(statusField: status) else {
                throw .cannotRead(
                    command: command, line: st.line, field: "Status", value: st.status ?? "",
                    reason: "package \(st.name) has no readable 'Status: WANT FLAG STATUS' in dpkg's status file", host: nil)
            }
            let fact = PackageFact(
                name: st.name, status: PackageFact.status(dpkgAbbrev: abbrev), version: st.version, dpkgStatus: abbrev.trimmingWhitespace())
            // A name twice (two architectures): an installed one wins.
            if packages[st.name]?.status != .installed { packages[st.name] = fact }
        }
        for (index, line) in lines.enumerated().dropFirst() {
            let number = index + 1
            if line == endMarker { ended = true; break }
            if line.hasPrefix("Package: ") {
                try closeStanza()
                stanza = (String(line.dropFirst("Package: ".count)).trimmingWhitespace(), nil, nil, number)
            } else if line.hasPrefix("Status: ") || line.hasPrefix("Version: ") {
                guard stanza != nil else {
                    throw .cannotRead(command: command, line: number, field: "package", value: line, reason: "a field outside a Package stanza", host: nil)
                }
                let value = String(line[line.index(after: line.firstIndex(of: ":")!)...]).trimmingWhitespace()
                if line.hasPrefix("Status: ") { stanza!.status = value } else { stanza!.version = value }
            } else if line.hasPrefix("package\t") {
                let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                guard f.count == 4, !f[1].isEmpty else {
                    throw .cannotRead(command: command, line: number, field: "package", value: line, reason: "expected 'package NAME VERSION STATUS'", host: nil)
                }
                let status = f[3].trimmingWhitespace()
                let version = f[2].isEmpty ? nil : f[2]
                packages[f[1]] = status == "installed"
                    ? PackageFact(name: f[1], status: .installed, version: version)
                    : PackageFact(name: f[1], status: PackageFact.status(dpkgAbbrev: status), version: version, dpkgStatus: status)
            } else if line.hasPrefix("guard-file=") || line.hasPrefix("guard-absent=") || line.hasPrefix("guard-unreadable=") {
                let eq = line.firstIndex(of: "=")!
                let state: TimeGuard.File.State = line.hasPrefix("guard-file=") ? .present : line.hasPrefix("guard-absent=") ? .absent : .unreadable
                guardFiles.append(TimeGuard.File(path: String(line[line.index(after: eq)...]), state: state))
            } else if line.hasPrefix("|") && unitsAvailable == nil {
                // A guard file's line, prefixed so that nothing in it can pass for the probe's own lines.
                guard !guardFiles.isEmpty, guardFiles[guardFiles.count - 1].state == .present else {
                    throw .cannotRead(command: command, line: number, field: "guard file", value: line, reason: "a file line outside a guard-file section", host: nil)
                }
                guardFiles[guardFiles.count - 1].lines.append(String(line.dropFirst()))
            } else if line.hasPrefix("packages=") {
                try closeStanza()
                tool = String(line.dropFirst("packages=".count))
            } else if line.hasPrefix("units=") {
                unitsAvailable = line == "units=systemd"
            } else if unitsAvailable == true {
                if line.isEmpty {
                    if !current.isEmpty { blocks.append(current) }
                    current = [:]
                } else if let eq = line.firstIndex(of: "=") {
                    current[String(line[..<eq])] = String(line[line.index(after: eq)...])
                } else {
                    throw .cannotRead(command: command, line: number, field: "unit property", value: line, reason: "systemctl show printed something else", host: nil)
                }
            }
        }
        if !current.isEmpty { blocks.append(current) }
        guard ended else {
            throw .cannotRead(command: command, line: lines.count, field: "end marker", value: "", reason: "the output is cut short", host: nil)
        }
        guard tool != nil, let unitsAvailable else {
            throw .cannotRead(command: command, line: lines.count, field: "packages= or units= line", value: "", reason: "missing", host: nil)
        }
        var units: [String: UnitFact] = [:]
        if unitsAvailable {
            guard blocks.count == unitNames.count else {
                throw .cannotRead(
                    command: command, line: lines.count, field: "units", value: "",
                    reason: "systemctl show gave \(blocks.count) units, \(unitNames.count) asked for", host: nil)
            }
            for (name, block) in zip(unitNames, blocks) {
                // The Facts module's reading of a unit: plan and audit describe a host the same way.
                guard let unit = UnitFact.reading(name: name, systemctlShow: block) else {
                    throw .cannotRead(command: command, line: lines.count, field: "LoadState", value: name, reason: "missing for the unit", host: nil)
                }
                units[name] = unit
            }
        }
        // No guard lines at all: output of an older probe, the guard was not read.
        return (packages, units, guardFiles.isEmpty ? nil : TimeGuard(packageTool: tool ?? "none", files: guardFiles))
    }
}
