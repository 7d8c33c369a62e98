import Drift
import Testing

@Suite struct ChronyTrackingParserTests {
    @Test func synchronisedTrackingReadsEveryField() throws {
        let t = try Fixture.tracking("synced")
        #expect(t.referenceID == 0x7F00_0002)
        #expect(t.referenceIDText == "7F000002")
        #expect(t.referenceName == "127.0.0.2")
        #expect(t.stratum == 3)
        #expect(t.referenceTime == 1795241584.812941836)
        #expect(t.systemTime == -0.000000372)
        #expect(t.lastOffset == 0.000000001)
        #expect(t.rmsOffset == 0.000000107)
        #expect(t.frequency == -0.003)
        #expect(t.residualFrequency == 0)
        #expect(t.skew == 0.008)
        #expect(t.rootDelay == 0.000587163)
        #expect(t.rootDispersion == 0.000994620)
        #expect(t.updateInterval == 0.5)
        #expect(t.leapStatus == .normal)
        #expect(t.claimsSync)
    }

    @Test func slowClockHasPositiveSystemTime() throws {
        let t = try Fixture.tracking("skew-slow")
        #expect(t.systemTime == 0.300032765)
        #expect(abs(t.errorBound - (0.300032765 + 0.001003890 + 0.000586411 / 2)) < 1e-12)
    }

    @Test func fastClockHasNegativeSystemTime() throws {
        #expect(try Fixture.tracking("skew-fast").systemTime == -0.249959260)
    }

    @Test(arguments: ["just-started", "no-sources", "unreachable"])
    func unsynchronisedTrackingHasNoReference(state: String) throws {
        let t = try Fixture.tracking(state)
        #expect(t.referenceID == 0)
        #expect(t.referenceName == "")
        #expect(t.leapStatus == .notSynchronised)
        #expect(!t.claimsSync)
    }

    @Test func localStratumIsRecognisedAsTheLocalClock() throws {
        let t = try Fixture.tracking("local-reference")
        #expect(t.isLocalReference)
        #expect(t.stratum == 8)
        #expect(t.claimsSync)
    }

    @Test func emptyOutputCannotBeRead() {
        #expect(throws: DriftError.cannotRead(
            command: "chronyc -c tracking", line: 1, field: "reference ID", value: "", reason: "no output", host: nil)
        ) { try ChronyTracking.parse("") }
    }

    @Test func truncatedLineNamesTheFirstMissingField() throws {
        let line = try Fixture.text("synced.tracking.csv")
        let cut = line.split(separator: ",").prefix(11).joined(separator: ",")
        let error = #expect(throws: DriftError.self) { try ChronyTracking.parse(cut) }
        guard case .cannotRead(_, _, let field, _, let reason, _) = error else { Issue.record("wrong error \(String(describing: error))"); return }
        #expect(field == "root dispersion")
        #expect(reason.contains("truncated"))
        #expect(error?.description.contains("cannot read `chronyc -c tracking` line 1, field 'root dispersion'") == true)
    }

    @Test func extraFieldIsRefused() throws {
        let line = try Fixture.text("synced.tracking.csv").trimmingCharacters(in: .newlines) + ",42"
        let error = #expect(throws: DriftError.self) { try ChronyTracking.parse(line) }
        guard case .cannotRead(_, _, let field, let value, let reason, _) = error else { Issue.record("wrong error"); return }
        #expect(field == "field 15")
        #expect(value == "42")
        #expect(reason.contains("extra"))
    }

    @Test(arguments: [
        (4, "0.3s", "system time"), (2, "three", "stratum"), (2, "17", "stratum"), (0, "7F00000G", "reference ID"),
        (11, "-0.001", "root dispersion"), (13, "Synchronised", "leap status"), (4, "nan", "system time"),
        (4, "", "system time"), (3, "0x10", "reference time"),
    ])
    func nonNumericOrOutOfRangeFieldIsNamed(index: Int, value: String, field: String) throws {
        var parts = try Fixture.text("skew-slow.tracking.csv").trimmingCharacters(in: .newlines)
            .split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        parts[index] = value
        let error = #expect(throws: DriftError.self) { try ChronyTracking.parse(parts.joined(separator: ",")) }
        guard case .cannotRead(_, _, let named, let shown, _, _) = error else { Issue.record("wrong error"); return }
        #expect(named == field)
        #expect(shown == value)
    }

    @Test func secondLineIsRefused() throws {
        let line = try Fixture.text("synced.tracking.csv")
        #expect(throws: DriftError.self) { try ChronyTracking.parse(line + line) }
    }
}

@Suite struct ChronySourcesParserTests {
    @Test func synchronisedSourcesAreTyped() throws {
        let s = try Fixture.sources("synced")
        #expect(s.count == 2)
        #expect(s[0] == ChronySource(
            mode: .server, state: .combined, address: "127.0.0.1", stratum: 8, poll: -1, reach: 0o377, lastRx: 1,
            offset: 0.000000988, measuredOffset: 0.000000989, errorBound: 0.000002976))
        #expect(s[1].state == .selected)
        #expect(s[1].offset == -0.000337318)
        #expect(s[1].answeredPolls == 8)
        #expect(s[1].reachText == "377")
    }

    @Test func neverHeardSourceHasNoLastRx() throws {
        let s = try Fixture.sources("unreachable")
        #expect(s.map(\.state) == [.unreachable, .unreachable])
        #expect(s.allSatisfy { $0.lastRx == nil && $0.reach == 0 && $0.answeredPolls == 0 })
    }

    @Test func noSourcesIsAnEmptyList() throws {
        #expect(try Fixture.sources("no-sources").isEmpty)
    }

    @Test func lostSourceKeepsItsLastSampleAge() throws {
        let s = try Fixture.sources("source-lost")
        #expect(s.count == 1)
        #expect(s[0].state == .unreachable)
        #expect(s[0].lastRx == 28)
        #expect(s[0].reach == 0)
    }

    @Test(arguments: [
        ("^,*,10.0.0.1,2,6,378,3,0.1,0.1,0.01", "reach"), ("^,!,10.0.0.1,2,6,377,3,0.1,0.1,0.01", "state"),
        ("%,*,10.0.0.1,2,6,377,3,0.1,0.1,0.01", "mode"), ("^,*,,2,6,377,3,0.1,0.1,0.01", "address"),
        ("^,*,10.0.0.1,2,6,377,-3,0.1,0.1,0.01", "last rx"), ("^,*,10.0.0.1,2,6,377,3,0.1,abc,0.01", "measured offset"),
        ("^,*,10.0.0.1,2,6,377,3,0.1,0.1", "error bound"), ("^,*,10.0.0.1,2,6,377,3,0.1,0.1,0.01,9", "field 11"),
        ("^,*,10.0.0.1,2,6.5,377,3,0.1,0.1,0.01", "poll"),
    ])
    func oddSourceLineNamesTheField(line: String, field: String) {
        let error = #expect(throws: DriftError.self) { try ChronySources.parse("^,+,10.0.0.2,2,6,377,3,0.1,0.1,0.01\n" + line + "\n") }
        guard case .cannotRead(let command, let lineNumber, let named, _, _, _) = error else { Issue.record("wrong error"); return }
        #expect(command == "chronyc -c sources")
        #expect(lineNumber == 2)
        #expect(named == field)
    }
}
