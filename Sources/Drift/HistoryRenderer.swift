import Foundation

/// `flotilla audit --history`: per host, how its offset moved (time, offset, bound, verdict), oldest first.
public enum HistoryRenderer {
    public static func render(_ entries: [AuditHistory.Entry]) -> String {
        guard !entries.isEmpty else { return "no audits recorded in that period\n" }
        let formatter = ISO8601DateFormatter()
        var out = ""
        let hosts = Dictionary(grouping: entries, by: \.host)
        for host in hosts.keys.sorted(by: { $0.naturallyPrecedes($1) }) {
            let list = hosts[host]!
            out += "\(host)\n"
            let offsets = list.compactMap(\.offset)
            for e in list {
                let time = formatter.string(from: Date(timeIntervalSince1970: e.time))
                let offset = e.offset.map { SecondsText.format($0) } ?? "-"
                let bound = e.errorBound.map { "±" + SecondsText.format($0, signed: false) } ?? "-"
                var line = "  \(time)  " + pad(offset, 12) + pad(bound, 13) + pad(e.verdict.rawValue, 9)
                if let f = e.findings.first { line += f }
                out += line + "\n"
            }
            if let lo = offsets.min(), let hi = offsets.max(), offsets.count > 1 {
                out += "  moved \(SecondsText.format(hi - lo, signed: false)) over \(offsets.count) audits (\(SecondsText.format(lo)) to \(SecondsText.format(hi)))\n"
            }
        }
        return out
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
