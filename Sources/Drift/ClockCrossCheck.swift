public import FlotillaCore
import Foundation

/// An independent reading of a host's clock from the controller, over the already open connection.
///
/// Each sample runs `date +%s.%N` and times it locally: the host read its clock somewhere between sending the
/// command and receiving the answer, so `host − midpoint` is off by at most half the round trip. The sample with
/// the smallest round trip wins (the tightest bound, not an average of loose ones). The offset is relative to the
/// CONTROLLER's clock: it is only as good as that clock.
public struct ClockCrossCheck: Sendable, Codable, Hashable {
    /// Host clock minus controller clock, seconds (positive: the host is ahead).
    public var offset: Double
    /// Half the best sample's round trip, seconds: the host's reading lies within offset ± uncertainty.
    public var uncertainty: Double
    /// The best sample's round trip, seconds.
    public var roundTrip: Double
    /// How many samples were taken.
    public var samples: Int

    public init(offset: Double, uncertainty: Double, roundTrip: Double, samples: Int) {
        self.offset = offset
        self.uncertainty = uncertainty
        self.roundTrip = roundTrip
        self.samples = samples
    }

    /// A margin added to every comparison, seconds: the controller's own clock error (it is normally synced by
    /// NTP itself to a few milliseconds) and the granularity of the timestamps. Without it a perfectly synced
    /// host over a fast link could be flagged for the controller's own error.
    public static let floor = 0.005

    /// One timed reading: controller wall times around the command, and the host's answer.
    public struct Sample: Sendable, Hashable {
        public var sent: Double
        public var received: Double
        public var host: Double
        public init(sent: Double, received: Double, host: Double) {
            self.sent = sent
            self.received = received
            self.host = host
        }
        public var roundTrip: Double { received - sent }
    }

    /// The cross-check from samples: the one with the smallest round trip.
    public static func best(of samples: [Sample]) -> ClockCrossCheck? {
        guard let best = samples.min(by: { $0.roundTrip < $1.roundTrip }) else { return nil }
        let midpoint = best.sent + best.roundTrip / 2
        return ClockCrossCheck(offset: best.host - midpoint, uncertainty: best.roundTrip / 2, roundTrip: best.roundTrip, samples: samples.count)
    }

    /// Takes `samples` readings over `connection` and keeps the best.
    ///
    /// Each reading is a plain `date +%s.%N` (no `timeout` wrapper, whose extra processes would start before
    /// `date` and widen the window) streamed, so that "received" is when the answer arrived, not when the
    /// channel closed afterwards. A reading that takes more than `limit` fails the cross-check.
    public static func measure(on connection: any Connection, samples count: Int = 5, limit: Duration = .seconds(10)) async throws -> ClockCrossCheck {
        let host = connection.target.name
        guard count > 0 else { throw DriftError.invalidSetting(name: "cross-check samples", value: String(count), reason: "at least one sample is needed") }
        var samples: [Sample] = []
        for _ in 0..<count {
            samples.append(try await sample(on: connection, host: host, limit: limit))
        }
        return best(of: samples)!
    }

    static func sample(on connection: any Connection, host: String, limit: Duration) async throws -> Sample {
        try await withThrowingTaskGroup(of: Sample?.self) { group in
            group.addTask {
                let command = RemoteCommand(.argv(["date", "+%s.%N"]))
                let clock = ContinuousClock()
                let sentWall = Date().timeIntervalSince1970
                let start = clock.now
                var output: [UInt8] = []
                var arrived: Duration?
                var status = ExitStatus.unknown
                for try await event in connection.stream(command) {
                    switch event {
                    case .output(.stdout(let bytes)):
                        output += bytes
                        if arrived == nil, output.contains(UInt8(ascii: "\n")) { arrived = clock.now - start }
                    case .output(.stderr(let bytes)):
                        output += bytes
                    case .exit(let s):
                        status = s
                    }
                }
                let text = String(decoding: output, as: UTF8.self).trimmingWhitespace()
                guard status.isSuccess else {
                    throw DriftError.crossCheckFailed(host: host, reason: "`date +%s.%N` ended with \(status): \(text.prefix(200))")
                }
                // GNU date prints nanoseconds; a date without %N support prints "N" literally.
                guard text.allSatisfy({ $0.isNumber || $0 == "." }), let value = Double(text) else {
                    throw DriftError.crossCheckFailed(host: host, reason: "`date +%s.%N` printed \"\(text.prefix(40))\", not seconds.nanoseconds")
                }
                let roundTrip = (arrived ?? (clock.now - start)).seconds
                return Sample(sent: sentWall, received: sentWall + roundTrip, host: value)
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let sample = first else {
                throw DriftError.crossCheckFailed(host: host, reason: "`date +%s.%N` did not answer within \(DurationText.format(limit))")
            }
            return sample
        }
    }

    /// How far chrony's claim and this reading may differ before they disagree: chrony's own uncertainty about
    /// its offset (root dispersion + root delay / 2; the |offset| term of its error bound is the very quantity
    /// compared, so it is left out) plus this reading's uncertainty plus `floor`.
    public func tolerance(against tracking: ChronyTracking) -> Double {
        tracking.rootDispersion + tracking.rootDelay / 2 + uncertainty + Self.floor
    }

    /// The disagreement in seconds when the host's chrony claims sync but its offset and this reading differ
    /// beyond `tolerance(against:)`; nil when they agree or chrony claims nothing.
    public func disagreement(with status: ChronyStatus) -> Double? {
        guard status.synchronised, let tracking = status.tracking, let chronyOffset = status.clockOffset else { return nil }
        let difference = chronyOffset - offset
        return abs(difference) > tolerance(against: tracking) ? difference : nil
    }
}
