/// One host's audit: its verdict, the findings behind it, and the measurements.
public struct HostAudit: Sendable, Codable, Hashable {
    public var host: String
    public var verdict: Verdict
    /// Most severe first.
    public var findings: [Finding]
    public var chrony: ChronyStatus?
    public var crossCheck: ClockCrossCheck?
    public var daemons: [TimeDaemonState]

    public init(host: String, verdict: Verdict, findings: [Finding], chrony: ChronyStatus?, crossCheck: ClockCrossCheck?, daemons: [TimeDaemonState]) {
        self.host = host
        self.verdict = verdict
        self.findings = findings
        self.chrony = chrony
        self.crossCheck = crossCheck
        self.daemons = daemons
    }

    /// chrony's offset (host minus true time), seconds, when chrony claims sync.
    public var offset: Double? { chrony?.clockOffset }
    /// chrony's error bound, seconds, when chrony claims sync.
    public var errorBound: Double? { chrony?.errorBound }
    /// The address of the source chrony follows (`local` for its own clock), when synchronised.
    public var source: String? {
        guard let chrony, chrony.synchronised else { return nil }
        if chrony.followsLocalClock { return "local" }
        return chrony.selectedSource?.address ?? chrony.tracking?.referenceName
    }

    /// Judges an observation. Pure: the same observation and policy give the same audit.
    public static func assess(_ o: HostObservation, policy: AuditPolicy) -> HostAudit {
        var findings: [Finding] = []
        if let reason = o.unreachable {
            findings.append(Finding(.unreachable, .unknown, "unreachable: \(reason)"))
            return HostAudit(host: o.host, verdict: .unknown, findings: findings, chrony: nil, crossCheck: nil, daemons: [])
        }
        // A host that printed a refused value (not finite, out of range) cannot be trusted for anything else it
        // printed: its verdict is unknown, with that reason alone.
        if let reason = o.malformedOutput {
            findings.append(Finding(.auditFailed, .unknown, reason))
            return HostAudit(host: o.host, verdict: .unknown, findings: findings, chrony: nil, crossCheck: nil, daemons: [])
        }
        let daemons = o.daemons ?? o.facts.map(TimeDaemons.states(from:)) ?? []
        if let error = o.factsError { findings.append(Finding(.auditFailed, .unknown, "time daemons: \(error)")) }
        findings += TimeDaemons.findings(daemons, expectations: policy.daemons)
        if let timeGuard = o.timeGuard { findings += timeGuard.findings(removed: policy.daemons.guarded, daemons: daemons) }
        if let error = o.chronyError { findings.append(Finding(.auditFailed, .unknown, "chrony check: \(error)")) }
        if let s = o.chrony {
            findings += chronyFindings(s, crossCheck: o.crossCheck, policy: policy)
        }
        // The audit could not tell: an unknown finding, counted in the unknown tally unless something worse is known.
        if let error = o.crossCheckError { findings.append(Finding(.auditFailed, .unknown, error)) }
        // A daemon finding about chrony's unit already says chrony is stopped; keep the chronyc answer too
        // (it says what chronyc saw), but never count the same cause twice in the verdict: severities just max.
        findings.sort { $0.severity > $1.severity }
        let verdict = findings.map(\.severity).max() ?? .ok
        return HostAudit(host: o.host, verdict: verdict, findings: findings, chrony: o.chrony, crossCheck: o.crossCheck, daemons: daemons)
    }

    static func chronyFindings(_ s: ChronyStatus, crossCheck: ClockCrossCheck?, policy: AuditPolicy) -> [Finding] {
        var out: [Finding] = []
        switch s.daemon {
        case .absent:
            // Nothing the audit can vouch for keeps this clock: as bad as a stopped chronyd, not a shrug.
            return [Finding(.chronyAbsent, .critical, "chrony is not installed: nothing the audit can vouch for keeps this clock")]
        case .notRunning, .failed:
            return [Finding(.chronyNotRunning, .critical, s.notSynchronisedReason ?? "chronyd is not running")]
        case .running:
            break
        }
        if let reason = s.notSynchronisedReason {
            out.append(Finding(.notSynchronised, .critical, "not synchronised: \(reason)"))
        }
        if let offset = s.clockOffset, s.synchronised {
            let text = SecondsText.format(offset)
            if abs(offset) > policy.critical {
                out.append(Finding(.offsetCritical, .critical, "offset \(text) is beyond the critical ±\(SecondsText.format(policy.critical, signed: false))"))
            } else if abs(offset) > policy.maxOffset {
                out.append(Finding(.offsetWarning, .warn, "offset \(text) is beyond ±\(SecondsText.format(policy.maxOffset, signed: false))"))
            } else {
                // ok only when confirmed: the offset with its error bound (|offset| + root dispersion + root delay / 2)
                // within --max-offset (equal is within, as for the offset itself) ...
                let limit = "±" + SecondsText.format(policy.maxOffset, signed: false)
                if let bound = s.errorBound, bound > policy.maxOffset {
                    out.append(Finding(.boundTooLarge, .warn, "cannot confirm within \(limit): \(text) ± \(SecondsText.format(bound, signed: false))"))
                }
                // ... and the selected source's latest sample agreeing: right after the source changes, chrony's
                // estimate lags its samples for a minute or more. The sample as measured and as adjusted for the
                // corrections since must both be beyond the threshold: after a step, the adjusted one is small.
                if !s.followsLocalClock, let source = s.selectedSource {
                    let sample = abs(source.measuredOffset) <= abs(source.offset) ? source.measuredOffset : source.offset
                    if abs(sample) > policy.maxOffset {
                        out.append(Finding(
                            .sampleDisagrees, .warn,
                            "the selected source's last sample is \(SecondsText.format(abs(sample), signed: false)) off (beyond \(limit)); chrony has not caught up yet (its offset: \(text))"))
                    }
                }
            }
        }
        if s.synchronised {
            if s.followsLocalClock {
                out.append(Finding(.localClock, .warn, "chrony follows its own clock (local stratum): no source is usable"))
            } else if s.followsExpectedSource == false {
                let selected = s.selectedSource?.address ?? "?"
                out.append(Finding(.unexpectedSource, .warn, "follows \(selected), not the expected \(s.expectedSources.joined(separator: " or "))"))
            }
            for source in s.sources where source.reach == 0 {
                out.append(Finding(.sourceUnreachable, .warn, "source \(ChronyStatus.describe(source))"))
            }
        }
        if let crossCheck, let difference = crossCheck.disagreement(with: s), let tracking = s.tracking {
            out.append(Finding(
                .crossCheckDisagrees, .critical,
                "chrony claims offset \(SecondsText.format(-tracking.systemTime)) but the controller measured \(SecondsText.format(crossCheck.offset)) ± \(SecondsText.format(crossCheck.uncertainty, signed: false)): they differ by \(SecondsText.format(abs(difference), signed: false)), beyond the combined bound \(SecondsText.format(crossCheck.tolerance(against: tracking), signed: false))"))
        }
        return out
    }
}
