/// The audit as a text table for a terminal: one row per host (most severe first), each finding on its own
/// line under the row, then the fleet view.
public enum TableRenderer {
    public static func render(_ report: AuditReport) -> String {
        let header = ["HOST", "VERDICT", "OFFSET", "BOUND", "CROSS-CHECK", "SOURCE", "STRATUM", "UPDATED"]
        var rows: [[String]] = []
        for h in report.hosts {
            let cross = h.crossCheck.map { SecondsText.format($0.offset) + " ±" + SecondsText.format($0.uncertainty, signed: false) } ?? "-"
            let source: String
            if let s = h.source {
                source = s + (h.chrony?.followsExpectedSource == false ? " (unexpected)" : "")
            } else {
                source = "-"
            }
            rows.append([
                h.host, h.verdict.rawValue,
                h.offset.map { SecondsText.format($0) } ?? "-",
                h.errorBound.map { "±" + SecondsText.format($0, signed: false) } ?? "-",
                cross, source,
                h.chrony?.tracking.flatMap { $0.claimsSync ? String($0.stratum) : nil } ?? "-",
                h.chrony?.sinceLastUpdate.map { ChronyStatus.seconds($0) + " ago" } ?? "-",
            ])
        }
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.count) }
                .joined(separator: "  ")
        }
        var out = line(header) + "\n"
        for (h, row) in zip(report.hosts, rows) {
            out += line(row) + "\n"
            for f in h.findings { out += "    \(f.severity.rawValue): \(f.message)\n" }
        }
        out += "\n" + summary(report)
        return out
    }

    /// The verdict counts and the fleet view, a few lines.
    public static func summary(_ report: AuditReport) -> String {
        let counts = report.counts
        var out = "\(report.hosts.count) hosts: " + Verdict.allCases.reversed().map { "\(counts[$0, default: 0]) \($0.rawValue)" }.joined(separator: ", ")
        out += "  (thresholds: warn ±\(SecondsText.format(report.thresholds.warnSeconds, signed: false)), critical ±\(SecondsText.format(report.thresholds.criticalSeconds, signed: false)); \(SecondsText.fixed(report.duration, 2)) s)\n"
        let f = report.fleet
        if let spread = f.spread, let median = f.median, let lo = f.minimum, let hi = f.maximum {
            out += "fleet: \(f.measured) offsets, median \(SecondsText.format(median)), spread \(SecondsText.format(spread, signed: false)) (\(SecondsText.format(lo)) to \(SecondsText.format(hi)))"
            out += f.outliers.isEmpty ? ", no outliers\n" : ", outliers (> \(Int(FleetView.outlierFactor)) MAD from the median): \(f.outliers.joined(separator: ", "))\n"
        } else {
            out += "fleet: no host reported an offset\n"
        }
        for source in f.bySource.keys.sorted() {
            let hosts = f.bySource[source]!
            let label = source == "none" ? "not synchronised" : source == "local" ? "own clock (local stratum)" : "following \(source)"
            out += "  \(label): \(hosts.count) host\(hosts.count == 1 ? "" : "s") (\(abbreviate(hosts)))\n"
        }
        return out
    }

    static func abbreviate(_ names: [String]) -> String {
        names.count <= 8 ? names.joined(separator: ", ") : names.prefix(6).joined(separator: ", ") + ", … \(names.count - 6) more"
    }
}
