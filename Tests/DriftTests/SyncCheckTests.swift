import Drift
import Foundation
import FlotillaCore
import Testing

@Suite struct SyncCheckInterpretTests {
    @Test func synchronisedHostFollowsTheExpectedSource() throws {
        let s = try Fixture.status("synced", expected: ["127.0.0.2"])
        #expect(s.daemon == .running)
        #expect(s.synchronised)
        #expect(s.selectedSource?.address == "127.0.0.2")
        #expect(s.followsExpectedSource == true)
        #expect(s.clockOffset == 0.000000372)
        #expect(s.notSynchronisedReason == nil)
        #expect(SyncCheck(expectedSources: ["127.0.0.2"], maxOffset: 0.05).failure(of: s) == nil)
    }

    @Test func expectedNameMatchesTheAddressTheHostResolvesItTo() throws {
        let s = try Fixture.status("synced", expected: ["ntp01.vpc.internal"], resolve: ["ntp01.vpc.internal 127.0.0.2"])
        #expect(s.expectedAddresses == ["ntp01.vpc.internal", "127.0.0.2"])
        #expect(s.followsExpectedSource == true)
    }

    @Test func otherSelectedSourceFailsTheCheckAndSaysWhich() throws {
        let s = try Fixture.status("synced", expected: ["10.20.0.10"])
        #expect(s.followsExpectedSource == false)
        #expect(SyncCheck(expectedSources: ["10.20.0.10"]).failure(of: s) == "follows 127.0.0.2, not the expected 10.20.0.10")
    }

    @Test func slowClockHasNegativeClockOffsetAndFailsTheOffsetBound() throws {
        let s = try Fixture.status("skew-slow")
        #expect(s.clockOffset == -0.300032765)
        let bound = try #require(s.errorBound)
        #expect(abs(bound - (0.300032765 + 0.001003890 + 0.000586411 / 2)) < 1e-12)
        #expect(SyncCheck(maxOffset: 0.1).failure(of: s) == "offset -300.0 ms is beyond ±100.0 ms")
    }

    @Test func noSourcesSaysSo() throws {
        let s = try Fixture.status("no-sources")
        #expect(!s.synchronised)
        #expect(s.notSynchronisedReason == "chrony has no sources configured")
        #expect(s.clockOffset == nil)
    }

    @Test func unreachableSourcesAreListed() throws {
        let s = try Fixture.status("unreachable")
        #expect(s.notSynchronisedReason == "no source has answered: 127.0.0.4 (unreachable, reach 0, never heard), 127.0.0.5 (unreachable, reach 0, never heard)")
    }

    @Test func lostSourceIsNotSynchronisedAlthoughTrackingSaysNormal() throws {
        let s = try Fixture.status("source-lost")
        #expect(s.tracking?.leapStatus == .normal)
        #expect(!s.synchronised)
        #expect(s.sinceLastUpdate.map { abs($0 - 28.19) < 0.01 } == true)
        #expect(s.notSynchronisedReason?.hasPrefix("no source has answered: 127.0.0.3 (unreachable, reach 0, last sample 28 s ago)") == true)
    }

    @Test func justStartedIsNotSynchronisedYet() throws {
        let s = try Fixture.status("just-started")
        #expect(!s.synchronised)
        #expect(s.sources.count == 2)
    }

    @Test func missingChronycMeansAbsent() throws {
        let out = "@@flotilla:chrony 1\nnow=1795241641.4\nchronyc=\n@@flotilla:section resolve\n@@flotilla:end\n"
        let s = try SyncCheck.interpret(stdout: out, host: "db1", expected: [])
        #expect(s.daemon == .absent)
        #expect(s.notSynchronisedReason == "chrony is not installed (no chronyc)")
    }

    @Test(arguments: ["daemon-down-udp.txt", "daemon-down-socket.txt"])
    func chronycThatCannotTalkMeansNotRunning(file: String) throws {
        let message = try Fixture.text(file)
        var out = "@@flotilla:chrony 1\nnow=1795241641.4\nchronyc=/usr/bin/chronyc\n"
        out += "@@flotilla:section tracking\n\(message)\n@@flotilla:exit 1\n@@flotilla:section sources\n\(message)\n@@flotilla:exit 1\n"
        out += "@@flotilla:section resolve\n@@flotilla:end\n"
        let s = try SyncCheck.interpret(stdout: out, host: "db1", expected: [])
        #expect(s.daemon == .notRunning(message: message.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test func cutShortOutputIsAnErrorNamingTheHost() throws {
        let full = try Fixture.checkOutput("synced")
        let cut = String(full.prefix(full.count / 2))
        let error = #expect(throws: DriftError.self) { try SyncCheck.interpret(stdout: cut, host: "web07", expected: []) }
        #expect(error?.description.hasPrefix("web07: ") == true)
    }

    @Test func unreadableTrackingNamesHostAndField() throws {
        let out = try Fixture.checkOutput("synced").replacingOccurrences(of: ",Normal", with: ",Normalish")
        let error = #expect(throws: DriftError.self) { try SyncCheck.interpret(stdout: out, host: "web07", expected: []) }
        guard case .cannotRead(_, _, let field, _, _, let host) = error else { Issue.record("wrong error"); return }
        #expect(field == "leap status")
        #expect(host == "web07")
    }
}

/// The check's real script run by the local sh (this machine has no chrony installed).
@Suite struct SyncCheckScriptTests {
    @Test func scriptReportsChronyAbsentAndResolvesExpectedNames() async throws {
        let before = Date().timeIntervalSince1970
        let status = try await SyncCheck(expectedSources: ["localhost"]).run(on: LocalShellConnection(name: "controller"))
        let after = Date().timeIntervalSince1970
        #expect(status.host == "controller")
        #expect(status.daemon == .absent)
        #expect(status.expectedAddresses.first == "localhost")
        #expect(status.expectedAddresses.contains("127.0.0.1") || status.expectedAddresses.contains("::1"))
        let now = try #require(status.hostTime)
        // The same clock read while the script ran: within the run's window however busy the machine is.
        #expect(now >= before - 0.001 && now <= after + 0.001, "\(before) <= \(now) <= \(after)")
    }

    @Test func waitForSyncFailsAtOnceWithoutChrony() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        // "At once" is: before the wait's own timeout. A long one, so that a busy machine cannot make a first probe
        // that takes long look like a wait that ran out (the machine's speed is for benchmarks, not tests).
        let timeout = Duration.seconds(300)
        let wait = try await SyncCheck.waitForSync(LocalShellConnection(), expected: [], maxOffset: 0.1, timeout: timeout)
        #expect(!wait.passed)
        #expect(wait.failure == "chrony is not installed (no chronyc)")
        #expect(clock.now - start < timeout)
    }
}
