#if canImport(Glibc)
import Glibc
#endif

/// A 64-bit NTP timestamp: seconds since 1900 and a binary fraction.
public struct NTPTimestamp: Sendable, Hashable {
    /// Seconds between the NTP era start (1900) and the Unix epoch (1970).
    public static let unixOffset: Double = 2_208_988_800

    public var seconds: UInt32
    public var fraction: UInt32

    public init(seconds: UInt32, fraction: UInt32) {
        self.seconds = seconds
        self.fraction = fraction
    }

    public init(unixTime: Double) {
        let ntp = unixTime + Self.unixOffset
        let whole = ntp.rounded(.down)
        seconds = UInt32(truncatingIfNeeded: Int64(whole))
        fraction = UInt32(min((ntp - whole) * 4_294_967_296.0, 4_294_967_295.0))
    }

    public static let zero = NTPTimestamp(seconds: 0, fraction: 0)

    /// Unix time in seconds (era 0).
    public var unixTime: Double { Double(seconds) - Self.unixOffset + Double(fraction) / 4_294_967_296.0 }

    var raw: UInt64 { UInt64(seconds) << 32 | UInt64(fraction) }
    init(raw: UInt64) { self.init(seconds: UInt32(raw >> 32), fraction: UInt32(truncatingIfNeeded: raw)) }

    /// This machine's clock now (CLOCK_REALTIME) plus `offset` seconds.
    public static func now(offset: Double = 0) -> NTPTimestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return NTPTimestamp(unixTime: Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 + offset)
    }
}

/// An NTPv4 packet header (RFC 5905, 48 bytes; extension fields and MACs are ignored).
public struct NTPPacket: Sendable, Hashable {
    public enum Mode: UInt8, Sendable { case client = 3, server = 4 }

    public var leap: UInt8 = 0
    public var version: UInt8 = 4
    public var mode: UInt8 = 3
    public var stratum: UInt8 = 0
    public var poll: Int8 = 0
    public var precision: Int8 = 0
    /// Root delay and dispersion in NTP short format (16.16 fixed point seconds).
    public var rootDelay: UInt32 = 0
    public var rootDispersion: UInt32 = 0
    public var referenceID: UInt32 = 0
    public var referenceTime: NTPTimestamp = .zero
    public var originTime: NTPTimestamp = .zero
    public var receiveTime: NTPTimestamp = .zero
    public var transmitTime: NTPTimestamp = .zero

    public init() {}

    /// A client request whose transmit timestamp is `transmit`.
    public static func clientRequest(transmit: NTPTimestamp) -> NTPPacket {
        var p = NTPPacket()
        p.mode = Mode.client.rawValue
        p.transmitTime = transmit
        return p
    }

    /// The server-mode answer to `request`: stratum 2, no leap warning, origin = the request's transmit time,
    /// `receive` and `transmit` from the (possibly offset) server clock.
    public static func serverReply(
        to request: NTPPacket, receive: NTPTimestamp, transmit: NTPTimestamp, referenceID: UInt32
    ) -> NTPPacket {
        var p = NTPPacket()
        p.leap = 0
        p.version = min(max(request.version, 3), 4)
        p.mode = Mode.server.rawValue
        p.stratum = 2
        p.poll = request.poll == 0 ? 4 : request.poll
        p.precision = -20
        p.rootDelay = 0x0000_0100       // ~3.9 ms
        p.rootDispersion = 0x0000_0200  // ~7.8 ms
        p.referenceID = referenceID
        p.referenceTime = NTPTimestamp(unixTime: receive.unixTime - 8)
        p.originTime = request.transmitTime
        p.receiveTime = receive
        p.transmitTime = transmit
        return p
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(48)
        out.append((leap & 0x3) << 6 | (version & 0x7) << 3 | (mode & 0x7))
        out.append(stratum)
        out.append(UInt8(bitPattern: poll))
        out.append(UInt8(bitPattern: precision))
        for word in [rootDelay, rootDispersion, referenceID] { out += Self.bytes(word) }
        for ts in [referenceTime, originTime, receiveTime, transmitTime] {
            out += Self.bytes(ts.seconds)
            out += Self.bytes(ts.fraction)
        }
        return out
    }

    public init(parsing bytes: [UInt8]) throws {
        guard bytes.count >= 48 else { throw LabError.badNTPPacket(reason: "\(bytes.count) bytes, need 48") }
        leap = bytes[0] >> 6
        version = (bytes[0] >> 3) & 0x7
        mode = bytes[0] & 0x7
        guard (1...4).contains(version) else { throw LabError.badNTPPacket(reason: "version \(version)") }
        stratum = bytes[1]
        poll = Int8(bitPattern: bytes[2])
        precision = Int8(bitPattern: bytes[3])
        rootDelay = Self.word(bytes, 4)
        rootDispersion = Self.word(bytes, 8)
        referenceID = Self.word(bytes, 12)
        referenceTime = NTPTimestamp(seconds: Self.word(bytes, 16), fraction: Self.word(bytes, 20))
        originTime = NTPTimestamp(seconds: Self.word(bytes, 24), fraction: Self.word(bytes, 28))
        receiveTime = NTPTimestamp(seconds: Self.word(bytes, 32), fraction: Self.word(bytes, 36))
        transmitTime = NTPTimestamp(seconds: Self.word(bytes, 40), fraction: Self.word(bytes, 44))
    }

    /// The reference ID as text when it is ASCII (stratum 1 style), else as an IPv4 address.
    public var referenceIDText: String {
        let b = Self.bytes(referenceID)
        if stratum <= 1, b.allSatisfy({ $0 == 0 || (0x20...0x7e).contains($0) }) {
            return String(decoding: b.filter { $0 != 0 }, as: UTF8.self)
        }
        return b.map(String.init).joined(separator: ".")
    }

    static func bytes(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }

    static func word(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    /// The IPv4 address `a.b.c.d` as a reference ID.
    public static func referenceID(ipv4: String) -> UInt32 {
        let parts = ipv4.split(separator: ".").compactMap { UInt32($0) }
        guard parts.count == 4 else { return 0 }
        return parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]
    }
}

/// One client/server exchange: the four timestamps and what they say.
public struct NTPSample: Sendable, Hashable {
    public var reply: NTPPacket
    /// t1: client transmit, t4: client receive (client clock); t2, t3 from the reply (server clock).
    public var t1: Double
    public var t4: Double

    public init(reply: NTPPacket, t1: Double, t4: Double) {
        self.reply = reply
        self.t1 = t1
        self.t4 = t4
    }

    /// How far the server's clock is ahead of ours, in seconds: ((t2 - t1) + (t3 - t4)) / 2.
    public var offset: Double {
        ((reply.receiveTime.unixTime - t1) + (reply.transmitTime.unixTime - t4)) / 2
    }

    /// Round-trip delay: (t4 - t1) - (t3 - t2).
    public var delay: Double {
        (t4 - t1) - (reply.transmitTime.unixTime - reply.receiveTime.unixTime)
    }
}
