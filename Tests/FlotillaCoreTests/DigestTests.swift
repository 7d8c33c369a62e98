import Testing
import FlotillaCore

@Suite struct DigestTests {
    private let abc = Array("abc".utf8)
    private let twoBlocks = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)

    @Test func sha256MatchesFIPS180Vectors() {
        #expect(Hex.encode(SHA256.hash(abc)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hex.encode(SHA256.hash(twoBlocks)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func sha256OfOneMillionAs() {
        let input = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Hex.encode(SHA256.hash(input)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func sha256StreamingInOddPiecesEqualsOneShot() {
        // 10243 bytes, compared with a value from Python's hashlib.
        var data = [UInt8]()
        for _ in 0..<40 { data.append(contentsOf: (0...255).map { UInt8($0) }) }
        data.append(contentsOf: Array("xyz".utf8))
        let expected = "b3b3008d781ea43764e72e2640768494d9a9d7c664a6f1208f380eb7fcd05f72"
        #expect(Hex.encode(SHA256.hash(data)) == expected)
        // A non-contiguous sequence takes the copying path.
        #expect(Hex.encode(SHA256.hash(data.lazy.map { $0 })) == expected)
    }

    @Test func sha256PaddingBoundaries() {
        // 55, 56 and 64 bytes: the lengths where padding needs one or two extra blocks.
        let expected = [
            55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
        ]
        for (count, hex) in expected {
            #expect(Hex.encode(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: count))) == hex)
        }
    }

    @Test func sha1MatchesFIPS180Vectors() {
        #expect(Hex.encode(SHA1.hash(abc)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(Hex.encode(SHA1.hash([UInt8]())) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(Hex.encode(SHA1.hash(twoBlocks)) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Hex.encode(SHA1.hash(million)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test(arguments: [
        ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8), "b617318655057264e28bc0b6fb378c8ef146be00"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
        ((1...25).map { UInt8($0) }, [UInt8](repeating: 0xcd, count: 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
        ([UInt8](repeating: 0x0c, count: 20), Array("Test With Truncation".utf8), "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
        ([UInt8](repeating: 0xaa, count: 80), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
        ([UInt8](repeating: 0xaa, count: 80),
         Array("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data".utf8),
         "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
    ])
    func hmacSHA1MatchesRFC2202(key: [UInt8], message: [UInt8], expected: String) {
        #expect(Hex.encode(HMAC.sha1(key: key, message: message)) == expected)
    }

    @Test func precomputedHMACKeyGivesTheSameMACForEveryMessage() {
        let key = HMAC.SHA1Key(Array("Jefe".utf8))
        #expect(Hex.encode(key.authenticate(Array("what do ya want for nothing?".utf8)))
                == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        #expect(key.authenticate(Array("another".utf8)) == HMAC.sha1(key: Array("Jefe".utf8), message: Array("another".utf8)))
    }

    @Test func hmacSHA256MatchesRFC4231() {
        let mac = HMAC.sha256(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8))
        #expect(Hex.encode(mac) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        let jefe = HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(jefe) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // A key longer than the block is hashed first (RFC 4231 test case 6).
        let long = HMAC.sha256(key: [UInt8](repeating: 0xaa, count: 131),
                               message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(Hex.encode(long) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func hexRoundTripsAndRejectsBadText() {
        #expect(Hex.encode([0x00, 0xde, 0xad, 0xbe, 0xef]) == "00deadbeef")
        #expect(Hex.decode("00DEADbeef") == [0x00, 0xde, 0xad, 0xbe, 0xef])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    @Test func base64MatchesRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=",
                       "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64.encode(Array("fo".utf8), padding: false) == "Zm8")
        #expect(Base64.decode("Zm8") == Array("fo".utf8))
        #expect(Base64.encode([0xfb, 0xff]) == "+/8=")
    }

    @Test func base64RejectsMalformedText() {
        #expect(Base64.decode("Zm9v!") == nil)
        #expect(Base64.decode("Z") == nil)
        #expect(Base64.decode("Zm9=") == nil)   // non-zero leftover bits
        #expect(Base64.decode("Zg===") == nil)
        #expect(Base64.decode("Zg=") == nil)    // padding present but wrong
        #expect(Base64.decode("Zm 9v") == nil)
    }
}
