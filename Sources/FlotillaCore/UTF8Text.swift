/// A file's bytes read as UTF-8 text, refusing (never replacing) bytes that are not UTF-8, with the place
/// of the first bad one so that the message can send the operator to it.
public enum UTF8Text {
    /// Bytes that are not UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        /// The offset of the first byte that does not belong to a valid sequence, counted from 0.
        public var offset: Int
        /// Its line, counted from 1 (lines end with `\n`).
        public var line: Int
        /// The byte itself.
        public var byte: UInt8

        public init(offset: Int, line: Int, byte: UInt8) {
            self.offset = offset
            self.line = line
            self.byte = byte
        }

        /// `not UTF-8 text: byte 0xFF at offset 1234 (line 7)`.
        public var description: String {
            let hex = String(byte, radix: 16, uppercase: true)
            return "not UTF-8 text: byte 0x\(hex.count < 2 ? "0" + hex : hex) at offset \(offset) (line \(line))"
        }
    }

    /// The text of `bytes`, or where they stop being UTF-8.
    public static func decode(_ bytes: some Collection<UInt8>) throws(Invalid) -> String {
        let array = Array(bytes)
        if let invalid = firstInvalid(array) { throw invalid }
        return String(decoding: array, as: UTF8.self)
    }

    /// The first byte of `bytes` that is not part of a valid UTF-8 sequence, or nil when they all are. A
    /// sequence cut short by the end of the input is invalid at its first byte.
    public static func firstInvalid(_ bytes: [UInt8]) -> Invalid? {
        var i = 0
        var line = 1
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                if b == 0x0A { line += 1 }
                i += 1
                continue
            }
            // The length of the sequence and the range its second byte must lie in (which rules out
            // overlong forms, surrogates and values above U+10FFFF).
            let length: Int
            var second: ClosedRange<UInt8> = 0x80...0xBF
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; second = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; second = 0x80...0x9F
            case 0xF0: length = 4; second = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; second = 0x80...0x8F
            default: return Invalid(offset: i, line: line, byte: b)
            }
            guard i + length <= n, second.contains(bytes[i + 1]) else {
                return Invalid(offset: i, line: line, byte: b)
            }
            for k in 2..<length where !(0x80...0xBF).contains(bytes[i + k]) {
                return Invalid(offset: i, line: line, byte: b)
            }
            i += length
        }
        return nil
    }
}
