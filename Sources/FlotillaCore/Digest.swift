// Pure-Swift message digests (FIPS 180-4 SHA-1 and SHA-256), HMAC (RFC 2104), and the hex / Base64
// text forms they are usually shown in. No system crypto library is needed: known_hosts hashing
// (HMAC-SHA1), OpenSSH fingerprints (SHA-256) and content digests all use these.

/// SHA-256 (FIPS 180-4). `SHA256.hash(bytes)` for one-shot use; a `SHA256` value for streaming.
public struct SHA256: Sendable {
    /// Size of a digest in bytes.
    public static let digestSize = 32
    /// Size of an input block in bytes (used by HMAC).
    public static let blockSize = 64

    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    private var buffer = BlockBuffer()
    private var length: UInt64 = 0

    public init() {}

    /// The digest of `bytes`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Feeds more input.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(buffer: UnsafeRawBufferPointer($0)) }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { update(buffer: $0) }
        }
    }

    /// Feeds more input from raw memory.
    public mutating func update(buffer input: UnsafeRawBufferPointer) {
        length &+= UInt64(input.count)
        var state = h
        buffer.absorb(input) { block in SHA256.compress(&state, block) }
        h = state
    }

    /// Finishes and returns the digest. The value must not be updated afterwards.
    public mutating func finalize() -> [UInt8] {
        var state = h
        buffer.pad(bitLength: length &* 8) { block in SHA256.compress(&state, block) }
        h = state
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in [h.0, h.1, h.2, h.3, h.4, h.5, h.6, h.7] { out.appendBigEndian(word) }
        return out
    }

    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    private static func compress(
        _ h: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32),
        _ block: UnsafeRawBufferPointer
    ) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            k.withUnsafeBufferPointer { k in
                for i in 0..<16 { w[i] = block.loadBigEndianUInt32(at: i &* 4) }
                for i in 16..<64 {
                    let a = w[i &- 15], b = w[i &- 2]
                    let s0 = a.rotatedRight(7) ^ a.rotatedRight(18) ^ (a >> 3)
                    let s1 = b.rotatedRight(17) ^ b.rotatedRight(19) ^ (b >> 10)
                    w[i] = w[i &- 16] &+ s0 &+ w[i &- 7] &+ s1
                }
                var (a, b, c, d, e, f, g, hh) = h
                for i in 0..<64 {
                    let s1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                    let s0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = s0 &+ maj
                    hh = g; g = f; f = e; e = d &+ t1
                    d = c; c = b; b = a; a = t1 &+ t2
                }
                h.0 &+= a; h.1 &+= b; h.2 &+= c; h.3 &+= d
                h.4 &+= e; h.5 &+= f; h.6 &+= g; h.7 &+= hh
            }
        }
    }
}

