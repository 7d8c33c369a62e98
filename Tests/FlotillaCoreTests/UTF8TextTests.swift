import FlotillaCore
import Testing

/// UTF-8 is checked by RFC 3629 and the first bad byte is named by offset (from 0) and line (from 1).
@Suite struct UTF8TextTests {
    func invalid(_ bytes: [UInt8]) -> UTF8Text.Invalid? { UTF8Text.firstInvalid(bytes) }

    @Test func validTextDecodes() throws {
        let text = "a\nçé€😀\n"
        #expect(try UTF8Text.decode(Array(text.utf8)) == text)
        #expect(invalid([]) == nil)
        // The largest scalar, U+10FFFF, and the edges around the surrogates.
        #expect(invalid([0xF4, 0x8F, 0xBF, 0xBF, 0xED, 0x9F, 0xBF, 0xEE, 0x80, 0x80]) == nil)
    }

    @Test func firstBadByteIsNamedWithOffsetAndLine() {
        #expect(invalid(Array("ab\ncd\n".utf8) + [0xFF]) == UTF8Text.Invalid(offset: 6, line: 3, byte: 0xFF))
        #expect(UTF8Text.Invalid(offset: 6, line: 3, byte: 0x0F).description == "not UTF-8 text: byte 0x0F at offset 6 (line 3)")
    }

    @Test(arguments: [
        ([0x80], 0),  // a continuation byte alone
        ([0xC1, 0xBF], 0),  // overlong two-byte form
        ([0xE0, 0x9F, 0xBF], 0),  // overlong three-byte form
        ([0xED, 0xA0, 0x80], 0),  // a surrogate
        ([0xF0, 0x8F, 0xBF, 0xBF], 0),  // overlong four-byte form
        ([0xF4, 0x90, 0x80, 0x80], 0),  // above U+10FFFF
        ([0xF5, 0x80, 0x80, 0x80], 0),
        ([0x61, 0xE2, 0x82], 1),  // cut short by the end
        ([0x61, 0xC3, 0x41], 1),  // a lead byte without its continuation
        ([0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x41], 3),
    ] as [([UInt8], Int)])
    func malformedSequencesAreRefusedAtTheirFirstByte(bytes: [UInt8], offset: Int) {
        #expect(invalid(bytes)?.offset == offset)
        #expect(throws: UTF8Text.Invalid.self) { try UTF8Text.decode(bytes) }
    }
}
