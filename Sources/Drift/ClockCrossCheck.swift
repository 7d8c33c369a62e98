public import FlotillaCore

/// An independent reading of a host's clock from the controller, over the already open connection.
///
/// Each sample is one turn of a conversation over a single command (`Connection.converse`): the controller sends
/// a line, the host answers with its clock, and the turn is timed on the controller. The host read its clock
/// somewhere between the prompt leaving and the answer arriving, so `host − midpoint` is off by at most half
/// the round trip. The sample with
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

    /// The remote side: answers every line on stdin with the host's clock, `seconds.nanoseconds`, until stdin
    /// closes. GNU coreutils' `date -f -` reads one date per line and, line-buffered by `stdbuf`, answers each at
    /// once from one process; without stdbuf a shell loop forks one `date` per line.
    public static let script = """
        if command -v stdbuf >/dev/null 2>&1; then stdbuf -oL date -f - +%s.%N; else while read -r _; do date +%s.%N; done; fi

        """

    /// The prompt each turn sends: a date `date -f` reads as the present moment (the shell loop ignores it).
    public static func turns(_ count: Int) -> Turns { Turns(count: count, prompt: Array("now\n".utf8)) }

    /// Takes `samples` readings over `connection`, as one command answering in turns, and keeps the best.
    public static func measure(on connection: any Connection, samples count: Int = 5, limit: Duration = .seconds(10)) async throws -> ClockCrossCheck {
        let host = connection.target.name
        guard count > 0 else { throw DriftError.invalidSetting(name: "cross-check samples", value: String(count), reason: "at least one sample is needed") }
        let command = RemoteCommand(.argv(["sh", "-c", script]), timeout: limit)
        let conversation = try await connection.converse(command, turns: turns(count))
        return try reading(conversation.turns, result: conversation.result, host: host)
    }

    /// The cross-check from a conversation's turns: every answer must be `seconds.nanoseconds`, and at least
    /// one must have come back.
    public static func reading(_ turns: [Turn], result: CommandResult, host: String) throws(DriftError) -> ClockCrossCheck {
        var samples: [Sample] = []
        for turn in turns {
            let text = turn.answerText.trimmingWhitespace()
            // GNU date prints nanoseconds; a date without %N support prints "N" literally.
            guard !text.isEmpty, text.allSatisfy({ $0.isNumber || $0 == "." }), let value = Double(text) else {
                throw .crossCheckFailed(host: host, reason: "the clock reading was \"\(text.prefix(40))\", not seconds.nanoseconds")
            }
            // Digits alone can still overflow (a thousand of them read as infinity) or be absurd.
            if let reason = HostNumber.problem(Substring(text)) {
                throw .malformedOutput(host: host, source: "clock cross-check", field: "clock reading", value: String(text), reason: reason)
            }
            samples.append(Sample(sent: turn.sent, received: turn.received, host: value))
        }
        guard let best = best(of: samples) else {
            let stderr = result.stderrText.trimmingWhitespace()
            let why = result.status == .timedOut ? "no clock reading came back in time" : "no clock reading came back (\(result.status))"
            throw .crossCheckFailed(host: host, reason: why + (stderr.isEmpty ? "" : ": \(stderr.prefix(200))"))
        }
        return best
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
