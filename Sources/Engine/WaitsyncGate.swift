public import FlotillaCore
public import Plan
import Drift

/// The sync gate as `chronyc waitsync` alone: passes when chronyd reports synchronisation within the gate's
/// maximum correction and skew before its tries run out. It cannot check the source nor the offset: when
/// the gate names a source or a maximum offset, use the Drift module's waiter, which can.
public struct WaitsyncGate: SyncWaiter {
    public init() {}

    public func waitForSync(_ connection: any Connection, gate: SyncGate, source: String?, become: Become?) async throws -> SyncVerdict {
        let limit = Double(gate.tries) * max(gate.interval, 0.1) + 15
        let argv = ChronyWaitsync.argv(tries: gate.tries, maxCorrection: gate.maxCorrection, maxSkew: gate.maxSkew, interval: gate.interval)
        var command = RemoteCommand(.argv(argv), timeout: .milliseconds(Int64(limit * 1000)))
        command.become = become
        command.outputLimit = 64 << 10
        let result = try await connection.run(command)
        if result.status.isSuccess {
            return SyncVerdict(passed: true, detail: "chronyc waitsync: synchronised (max correction \(gate.maxCorrection) s)")
        }
        let said = HostExecutor.lastLine(result.stderr, or: result.stdout)
        return SyncVerdict(
            passed: false,
            detail: "chrony did not synchronise within \(gate.tries) tries \(gate.interval) s apart (max correction \(gate.maxCorrection) s): "
                + "chronyc waitsync \(result.status)" + (said == "no output" ? "" : ": \(said)"))
    }
}
