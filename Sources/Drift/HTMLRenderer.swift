import Foundation

/// The audit as ONE self-contained HTML page (no scripts, fonts or images from elsewhere): an inline SVG chart
/// with a row per host, its offset as a dot with chrony's error bar, against the ±max-offset and ±critical bands,
/// coloured by verdict; then the findings.
///
/// Every host has exactly one element of class `point`: a filled dot at chrony's offset; a hollow ring at the
/// controller's cross-check when chrony gives no offset; a grey cross at the centre when nothing was measured.
/// The cross-check is also drawn as a small diamond (class `xcheck`) next to chrony's dot, so a disagreement
/// shows as the two apart.
public enum HTMLRenderer {
    static let colours: [Verdict: String] = [.ok: "#2e7d32", .warn: "#ef8f00", .critical: "#c62828", .unknown: "#757575"]

    public static func render(_ report: AuditReport, title: String = "Flotilla clock audit") -> String {
        let hosts = report.hosts
        let rowHeight = 22.0, top = 46.0, left = 170.0, right = 290.0, width = 1160.0
        let plotWidth = width - left - right
        let height = top + Double(max(hosts.count, 1)) * rowHeight + 40
        // The axis spans the data and the warning band, and stops a little past the critical band so that one
        // host seconds off does not squash everyone else into the centre line; beyond it, points sit at the edge.
        var extent = report.thresholds.warnSeconds * 1.6
        for h in hosts {
            if let o = h.offset { extent = max(extent, abs(o) + max(0, (h.errorBound ?? 0) - abs(o))) }
            if let c = h.crossCheck, h.offset == nil { extent = max(extent, abs(c.offset) + c.uncertainty) }
        }
        extent = min(extent * 1.1, report.thresholds.criticalSeconds * 1.3)
        func x(_ v: Double) -> Double { left + plotWidth / 2 + max(-1, min(1, v / extent)) * plotWidth / 2 }
        func f(_ v: Double) -> String { SecondsText.fixed(v, 1) }

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\" aria-label=\"clock offset per host\">\n"
        let plotTop = top - 6, plotBottom = height - 34
        // Bands: critical zone (beyond ±critical), warning zone, ok zone.
        svg += rect(left, plotTop, plotWidth, plotBottom - plotTop, fill: "#fdecea")
        let warnLo = x(-report.thresholds.criticalSeconds), warnHi = x(report.thresholds.criticalSeconds)
        svg += rect(warnLo, plotTop, warnHi - warnLo, plotBottom - plotTop, fill: "#fff4e0")
        let okLo = x(-report.thresholds.warnSeconds), okHi = x(report.thresholds.warnSeconds)
        svg += rect(okLo, plotTop, okHi - okLo, plotBottom - plotTop, fill: "#e8f5e9")
        for (value, label, colour) in [(report.thresholds.warnSeconds, "±" + SecondsText.format(report.thresholds.warnSeconds, signed: false) + " warn", "#ef8f00"),
                                        (report.thresholds.criticalSeconds, "±" + SecondsText.format(report.thresholds.criticalSeconds, signed: false) + " critical", "#c62828")]
        where value <= extent {
            for v in [-value, value] {
                svg += "<line x1=\"\(f(x(v)))\" y1=\"\(f(plotTop))\" x2=\"\(f(x(v)))\" y2=\"\(f(plotBottom))\" stroke=\"\(colour)\" stroke-dasharray=\"4 3\"/>\n"
            }
            svg += text(x(-value) - 3, plotTop - 4, label, size: 11, fill: colour, anchor: "end")
        }
        if report.thresholds.criticalSeconds > extent {
            svg += text(left + plotWidth - 4, plotTop - 4, "critical ±" + SecondsText.format(report.thresholds.criticalSeconds, signed: false) + " is off this axis ▶", size: 11, fill: "#c62828", anchor: "end")
        }
        svg += "<line x1=\"\(f(x(0)))\" y1=\"\(f(plotTop))\" x2=\"\(f(x(0)))\" y2=\"\(f(plotBottom))\" stroke=\"#555\"/>\n"
        // Axis ticks.
        for t in [-1.0, -0.5, 0, 0.5, 1] {
            svg += text(x(t * extent), plotBottom + 16, SecondsText.format(t * extent), size: 11, fill: "#333", anchor: "middle")
        }
        svg += text(left + plotWidth / 2, plotBottom + 30, "offset: host clock minus true time (right: host ahead)", size: 11, fill: "#333", anchor: "middle")
        svg += text(left, 16, title + " — " + summaryLine(report), size: 14, fill: "#111", weight: "bold")
        for (i, h) in hosts.enumerated() {
            let y = top + Double(i) * rowHeight + rowHeight / 2
            let colour = colours[h.verdict]!
            if i % 2 == 1 { svg += rect(0, y - rowHeight / 2, left - 6, rowHeight, fill: "#f5f5f5") }
            svg += text(left - 10, y + 4, h.host, size: 12, fill: "#111", anchor: "end")
            // At a glance: the verdict and the offset, or what stands in its way.
            let note = h.offset.map { SecondsText.format($0) } ?? h.findings.first.map { $0.kind.rawValue } ?? ""
            svg += text(width - right + 12, y + 4, h.verdict.rawValue, size: 12, fill: colour, weight: "bold")
            svg += text(width - right + 75, y + 4, note, size: 12, fill: "#333")
            let tip = escape(h.host + ": " + h.verdict.rawValue + (h.findings.first.map { " — " + $0.message } ?? ""))
            if let o = h.offset {
                if let b = h.errorBound {
                    // chrony's bound is on the clock's error, so the bar spans offset ± (bound − |offset|).
                    let half = b - abs(o)
                    svg += "<line class=\"errorbar\" x1=\"\(f(x(o - half)))\" y1=\"\(f(y))\" x2=\"\(f(x(o + half)))\" y2=\"\(f(y))\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
                    for end in [o - half, o + half] {
                        svg += "<line x1=\"\(f(x(end)))\" y1=\"\(f(y - 5))\" x2=\"\(f(x(end)))\" y2=\"\(f(y + 5))\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
                    }
                }
                if let c = h.crossCheck {
                    let cx = x(c.offset)
                    svg += "<path class=\"xcheck\" d=\"M \(f(cx)) \(f(y - 5)) L \(f(cx + 5)) \(f(y)) L \(f(cx)) \(f(y + 5)) L \(f(cx - 5)) \(f(y)) Z\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\"><title>cross-check \(escape(SecondsText.format(c.offset))) ± \(escape(SecondsText.format(c.uncertainty, signed: false)))</title></path>\n"
                }
                svg += "<circle class=\"point\" data-host=\"\(escape(h.host))\" cx=\"\(f(x(o)))\" cy=\"\(f(y))\" r=\"6\" fill=\"\(colour)\" stroke=\"#fff\"><title>\(tip)</title></circle>\n"
                if abs(o) > extent {
                    svg += text(x(o) + (o > 0 ? -10 : 10), y - 8, SecondsText.format(o) + (o > 0 ? " ▶" : ""), size: 10, fill: colour, anchor: o > 0 ? "end" : "start")
                }
            } else if let c = h.crossCheck {
                svg += "<circle class=\"point crosscheck-only\" data-host=\"\(escape(h.host))\" cx=\"\(f(x(c.offset)))\" cy=\"\(f(y))\" r=\"6\" fill=\"#fff\" stroke=\"\(colour)\" stroke-width=\"2\"><title>\(tip) (no chrony offset; controller cross-check \(escape(SecondsText.format(c.offset))))</title></circle>\n"
            } else {
                let cx = x(0)
                svg += "<path class=\"point nodata\" data-host=\"\(escape(h.host))\" d=\"M \(f(cx - 5)) \(f(y - 5)) L \(f(cx + 5)) \(f(y + 5)) M \(f(cx - 5)) \(f(y + 5)) L \(f(cx + 5)) \(f(y - 5))\" stroke=\"\(colour)\" stroke-width=\"2\"><title>\(tip)</title></path>\n"
            }
        }
        svg += "</svg>\n"

        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:16px;color:#111}
        table{border-collapse:collapse;margin-top:16px;font-size:13px}
        td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
        .ok{color:#2e7d32}.warn{color:#ef8f00}.critical{color:#c62828}.unknown{color:#757575}
        .v{font-weight:bold}.legend{font-size:12px;color:#444;margin:6px 0}
        pre{font-size:12px;background:#f7f7f7;padding:8px}
        </style></head><body>

        """
        html += svg
        html += "<div class=\"legend\">● chrony's offset with its error bar (coloured by verdict) &nbsp; ◇ the controller's cross-check &nbsp; ○ cross-check only (no chrony offset) &nbsp; × not measured. Bands: green within ±\(escape(SecondsText.format(report.thresholds.warnSeconds, signed: false))), amber to ±\(escape(SecondsText.format(report.thresholds.criticalSeconds, signed: false))), red beyond.</div>\n"
        html += "<table><tr><th>host</th><th>verdict</th><th>offset</th><th>bound</th><th>cross-check</th><th>source</th><th>findings</th></tr>\n"
        for h in hosts {
            let findings = h.findings.map { "<div class=\"\($0.severity.rawValue)\">\(escape($0.message))</div>" }.joined()
            html += "<tr><td>\(escape(h.host))</td><td class=\"v \(h.verdict.rawValue)\">\(h.verdict.rawValue)</td>"
            html += "<td>\(h.offset.map { escape(SecondsText.format($0)) } ?? "–")</td>"
            html += "<td>\(h.errorBound.map { "±" + escape(SecondsText.format($0, signed: false)) } ?? "–")</td>"
            html += "<td>\(h.crossCheck.map { escape(SecondsText.format($0.offset) + " ± " + SecondsText.format($0.uncertainty, signed: false)) } ?? "–")</td>"
            html += "<td>\(escape(h.source ?? "–"))</td><td>\(findings)</td></tr>\n"
        }
        html += "</table>\n<pre>\(escape(TableRenderer.summary(report)))</pre>\n</body></html>\n"
        return html
    }

    static func summaryLine(_ report: AuditReport) -> String {
        let c = report.counts
        let date = Date(timeIntervalSince1970: report.startedAt)
        let formatter = ISO8601DateFormatter()
        return "\(report.hosts.count) hosts: \(c[.ok, default: 0]) ok, \(c[.warn, default: 0]) warn, \(c[.critical, default: 0]) critical, \(c[.unknown, default: 0]) unknown — \(formatter.string(from: date))"
    }

    static func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String) -> String {
        "<rect x=\"\(SecondsText.fixed(x, 1))\" y=\"\(SecondsText.fixed(y, 1))\" width=\"\(SecondsText.fixed(max(0, w), 1))\" height=\"\(SecondsText.fixed(max(0, h), 1))\" fill=\"\(fill)\"/>\n"
    }

    static func text(_ x: Double, _ y: Double, _ s: String, size: Int, fill: String, anchor: String = "start", weight: String = "normal") -> String {
        "<text x=\"\(SecondsText.fixed(x, 1))\" y=\"\(SecondsText.fixed(y, 1))\" font-size=\"\(size)\" fill=\"\(fill)\" text-anchor=\"\(anchor)\" font-weight=\"\(weight)\" font-family=\"sans-serif\">\(escape(s))</text>\n"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
