import Facts
import FlotillaCore

/// The time daemons' packages and units in two processes (one `dpkg-query -W` or `rpm -q` for the five packages,
/// one `systemctl show` for the seven units) instead of the general fact script's ~25: the audit runs it on every
/// host of the fleet, in the same round trip as the chrony check (`HostProbe`).
public enum DaemonProbe {
    static let header = "@@flotilla:daemons 1"
    static let endMarker = "@@flotilla:daemons-end"
    static let command = "the time-daemon probe"

    public static var packages: [String] { TimeDaemons.units.map(\.name) }
    public static var unitNames: [String] { TimeDaemons.units.flatMap(\.units) }

    /// The script (names are Flotilla's constants, quoted all the same).
    public static var script: String {
        let packages = ShellQuote.join(Self.packages)
        let units = ShellQuote.join(unitNames)
        return """
            LC_ALL=C; export LC_ALL
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}; export PATH
            echo '\(header)'
            if command -v dpkg-query >/dev/null 2>&1; then
              dpkg-query -W -f 'package\\t${Package}\\t${Version}\\t${db:Status-Abbrev}\\n' \(packages) 2>/dev/null
              echo 'packages=dpkg'
            elif command -v rpm >/dev/null 2>&1; then
              rpm -q --qf 'package\\t%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\tinstalled\\n' \(packages) 2>/dev/null | grep '^package'
              echo 'packages=rpm'
            else
              echo 'packages=none'
            fi
            if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
              echo 'units=systemd'
              systemctl show -p Id,Names,LoadState,UnitFileState,ActiveState,SubState,ConditionResult,ConditionTimestamp -- \(units) 2>&1
            else
              echo 'units=none'
            fi
            echo '\(endMarker)'

            """
    }

    /// Splits the output of `script` followed by other output: (the probe's part, the rest).
    public static func split(_ stdout: String) -> (probe: String, rest: String)? {
        guard let range = stdout.range(of: endMarker + "\n") else { return nil }
        return (String(stdout[..<range.upperBound]), String(stdout[range.upperBound...]))
    }

    /// Reads the probe's output into daemon states. Odd output is a `cannotRead` naming the line.
    public static func parse(_ text: String) throws(DriftError) -> [TimeDaemonState] {
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
        for (index, line) in lines.enumerated().dropFirst() {
            let number = index + 1
            if line == endMarker { ended = true; break }
            if line.hasPrefix("package\t") {
                let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                guard f.count == 4, !f[1].isEmpty else {
                    throw .cannotRead(command: command, line: number, field: "package", value: line, reason: "expected 'package NAME VERSION STATUS'", host: nil)
                }
                let status = f[3].trimmingWhitespace()
                let version = f[2].isEmpty ? nil : f[2]
                packages[f[1]] = status == "installed"
                    ? PackageFact(name: f[1], status: .installed, version: version)
                    : PackageFact(name: f[1], status: PackageFact.status(dpkgAbbrev: status), version: version, dpkgStatus: status)
            } else if line.hasPrefix("packages=") {
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
                units[name] = UnitFact(
                    name: name, id: block["Id"] ?? name,
                    names: (block["Names"] ?? name).split(separator: " ").map(String.init),
                    loadState: UnitFact.LoadState(rawValue: block["LoadState"] ?? "") ?? .notFound,
                    fileState: UnitFact.FileState(rawValue: block["UnitFileState"] ?? "") ?? .notFound,
                    activeState: UnitFact.ActiveState(rawValue: block["ActiveState"] ?? "") ?? .inactive,
                    subState: block["SubState"] ?? "",
                    conditionResult: (block["ConditionTimestamp"] ?? "").isEmpty ? nil : block["ConditionResult"] == "yes")
            }
        }
        return TimeDaemons.states(
            package: { packages[$0] ?? .absent($0) },
            unit: { units[$0] ?? .notFound($0) })
    }
}
