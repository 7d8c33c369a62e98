import Testing
import Lab

@Suite struct NTPPacketTests {
    @Test func clientRequestEncodesModeVersionAndTransmitTime() throws {
        let t = NTPTimestamp(unixTime: 1_700_000_000.25)
        let bytes = NTPPacket.clientRequest(transmit: t).encoded()
        #expect(bytes.count == 48)
        #expect(bytes[0] == 0x23)  // LI 0, version 4, mode 3
        let parsed = try NTPPacket(parsing: bytes)
        #expect(parsed.mode == 3)
        #expect(parsed.version == 4)
        #expect(parsed.transmitTime == t)
    }

    @Test func timestampConvertsBetweenUnixAndNTPEras() {
        let t = NTPTimestamp(unixTime: 0)
        #expect(t.seconds == 2_208_988_800)
        #expect(t.fraction == 0)
        let half = NTPTimestamp(unixTime: 1_800_000_000.5)
        #expect(half.fraction == 0x8000_0000)
        #expect(abs(half.unixTime - 1_800_000_000.5) < 1e-6)
    }

    @Test func serverReplyCopiesOriginAndCarriesStratumTwoServerFields() throws {
        let request = NTPPacket.clientRequest(transmit: NTPTimestamp(unixTime: 1_800_000_000.125))
        let reply = NTPPacket.serverReply(
            to: request, receive: NTPTimestamp(unixTime: 1_800_000_005.0), transmit: NTPTimestamp(unixTime: 1_800_000_005.001),
            referenceID: NTPPacket.referenceID(ipv4: "10.88.0.2"))
        let parsed = try NTPPacket(parsing: reply.encoded())
        #expect(parsed.mode == 4)
        #expect(parsed.stratum == 2)
        #expect(parsed.leap == 0)
        #expect(parsed.originTime == request.transmitTime)
        #expect(parsed.referenceIDText == "10.88.0.2")
        #expect(parsed.precision < 0)
        #expect(parsed.rootDelay > 0 && parsed.rootDispersion > 0)
        #expect(parsed == reply)
    }

    @Test func sampleOffsetIsServerAheadOfClient() {
        var reply = NTPPacket()
        reply.receiveTime = NTPTimestamp(unixTime: 1_000.0 + 5.010)
        reply.transmitTime = NTPTimestamp(unixTime: 1_000.0 + 5.011)
        let sample = NTPSample(reply: reply, t1: 1_000.0, t4: 1_000.021)
        #expect(abs(sample.offset - 5.0) < 1e-6)
        #expect(abs(sample.delay - 0.020) < 1e-6)
    }

    @Test func shortPacketIsRejected() {
        #expect(throws: LabError.self) { try NTPPacket(parsing: [0x23, 0, 0]) }
    }

    @Test func responderOnLoopbackAnswersWithItsOffset() async throws {
        let responder = try NTPResponder(address: "127.0.0.1", port: 0, offset: -7.5)
        responder.start()
        defer { responder.stop() }
        let sample = try await NTPClient.query(server: "127.0.0.1", port: responder.port, timeout: 2)
        #expect(abs(sample.offset + 7.5) < 0.05)
        #expect(sample.reply.stratum == 2)
        #expect(sample.delay >= 0 && sample.delay < 0.5)
    }

    @Test func clientTimesOutWhenNothingAnswers() async throws {
        // A bound socket that never answers: the query must give up with a clear error.
        let silent = try NTPResponder(address: "127.0.0.1", port: 0, offset: 0)
        await #expect(throws: LabError.self) {
            _ = try await NTPClient.query(server: "127.0.0.1", port: silent.port, timeout: 0.3)
        }
        silent.stop()
    }
}
