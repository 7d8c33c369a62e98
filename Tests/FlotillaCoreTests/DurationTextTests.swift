import FlotillaCore
import Testing

@Suite struct DurationTextTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("1s", .seconds(1)), ("1.5s", .milliseconds(1500)), ("2m", .seconds(120)),
        ("24h", .seconds(86400)), ("3d", .seconds(3 * 86400)), ("30", .seconds(30)), (" 7s ", .seconds(7)),
        ("250us", .microseconds(250)), ("250µs", .microseconds(250)), ("9ns", .nanoseconds(9)), (".5s", .milliseconds(500)),
        ("1e3ms", .seconds(1)), ("1E-3s", .milliseconds(1)), ("0", .zero), ("+2s", .seconds(2)),
        ("0.0000000004s", .zero), ("0.0000000005s", .nanoseconds(1)), ("2592000.000000001", .nanoseconds(2_592_000_000_000_001)),
    ])
    func readsUnitsExactlyToTheNanosecond(text: String, expected: Duration) {
        #expect(DurationText.read(text) == .success(expected))
    }

    @Test(arguments: ["inf", "nan", "-inf", "Infinity", "0x10", "1,5s", "", "s", ".", "5 minutes", "1e", "1e+", "--1", "1..2s", "5y"])
    func textThatIsNoNumberIsNotADuration(text: String) {
        guard case .failure(.notADuration) = DurationText.read(text) else {
            Issue.record("'\(text)' was read as \(DurationText.read(text))")
            return
        }
    }

    /// Enormous values are refused, never trapped on: the old parser converted `1e10` days with Int64(...) and died.
    @Test(arguments: ["1e10d", "1e400", "99999999999999999999999999999999999999999999d", "1e9999999999s", "3650.000000000001d", "-1", "-0.000000001s"])
    func enormousOrNegativeValuesAreOutOfRange(text: String) {
        guard case .failure(.outOfRange) = DurationText.read(text) else {
            Issue.record("'\(text)' was read as \(DurationText.read(text))")
            return
        }
    }

    @Test func theCeilingItselfIsAccepted() {
        #expect(DurationText.read("3650d") == .success(DurationText.ceiling))
        #expect(DurationText.parse("3650d") == DurationText.ceiling)
        #expect(DurationText.parse("3650.000000000001d") == nil)
    }

    @Test func boundsAreExactAtBothEnds() {
        let positive = DurationText.Bounds.positive(atMost: .seconds(30 * 86400))
        #expect(DurationText.read("30d", within: positive) == .success(.seconds(2_592_000)))
        #expect(DurationText.read("2592000.000000001", within: positive) == .failure(.outOfRange(text: "2592000.000000001", bounds: positive)))
        #expect(DurationText.read("0.000000001s", within: positive) == .success(.nanoseconds(1)))
        #expect(DurationText.read("0", within: positive) == .failure(.outOfRange(text: "0", bounds: positive)))
        let nonNegative = DurationText.Bounds.nonNegative(atMost: .seconds(1))
        #expect(DurationText.read("0s", within: nonNegative) == .success(.zero))
        #expect(DurationText.read("-0s", within: nonNegative) == .success(.zero))
    }

    @Test func refusalsSayWhatIsAllowed() {
        let bounds = DurationText.Bounds.positive(atMost: .seconds(30 * 86400))
        #expect(DurationText.Refusal.outOfRange(text: "1e10", bounds: bounds).description == "'1e10' is out of range: it must be more than 0 and at most 30d")
        #expect(DurationText.Bounds.nonNegative(atMost: .milliseconds(1500)).description == "0 or more and at most 1500ms")
        #expect(DurationText.Refusal.notADuration(text: "inf").description == "'inf' is not a duration (a number and a unit: 500ms, 30s, 2m, 24h, 7d)")
    }
}
