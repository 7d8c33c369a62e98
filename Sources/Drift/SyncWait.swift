public import FlotillaCore

/// The outcome of waiting for a host to synchronise (apply's sync gate).
public struct SyncWait: Sendable, Codable, Hashable {
    /// The last check's answer.
    public var status: ChronyStatus
    /// True when the host is synchronised, to an expected source, within the offset bound.
    public var passed: Bool
    /// Why not, in words (no source answered, wrong source, offset too large, chronyd not running...).
    public var failure: String?
    /// Seconds spent waiting.
    public var waited: Double

    public init(status: ChronyStatus, passed: Bool, failure: String?, waited: Double) {
        self.status = status
        self.passed = passed
        self.failure = failure
        self.waited = waited
    }
}

/// `chronyc waitsync`, built in this one place for the rollout's sync gate and for `SyncCheck.waitForSync`.
public enum ChronyWaitsync {
    /// `chronyc waitsync TRIES MAX-CORRECTION MAX-SKEW INTERVAL`: at most `tries` checks `interval` seconds apart,
    /// until chronyd is synchronised with a remaining correction within `maxCorrection` seconds and a skew within
    /// `maxSkew` ppm (0: that bound is not checked).
    public static func argv(tries: Int, maxCorrection: Double, maxSkew: Double, interval: Double) -> [String] {
        ["chronyc", "waitsync", String(max(1, tries)), SecondsText.fixed(max(0, maxCorrection), 6),
         SecondsText.fixed(max(0, maxSkew), 3), SecondsText.fixed(max(0.1, interval), 3)]
    }
}

extension SyncCheck {
    /// Waits until the host passes this check or `timeout` runs out, and says why when it does not.
    ///
    /// One check first: a host without chrony, without a running chronyd or without any source fails at once
    /// (waiting cannot help). A chronyc that failed otherwise (timed out on a busy host, killed) is asked again
    /// every `interval` until the deadline: that answer says nothing about the host's time. Otherwise chrony waits on the host, in one round trip: `chronyc waitsync TRIES
    /// MAXCORR MAXSKEW INTERVAL`, where MAXCORR is `maxCorrection`, else `maxOffset`, and MAXSKEW is `maxSkew` (0: not
    /// checked). waitsync alone never says why it
    /// failed (with no usable source it just times out), so the same check runs again afterwards, and is
    /// repeated every `interval` until the deadline when waitsync was satisfied but the check is not (a source
    /// other than the expected one still selected).
    public func waitForSync(on connection: any Connection, timeout: Duration, interval: Duration = .seconds(1)) async throws -> SyncWait {
        let clock = ContinuousClock()
        let start = clock.now
        func waited() -> Double { (clock.now - start).seconds }
        var status = try await run(on: connection)
        // A chronyc that failed (timed out on a busy host, killed) says nothing about the time: ask again.
        while case .failed = status.daemon, clock.now - start + interval < timeout {
            try await Task.sleep(for: interval)
            status = try await run(on: connection)
        }
        if failure(of: status) == nil { return SyncWait(status: status, passed: true, failure: nil, waited: waited()) }
        if status.daemon != .running || status.sources.isEmpty {
            return SyncWait(status: status, passed: false, failure: failure(of: status), waited: waited())
        }
        let step = max(interval.seconds, 0.1)
        let remaining = timeout - (clock.now - start)
        if remaining > .zero {
            let tries = max(1, Int((remaining.seconds / step).rounded(.down)))
            let argv = ChronyWaitsync.argv(tries: tries, maxCorrection: maxCorrection ?? maxOffset ?? 0, maxSkew: maxSkew ?? 0, interval: step)
            var wait = RemoteCommand(.argv(argv), timeout: remaining + .seconds(5), become: become)
            wait.outputLimit = 64 << 10
            _ = try await connection.run(wait)
            status = try await run(on: connection)
        }
        while failure(of: status) != nil, clock.now - start + interval < timeout {
            try await Task.sleep(for: interval)
            status = try await run(on: connection)
        }
        let reason = failure(of: status)
        return SyncWait(
            status: status, passed: reason == nil,
            failure: reason.map { "\($0) (after waiting \(SecondsText.fixed(waited(), 1)) s)" }, waited: waited())
    }

    /// `waitForSync` with the check's settings given in one call.
    public static func waitForSync(
        _ connection: any Connection, expected: [String], maxOffset: Double?, timeout: Duration,
        interval: Duration = .seconds(1), become: Become? = nil
    ) async throws -> SyncWait {
        try await SyncCheck(expectedSources: expected, become: become, maxOffset: maxOffset)
            .waitForSync(on: connection, timeout: timeout, interval: interval)
    }
}
