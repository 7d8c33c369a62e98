/// The audit in Prometheus text exposition format (0.0.4), for node-exporter's textfile collector. Metric names
/// follow chrony_exporter where it has one (`chrony_tracking_*`, `chrony_sources_*`, with chrony's own signs);
/// Flotilla's own are `flotilla_audit_*`. Every series has a `host` label.
public enum PrometheusRenderer {
    public static func render(_ report: AuditReport) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: [(String, String)], value: Double)]) {
            guard !samples.isEmpty else { return }
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for s in samples {
                let labels = s.labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",")
                out += name + (labels.isEmpty ? "" : "{\(labels)}") + " \(number(s.value))\n"
            }
        }
        let hosts = report.hosts
        let tracked = hosts.compactMap { h in h.chrony?.tracking.map { (h, $0) } }.filter { $0.1.claimsSync }
        family("chrony_tracking_system_time_seconds", "gauge",
               "chrony's system time offset (positive when the clock is behind NTP time), as chronyc tracking reports it.",
               tracked.map { ([("host", $0.0.host)], $0.1.systemTime) })
        family("chrony_tracking_last_offset_seconds", "gauge", "Offset of the last clock update.",
               tracked.map { ([("host", $0.0.host)], $0.1.lastOffset) })
        family("chrony_tracking_rms_offset_seconds", "gauge", "Long-term average of the offset.",
               tracked.map { ([("host", $0.0.host)], $0.1.rmsOffset) })
        family("chrony_tracking_root_delay_seconds", "gauge", "Network path delay to the stratum-1 computer.",
               tracked.map { ([("host", $0.0.host)], $0.1.rootDelay) })
        family("chrony_tracking_root_dispersion_seconds", "gauge", "Dispersion accumulated back to the stratum-1 computer.",
               tracked.map { ([("host", $0.0.host)], $0.1.rootDispersion) })
        family("chrony_tracking_stratum", "gauge", "chrony's stratum.",
               tracked.map { ([("host", $0.0.host)], Double($0.1.stratum)) })
        family("chrony_tracking_frequency_ppm", "gauge", "Frequency error of the system clock, ppm (positive: fast).",
               tracked.map { ([("host", $0.0.host)], $0.1.frequency) })
        family("chrony_tracking_skew_ppm", "gauge", "Error bound of the frequency, ppm.",
               tracked.map { ([("host", $0.0.host)], $0.1.skew) })
        family("chrony_tracking_update_interval_seconds", "gauge", "Interval between the last two clock updates.",
               tracked.map { ([("host", $0.0.host)], $0.1.updateInterval) })
        family("chrony_tracking_last_update_age_seconds", "gauge", "Seconds since chrony last updated the clock.",
               hosts.compactMap { h in h.chrony?.sinceLastUpdate.map { ([("host", h.host)], $0) } })
        family("chrony_tracking_info", "gauge", "The reference chrony follows and its leap status.",
               tracked.map { ([("host", $0.0.host), ("tracking_ref", $0.1.referenceIDText), ("tracking_address", $0.1.referenceName), ("leap_status", $0.1.leapStatus.rawValue)], 1) })
        let sources = hosts.flatMap { h in (h.chrony?.sources ?? []).map { (h.host, $0) } }
        family("chrony_sources_reachability_ratio", "gauge", "Share of the last 8 polls the source answered.",
               sources.map { ([("host", $0.0), ("source_address", $0.1.address), ("source_state", $0.1.state.meaning)], Double($0.1.answeredPolls) / 8) })
        family("chrony_sources_last_sample_offset_seconds", "gauge", "The source's last sample offset (positive: the local clock is ahead).",
               sources.map { ([("host", $0.0), ("source_address", $0.1.address)], $0.1.offset) })
        family("flotilla_audit_synchronised", "gauge", "1 when chrony is synchronised to a source (or its local stratum), else 0.",
               hosts.compactMap { h in h.chrony.map { ([("host", h.host)], $0.synchronised ? 1 : 0) } })
        family("flotilla_audit_offset_seconds", "gauge", "Host clock minus true time by chrony (positive: the host is ahead).",
               hosts.compactMap { h in h.offset.map { ([("host", h.host)], $0) } })
        family("flotilla_audit_error_bound_seconds", "gauge", "|offset| + root dispersion + root delay / 2.",
               hosts.compactMap { h in h.errorBound.map { ([("host", h.host)], $0) } })
        family("flotilla_audit_crosscheck_offset_seconds", "gauge", "Host clock minus the controller's clock, measured over SSH.",
               hosts.compactMap { h in h.crossCheck.map { ([("host", h.host)], $0.offset) } })
        family("flotilla_audit_crosscheck_uncertainty_seconds", "gauge", "Half the round trip of the best cross-check sample.",
               hosts.compactMap { h in h.crossCheck.map { ([("host", h.host)], $0.uncertainty) } })
        family("flotilla_audit_verdict", "gauge", "1 for the host's verdict, 0 for the others.",
               hosts.flatMap { h in Verdict.allCases.map { v in ([("host", h.host), ("verdict", v.rawValue)], h.verdict == v ? 1.0 : 0.0) } })
        family("flotilla_audit_findings", "gauge", "Findings per host and kind.",
               hosts.flatMap { h in
                   Dictionary(grouping: h.findings, by: \.kind).sorted { $0.key.rawValue < $1.key.rawValue }
                       .map { ([("host", h.host), ("kind", $0.key.rawValue), ("severity", $0.value.map(\.severity).max()!.rawValue)], Double($0.value.count)) }
               })
        family("flotilla_audit_fleet_spread_seconds", "gauge", "Largest minus smallest offset across the fleet.",
               report.fleet.spread.map { [([], $0)] } ?? [])
        family("flotilla_audit_timestamp_seconds", "gauge", "When the audit ran (Unix time).", [([], report.startedAt)])
        return out
    }

    /// Label values escape backslash, double quote and line feed.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    /// Go's strconv-compatible text for a float: integers without a fraction, others with full precision.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