/// SHA-1 (FIPS 180-4). Broken for collision resistance; here only for HMAC-SHA1 (hashed known_hosts)
/// and OpenSSH's `%C` token, where it is still what the format demands.
public struct SHA1: Sendable {
    /// Size of a digest in bytes.
    public static let digestSize = 20
    /// Size of an input block in bytes (used by HMAC).
    public static let blockSize = 64

    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476, 0xc3d2_e1f0
    )
    private var buffer = BlockBuffer()
    private var length: UInt64 = 0

    public init() {}

    /// The digest of `bytes`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA1()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Feeds more input.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(buffer: UnsafeRawBufferPointer($0)) }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { update(buffer: $0) }
        }
    }

    /// Feeds more input from raw memory.
    public mutating func update(buffer input: UnsafeRawBufferPointer) {
        length &+= UInt64(input.count)
        var state = h
        buffer.absorb(input) { block in SHA1.compress(&state, block) }
        h = state
    }

    /// Finishes and returns the digest. The value must not be updated afterwards.
    public mutating func finalize() -> [UInt8] {
        var state = h
        buffer.pad(bitLength: length &* 8) { block in SHA1.compress(&state, block) }
        h = state
        var out = [UInt8]()
        out.reserveCapacity(20)
        for word in [h.0, h.1, h.2, h.3, h.4] { out.appendBigEndian(word) }
        return out
    }

    private static func compress(
        _ h: inout (UInt32, UInt32, UInt32, UInt32, UInt32),
        _ block: UnsafeRawBufferPointer
    ) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            for i in 0..<16 { w[i] = block.loadBigEndianUInt32(at: i &* 4) }
            for i in 16..<80 { w[i] = (w[i &- 3] ^ w[i &- 8] ^ w[i &- 14] ^ w[i &- 16]).rotatedLeft(1) }
            var (a, b, c, d, e) = h
            for i in 0..<80 {
                let f: UInt32
                let k: UInt32
                switch i {
                case 0..<20: f = (b & c) | (~b & d); k = 0x5a82_7999
                case 20..<40: f = b ^ c ^ d; k = 0x6ed9_eba1
                case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8f1b_bcdc
                default: f = b ^ c ^ d; k = 0xca62_c1d6
                }
                let t = a.rotatedLeft(5) &+ f &+ e &+ k &+ w[i]
                e = d; d = c; c = b.rotatedLeft(30); b = a; a = t
            }
            h.0 &+= a; h.1 &+= b; h.2 &+= c; h.3 &+= d; h.4 &+= e
        }
    }
}

/// HMAC (RFC 2104) over SHA-1 or SHA-256.
public enum HMAC {
    /// HMAC-SHA1 of `message` under `key` (20 bytes). OpenSSH hashes known_hosts names with it.
    public static func sha1(key: some Sequence<UInt8>, message: some Sequence<UInt8>) -> [UInt8] {
        SHA1Key(key).authenticate(message)
    }

    /// HMAC-SHA256 of `message` under `key` (32 bytes).
    public static func sha256(key: some Sequence<UInt8>, message: some Sequence<UInt8>) -> [UInt8] {
        let (inner, outer) = pads(key: Array(key), blockSize: SHA256.blockSize) { SHA256.hash($0) }
        var hi = SHA256()
        hi.update(inner)
        hi.update(message)
        var ho = SHA256()
        ho.update(outer)
        ho.update(hi.finalize())
        return ho.finalize()
    }

    /// An HMAC-SHA1 key with its padded blocks already hashed, for authenticating many messages under
    /// one key at half the cost (a hashed known_hosts line is checked against every host looked up).
    public struct SHA1Key: Sendable {
        private let inner: SHA1
        private let outer: SHA1

        public init(_ key: some Sequence<UInt8>) {
            let (innerPad, outerPad) = HMAC.pads(key: Array(key), blockSize: SHA1.blockSize) { SHA1.hash($0) }
            var inner = SHA1()
            inner.update(innerPad)
            var outer = SHA1()
            outer.update(outerPad)
            self.inner = inner
            self.outer = outer
        }

        /// The 20-byte HMAC of `message`.
        public func authenticate(_ message: some Sequence<UInt8>) -> [UInt8] {
            var hi = inner
            hi.update(message)
            var ho = outer
            ho.update(hi.finalize())
            return ho.finalize()
        }
    }

    private static func pads(
        key: [UInt8], blockSize: Int, hash: ([UInt8]) -> [UInt8]
    ) -> (inner: [UInt8], outer: [UInt8]) {
        var k = key.count > blockSize ? hash(key) : key
        k.append(contentsOf: repeatElement(0, count: blockSize - k.count))
        return (k.map { $0 ^ 0x36 }, k.map { $0 ^ 0x5c })
    }
}

