/// One line of `chronyc -c sources`, typed.
///
/// Offsets follow chrony: positive when the local clock is ahead of the source.
public struct ChronySource: Sendable, Codable, Hashable {
    public enum Mode: String, Sendable, Codable, Hashable, CaseIterable {
        /// `^`: a server.
        case server = "^"
        /// `=`: a peer.
        case peer = "="
        /// `#`: a local reference clock.
        case referenceClock = "#"
    }

    public enum State: String, Sendable, Codable, Hashable, CaseIterable {
        /// `*`: the source chrony is synchronised to.
        case selected = "*"
        /// `+`: acceptable, combined with the selected source.
        case combined = "+"
        /// `-`: acceptable but excluded by the combining algorithm.
        case notCombined = "-"
        /// `?`: connectivity lost or packets failing all tests.
        case unreachable = "?"
        /// `x`: a false ticker (disagrees with the majority).
        case falseTicker = "x"
        /// `~`: too variable.
        case tooVariable = "~"

        public var meaning: String {
            switch self {
            case .selected: "selected"
            case .combined: "combined"
            case .notCombined: "not combined"
            case .unreachable: "unreachable"
            case .falseTicker: "false ticker"
            case .tooVariable: "too variable"
            }
        }
    }

    public var mode: Mode
    public var state: State
    /// The source's address (or name, or refclock name) as chronyc prints it.
    public var address: String
    public var stratum: Int
    /// log2 of the polling interval in seconds (may be negative).
    public var poll: Int
    /// The reachability register: the last 8 polls, newest in bit 0 (chronyc prints it in octal, 377 = all).
    public var reach: Int
    /// Seconds since the last sample; nil when none was ever received (chronyc prints 4294967295).
    public var lastRx: UInt32?
    /// Seconds: the last sample's offset, adjusted for slews since.
    public var offset: Double
    /// Seconds: the last sample's offset as measured.
    public var measuredOffset: Double
    /// Seconds: the last sample's error bound.
    public var errorBound: Double

    public init(
        mode: Mode, state: State, address: String, stratum: Int, poll: Int, reach: Int, lastRx: UInt32?,
        offset: Double, measuredOffset: Double, errorBound: Double
    ) {
        self.mode = mode
        self.state = state
        self.address = address
        self.stratum = stratum
        self.poll = poll
        self.reach = reach
        self.lastRx = lastRx
        self.offset = offset
        self.measuredOffset = measuredOffset
        self.errorBound = errorBound
    }

    /// How many of the last 8 polls were answered.
    public var answeredPolls: Int { (reach & 0xff).nonzeroBitCount }
    /// The reach register as chronyc prints it (`377`).
    public var reachText: String { String(reach, radix: 8) }
    /// The last poll was answered.
    public var lastPollAnswered: Bool { reach & 1 == 1 }
}

/// Reads `chronyc -c sources`.
public enum ChronySources {
    public static let command = "chronyc -c sources"
    public static let fields = [
        "mode", "state", "address", "stratum", "poll", "reach", "last rx", "offset", "measured offset", "error bound",
    ]

    /// Every line, typed; empty output means no sources are configured. Any odd line is a `cannotRead`
    /// naming its line and field.
    public static func parse(_ output: String) throws(DriftError) -> [ChronySource] {
        var sources: [ChronySource] = []
        for (number, text) in numberedLines(output) {
            sources.append(try parse(csvLine: text, line: number))
        }
        return sources
    }

    public static func parse(csvLine: some StringProtocol, line: Int = 1) throws(DriftError) -> ChronySource {
        let f = try CSVFields(Substring(csvLine), names: fields, command: command, line: line)
        let rx = try f.unsigned32(6)
        return ChronySource(
            mode: try f.oneOf(0, Dictionary(uniqueKeysWithValues: ChronySource.Mode.allCases.map { ($0.rawValue, $0) })),
            state: try f.oneOf(1, Dictionary(uniqueKeysWithValues: ChronySource.State.allCases.map { ($0.rawValue, $0) })),
            address: try f.nonEmpty(2),
            stratum: try f.int(3, range: 0...16),
            poll: try f.int(4, range: -32...32),
            reach: try f.octal(5, max: 0o377),
            lastRx: rx == UInt32.max ? nil : rx,
            offset: try f.double(7),
            measuredOffset: try f.double(8),
            errorBound: try f.double(9, nonNegative: true)
        )
    }
}
