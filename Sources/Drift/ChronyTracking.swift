/// chronyd's view of the system clock: one line of `chronyc -c tracking`, typed.
///
/// Signs are chrony's own: `systemTime` is positive when the system clock is BEHIND (text mode: "slow of NTP
/// time"), `frequency` positive when the clock runs fast. `ChronyStatus.clockOffset` turns the first into the
/// usual "host clock minus true time".
public struct ChronyTracking: Sendable, Codable, Hashable {
    /// The leap status, which chrony also uses to say it is not synchronised.
    public enum LeapStatus: String, Sendable, Codable, Hashable, CaseIterable {
        case normal = "Normal"
        case insertSecond = "Insert second"
        case deleteSecond = "Delete second"
        case notSynchronised = "Not synchronised"
    }

    /// The reference ID (the selected source's IPv4 address, a hash of an IPv6 one, or a refclock's name);
    /// 0 when there is no reference.
    public var referenceID: UInt32
    /// The reference's address (or name); empty when there is none or it is the local clock.
    public var referenceName: String
    public var stratum: Int
    /// When the last measurement was used, as a Unix time in seconds (0 when never).
    public var referenceTime: Double
    /// Seconds; positive when the system clock is behind NTP time.
    public var systemTime: Double
    /// The last clock update's estimated offset, seconds.
    public var lastOffset: Double
    /// Long-term average of the offset, seconds.
    public var rmsOffset: Double
    /// ppm; positive when the clock runs fast if left uncorrected.
    public var frequency: Double
    /// ppm.
    public var residualFrequency: Double
    /// ppm, the estimated error bound of the frequency.
    public var skew: Double
    /// Seconds: total network path delay to the stratum-1 computer.
    public var rootDelay: Double
    /// Seconds: total dispersion accumulated through all computers back to stratum 1.
    public var rootDispersion: Double
    /// Seconds between the last two clock updates.
    public var updateInterval: Double
    public var leapStatus: LeapStatus

    public init(
        referenceID: UInt32, referenceName: String, stratum: Int, referenceTime: Double, systemTime: Double,
        lastOffset: Double, rmsOffset: Double, frequency: Double, residualFrequency: Double, skew: Double,
        rootDelay: Double, rootDispersion: Double, updateInterval: Double, leapStatus: LeapStatus
    ) {
        self.referenceID = referenceID
        self.referenceName = referenceName
        self.stratum = stratum
        self.referenceTime = referenceTime
        self.systemTime = systemTime
        self.lastOffset = lastOffset
        self.rmsOffset = rmsOffset
        self.frequency = frequency
        self.residualFrequency = residualFrequency
        self.skew = skew
        self.rootDelay = rootDelay
        self.rootDispersion = rootDispersion
        self.updateInterval = updateInterval
        self.leapStatus = leapStatus
    }

    /// The command whose output this reads.
    public static let command = "chronyc -c tracking"

    /// The field names, in chrony's order, as error messages name them.
    public static let fields = [
        "reference ID", "reference name", "stratum", "reference time", "system time", "last offset", "RMS offset",
        "frequency", "residual frequency", "skew", "root delay", "root dispersion", "update interval", "leap status",
    ]

    /// Reads the output of `chronyc -c tracking`: exactly one line of 14 fields (surrounding blank lines are
    /// ignored). Anything else is a `cannotRead` naming the field.
    public static func parse(_ output: String) throws(DriftError) -> ChronyTracking {
        let lines = numberedLines(output)
        guard let first = lines.first else {
            throw .cannotRead(command: command, line: 1, field: fields[0], value: "", reason: "no output", host: nil)
        }
        if lines.count > 1 {
            throw .cannotRead(
                command: command, line: lines[1].number, field: "line", value: String(lines[1].text),
                reason: "one line expected, found \(lines.count)", host: nil)
        }
        return try parse(csvLine: first.text, line: first.number)
    }

    /// Reads one CSV line of `chronyc -c tracking`.
    public static func parse(csvLine: some StringProtocol, line: Int = 1) throws(DriftError) -> ChronyTracking {
        let f = try CSVFields(Substring(csvLine), names: fields, command: command, line: line)
        return ChronyTracking(
            referenceID: try f.hex32(0),
            referenceName: f.string(1),
            stratum: try f.int(2, range: 0...16),
            referenceTime: try f.double(3, nonNegative: true),
            systemTime: try f.double(4),
            lastOffset: try f.double(5),
            rmsOffset: try f.double(6, nonNegative: true),
            frequency: try f.double(7),
            residualFrequency: try f.double(8),
            skew: try f.double(9, nonNegative: true),
            rootDelay: try f.double(10, nonNegative: true),
            rootDispersion: try f.double(11, nonNegative: true),
            updateInterval: try f.double(12, nonNegative: true),
            leapStatus: try f.oneOf(13, Dictionary(uniqueKeysWithValues: LeapStatus.allCases.map { ($0.rawValue, $0) }))
        )
    }

    /// chrony's reference ID for its own clock under `local stratum N` ("LOCL").
    public static let localReferenceID: UInt32 = 0x7F7F_0101

    /// The reference ID as chrony prints it (`7F000001`).
    public var referenceIDText: String {
        let hex = String(referenceID, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }

    /// True when chrony follows its own clock (`local stratum`), not a source.
    public var isLocalReference: Bool { referenceID == Self.localReferenceID }

    /// True when chrony has a reference and says it is synchronised.
    public var claimsSync: Bool { referenceID != 0 && leapStatus != .notSynchronised }

    /// Error bound of the system clock, seconds: |system time| + root dispersion + root delay / 2.
    public var errorBound: Double { abs(systemTime) + rootDispersion + rootDelay / 2 }
}
