import Drift
import Foundation
import Testing

@Suite struct CrossCheckTests {
    @Test func smallestRoundTripWinsAndOffsetIsFromItsMidpoint() throws {
        let samples = [
            ClockCrossCheck.Sample(sent: 100.000, received: 100.040, host: 100.030),
            ClockCrossCheck.Sample(sent: 101.000, received: 101.004, host: 101.012),
            ClockCrossCheck.Sample(sent: 102.000, received: 102.010, host: 102.015),
        ]
        let c = try #require(ClockCrossCheck.best(of: samples))
        #expect(abs(c.offset - 0.010) < 1e-9)
        #expect(abs(c.uncertainty - 0.002) < 1e-9)
        #expect(abs(c.roundTrip - 0.004) < 1e-9)
        #expect(c.samples == 3)
        #expect(ClockCrossCheck.best(of: []) == nil)
    }

    @Test func disagreementNeedsToExceedBothBoundsAndTheFloor() throws {
        let status = try Fixture.status("synced")  // offset 372 ns, root dispersion 995 µs, root delay 587 µs
        let tracking = try #require(status.tracking)
        let limit = tracking.rootDispersion + tracking.rootDelay / 2 + 0.001 + ClockCrossCheck.floor
        let inside = ClockCrossCheck(offset: limit - 0.0002, uncertainty: 0.001, roundTrip: 0.002, samples: 5)
        let outside = ClockCrossCheck(offset: limit + 0.0002, uncertainty: 0.001, roundTrip: 0.002, samples: 5)
        #expect(inside.disagreement(with: status) == nil)
        let d = try #require(outside.disagreement(with: status))
        #expect(d < 0)  // chrony says ~0, the reading says the host is ahead
    }

    @Test func unsynchronisedChronyIsNeverADisagreement() throws {
        let far = ClockCrossCheck(offset: 5, uncertainty: 0.001, roundTrip: 0.002, samples: 5)
        #expect(far.disagreement(with: try Fixture.status("no-sources")) == nil)
    }

    @Test func measuringThisMachineAgainstItselfFindsNoOffsetBeyondTheUncertainty() async throws {
        let c = try await ClockCrossCheck.measure(on: LocalShellConnection(), samples: 5)
        #expect(c.samples == 5)
        #expect(c.roundTrip > 0)
        #expect(abs(c.offset) <= c.uncertainty + 0.001)
    }
}
