internal import Crypto

// Message digests and HMAC through swift-crypto (BoringSSL underneath), the one crypto implementation of the
// project (Vault uses it too); and the hex / Base64 text forms they are usually shown in. known_hosts hashing
// (HMAC-SHA1), OpenSSH fingerprints (SHA-256) and content digests all go through these names.

/// SHA-256 (FIPS 180-4).
public enum SHA256 {
    /// Size of a digest in bytes.
    public static let digestSize = 32

    /// The digest of `bytes`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        Array(Crypto.SHA256.hash(data: contiguous(bytes)))
    }
}

/// SHA-1, for what OpenSSH still uses it for (hashed known_hosts names, `%C`); never for trust.
public enum SHA1 {
    /// Size of a digest in bytes.
    public static let digestSize = 20

    /// The digest of `bytes`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        Array(Insecure.SHA1.hash(data: contiguous(bytes)))
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
        Array(Crypto.HMAC<Crypto.SHA256>.authenticationCode(for: contiguous(message), using: SymmetricKey(data: contiguous(key))))
    }

    /// An HMAC-SHA1 key, keyed once, for authenticating many messages under it (a hashed known_hosts line is
    /// checked against every host looked up): each message starts from a copy of the keyed state.
    public struct SHA1Key: Sendable {
        private let keyed: Crypto.HMAC<Insecure.SHA1>

        public init(_ key: some Sequence<UInt8>) {
            keyed = Crypto.HMAC<Insecure.SHA1>(key: SymmetricKey(data: contiguous(key)))
        }

        /// The 20-byte HMAC of `message`.
        public func authenticate(_ message: some Sequence<UInt8>) -> [UInt8] {
            var mac = keyed
            mac.update(data: contiguous(message))
            return Array(mac.finalize())
        }
    }
}

private func contiguous(_ bytes: some Sequence<UInt8>) -> [UInt8] {
    (bytes as? [UInt8]) ?? Array(bytes)
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