/// Lower-case hexadecimal text of bytes, and back.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `[0xde, 0xad]` -> `"dead"`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex text (either case); nil for an odd length or a non-hex character.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = value(utf8[i]), let lo = value(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Standard Base64 (RFC 4648 section 4), the alphabet OpenSSH uses for keys, salts and fingerprints.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// Encodes bytes; `padding: false` drops the trailing `=` (OpenSSH's fingerprint form).
    public static func encode(_ bytes: some Sequence<UInt8>, padding: Bool = true) -> String {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = input.count - i
        if rest > 0 {
            var n = UInt32(input[i]) << 16
            if rest == 2 { n |= UInt32(input[i + 1]) << 8 }
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            if rest == 2 { out.append(alphabet[Int(n >> 6 & 63)]) }
            if padding { out.append(contentsOf: repeatElement(UInt8(ascii: "="), count: 3 - rest)) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes Base64 text. Padding is optional, but when present it must be correct; any character
    /// outside the alphabet (including whitespace) makes the text invalid and returns nil.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var chars = Array(text.utf8)
        var pad = 0
        while chars.last == UInt8(ascii: "=") {
            chars.removeLast()
            pad += 1
        }
        guard pad <= 2, chars.count % 4 != 1 else { return nil }
        if pad > 0, (chars.count + pad) % 4 != 0 { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        for c in chars {
            let v = reverse[Int(c)]
            guard v != 0xff else { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero for a canonical encoding.
        if bits > 0, acc & ((1 << UInt32(bits)) - 1) != 0 { return nil }
        return out
    }
}

/// Collects input into 64-byte blocks and applies the Merkle–Damgård padding shared by SHA-1 and SHA-256.
private struct BlockBuffer: Sendable {
    private var bytes: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var count = 0

    mutating func absorb(_ input: UnsafeRawBufferPointer, _ compress: (UnsafeRawBufferPointer) -> Void) {
        guard !input.isEmpty else { return }
        var offset = 0
        if count > 0 {
            let take = min(64 - count, input.count)
            withUnsafeMutableBytes(of: &bytes) { buf in
                buf.baseAddress!.advanced(by: count).copyMemory(from: input.baseAddress!, byteCount: take)
            }
            count += take
            offset = take
            if count < 64 { return }
            withUnsafeBytes(of: bytes) { compress($0) }
            count = 0
        }
        while input.count - offset >= 64 {
            compress(UnsafeRawBufferPointer(rebasing: input[offset..<offset + 64]))
            offset += 64
        }
        let rest = input.count - offset
        if rest > 0 {
            withUnsafeMutableBytes(of: &bytes) { buf in
                buf.baseAddress!.copyMemory(from: input.baseAddress!.advanced(by: offset), byteCount: rest)
            }
            count = rest
        }
    }

    mutating func pad(bitLength: UInt64, _ compress: (UnsafeRawBufferPointer) -> Void) {
        var tail = [UInt8](repeating: 0, count: count < 56 ? 64 : 128)
        withUnsafeBytes(of: bytes) { buf in
            for i in 0..<count { tail[i] = buf[i] }
        }
        tail[count] = 0x80
        for i in 0..<8 { tail[tail.count - 1 - i] = UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i))) }
        tail.withUnsafeBytes { all in
            compress(UnsafeRawBufferPointer(rebasing: all[0..<64]))
            if all.count == 128 { compress(UnsafeRawBufferPointer(rebasing: all[64..<128])) }
        }
        count = 0
    }
}

extension UInt32 {
    @inline(__always) fileprivate func rotatedRight(_ n: UInt32) -> UInt32 { self >> n | self << (32 &- n) }
    @inline(__always) fileprivate func rotatedLeft(_ n: UInt32) -> UInt32 { self << n | self >> (32 &- n) }
}

extension UnsafeRawBufferPointer {
    @inline(__always) fileprivate func loadBigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}

extension [UInt8] {
    fileprivate mutating func appendBigEndian(_ word: UInt32) {
        append(UInt8(truncatingIfNeeded: word >> 24))
        append(UInt8(truncatingIfNeeded: word >> 16))
        append(UInt8(truncatingIfNeeded: word >> 8))
        append(UInt8(truncatingIfNeeded: word))
    }
}
