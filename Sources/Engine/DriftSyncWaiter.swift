public import FlotillaCore
public import Plan
public import Drift
import Foundation

/// The sync gate through the Drift module: chrony synchronised, to the gate's expected source when it names
/// one, with |offset| within the gate's bound, waiting up to tries × interval (`SyncCheck.waitForSync`).
/// Says why a host fails: no chronyd, no reachable source, another source selected, offset too large.
public struct DriftSyncWaiter: SyncWaiter {
    public init() {}

    /// The check the gate runs: the playbook's bounds, the expected source, and the audit's critical 1 s.
    public static func check(for gate: SyncGate, source: String?, become: Become?) -> SyncCheck {
        // The gate's maximum offset when given, else its maximum remaining correction (0: not checked).
        let bound = gate.maxOffset ?? (gate.maxCorrection > 0 ? gate.maxCorrection : nil)
        var check = SyncCheck(expectedSources: source.map { [$0] } ?? [], become: become, maxOffset: bound)
        // waitsync waits with the playbook's max_correction and max_skew (0: not checked), not with max_offset.
        check.maxCorrection = gate.maxCorrection
        check.maxSkew = gate.maxSkew
        // The gate vouches for what the audit will: the error bound within the audit's default critical 1 s.
        check.maxErrorBound = 1.0
        return check
    }

    public func waitForSync(_ connection: any Connection, gate: SyncGate, source: String?, become: Become?) async throws -> SyncVerdict {
        let interval = max(gate.interval, 0.1)
        let timeout = Double(max(1, gate.tries)) * interval
        let check = Self.check(for: gate, source: source, become: become)
        let wait = try await check.waitForSync(
            on: connection, timeout: .milliseconds(Int64(timeout * 1000)), interval: .milliseconds(Int64(interval * 1000)))
        let status = wait.status
        let waited = String(format: "%.1f", wait.waited)
        guard wait.passed else {
            return SyncVerdict(passed: false, detail: (wait.failure ?? "not synchronised") + (source.map { " (expected source \($0))" } ?? ""))
        }
        let selected = status.selectedSource?.address ?? status.tracking?.referenceName ?? "its source"
        let offset = status.clockOffset.map { ", offset \(SecondsText.format($0))" } ?? ""
        return SyncVerdict(passed: true, detail: "synchronised to \(selected)\(offset) after \(waited) s")
    }
}
