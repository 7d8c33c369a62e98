public import FlotillaCore
public import Plan

/// The sync gate's check on one host, over the host's connection: chrony synchronised to an expected
/// source within the gate's bounds. The Drift module provides the real one (`DriftSyncWaiter`); tests may
/// pass their own.
public protocol SyncWaiter: Sendable {
    /// Waits as the gate says and returns the verdict. `source` is the gate's expected source with the
    /// host's variables resolved. Throws only when the connection could not carry the commands.
    func waitForSync(_ connection: any Connection, gate: SyncGate, source: String?, become: Become?) async throws -> SyncVerdict
}

/// What the sync gate saw on a host.
public struct SyncVerdict: Sendable, Hashable, Codable {
    public var passed: Bool
    /// One sentence: "synchronised to 10.0.0.1, offset +0.3 ms" or why not.
    public var detail: String

    public init(passed: Bool, detail: String) {
        self.passed = passed
        self.detail = detail
    }
}
