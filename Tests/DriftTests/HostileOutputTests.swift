import Drift
import FlotillaCore
import Foundation
import Testing

/// A connection that answers every command with the same captured output, as a host under a test's control
/// would: it stands for a broken or hostile host whose audit script printed `stdout`. Nothing runs.
struct CannedConnection: Connection {
    let target: ConnectionTarget
    let stdout: String

    func run(_ command: RemoteCommand) async throws -> CommandResult {
        CommandResult(status: .exited(0), stdout: Array(stdout.utf8), stderr: [])
    }

    func stream(_ command: RemoteCommand) -> AsyncThrowingStream<StreamEvent, any Error> {
        streamAfterRunning(command)
    }

    func close() async {}
}

/// Connects each host name to its canned output.
struct CannedTransport: Transport {
    let outputs: [String: String]

    func connect(_ target: ConnectionTarget) async throws -> any Connection {
        CannedConnection(target: target, stdout: outputs[target.name] ?? "")
    }
}

@Suite struct HostNumberTests {
    @Test(arguments: ["0", "1795241641.416344311", "-0.000000372", "1000000000000", "-1000000000000", "1e12", "+1e12", "0.5E-3"])
    func plainFiniteNumbersInRangeAreRead(text: String) {
        #expect(HostNumber.problem(Substring(text)) == nil)
    }

    @Test(arguments: [
        ("inf", "is not a finite number"), ("-inf", "is not a finite number"), ("+Infinity", "is not a finite number"),
        ("nan", "is not a finite number"), ("NaN", "is not a finite number"), ("1e400", "is not a finite number"),
        ("1e300", "is out of range (beyond ±1e12)"), ("-1e300", "is out of range (beyond ±1e12)"),
        ("1000000000000.001", "is out of range (beyond ±1e12)"), ("1.000000000001e12", "is out of range (beyond ±1e12)"),
        ("", "is empty"), ("0x10", "is not a decimal number"), ("1,5", "is not a decimal number"), ("--1", "is not a decimal number"),
    ])
    func hostileNumbersAreRefusedWithAReason(text: String, reason: String) {
        #expect(HostNumber.problem(Substring(text)) == reason)
    }

    @Test func overlongDigitStringsAreRefusedBeforeReading() {
        let digits = "1" + String(repeating: "0", count: 400)
        #expect(HostNumber.problem(Substring(digits)) == "is not a number (401 characters, at most 64)")
        let longest = String(repeating: "0", count: 63) + "1"
        #expect(HostNumber.problem(Substring(longest)) == nil)
        #expect(HostNumber.problem(Substring(longest + "0")) != nil)
    }
}

@Suite struct HostileChronyOutputTests {
    /// The synced tracking line with field `index` replaced.
    static func tracking(_ index: Int, _ value: String) throws -> String {
        var fields = try Fixture.text("synced.tracking.csv").trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[index] = value
        return fields.joined(separator: ",")
    }

    static func sources(_ index: Int, _ value: String) throws -> String {
        let first = try Fixture.text("synced.sources.csv").split(separator: "\n").first!
        var fields = first.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[index] = value
        return fields.joined(separator: ",")
    }

    @Test(arguments: [
        (4, "inf", "not a finite number"), (4, "nan", "not a finite number"), (4, "1e300", "out of range (beyond ±1e12)"),
        (4, "-1e300", "out of range (beyond ±1e12)"), (3, "1e300", "out of range (beyond ±1e12)"),
        (11, "-0.5", "negative"), (2, "-1", "outside 0...16"), (2, "99999999999999999999999", "not an integer"),
        (12, "1e13", "out of range (beyond ±1e12)"),
    ])
    func hostileTrackingFieldsAreRefusedNamingTheField(index: Int, value: String, reason: String) throws {
        let error = #expect(throws: DriftError.self) { try ChronyTracking.parse(Self.tracking(index, value)) }
        guard case .cannotRead(_, _, let field, let text, let why, _) = error else { Issue.record("wrong error \(String(describing: error))"); return }
        #expect(field == ChronyTracking.fields[index])
        #expect(text == value)
        #expect(why == reason)
    }

    @Test(arguments: [
        (7, "inf", "not a finite number"), (8, "-1e300", "out of range (beyond ±1e12)"), (9, "nan", "not a finite number"),
        (5, "-1", "not an octal number"), (4, "99999999999999999999", "not an integer"), (4, "-33", "outside -32...32"),
        (6, "-1", "not an unsigned 32-bit integer"), (6, "4294967296", "not an unsigned 32-bit integer"),
    ])
    func hostileSourceFieldsAreRefusedNamingTheField(index: Int, value: String, reason: String) throws {
        let error = #expect(throws: DriftError.self) { try ChronySources.parse(Self.sources(index, value)) }
        guard case .cannotRead(_, _, let field, _, let why, _) = error else { Issue.record("wrong error \(String(describing: error))"); return }
        #expect(field == ChronySources.fields[index])
        #expect(why == reason)
    }

    @Test(arguments: [
        ("inf", "node07: audit output: now is not a finite number (\"inf\")"),
        ("nan", "node07: audit output: now is not a finite number (\"nan\")"),
        ("1e300", "node07: audit output: now is out of range (beyond ±1e12) (\"1e300\")"),
        ("-1e300", "node07: audit output: now is out of range (beyond ±1e12) (\"-1e300\")"),
        ("yesterday", "node07: audit output: now is not a decimal number (\"yesterday\")"),
    ])
    func hostileHostClockIsAnErrorNamingTheHost(now: String, message: String) throws {
        let error = #expect(throws: DriftError.self) {
            try SyncCheck.interpret(stdout: Fixture.checkOutput("synced", now: now), host: "node07", expected: [])
        }
        #expect(error?.description == message)
    }

    @Test func hostClockAtTheLimitIsRead() throws {
        let status = try SyncCheck.interpret(stdout: Fixture.checkOutput("synced", now: "1000000000000"), host: "node07", expected: [])
        #expect(status.hostTime == 1e12)
        #expect(throws: DriftError.self) {
            try SyncCheck.interpret(stdout: Fixture.checkOutput("synced", now: "1000000000000.001"), host: "node07", expected: [])
        }
    }

    @Test(arguments: ["1" + String(repeating: "0", count: 400), "1" + String(repeating: "0", count: 300), "99999999999999"])
    func crossCheckReadingThatOverflowsIsMalformedOutput(answer: String) {
        let turns = [Turn(sent: 100, received: 100.002, answer: Array(answer.utf8))]
        let error = #expect(throws: DriftError.self) {
            try ClockCrossCheck.reading(turns, result: CommandResult(status: .exited(0), stdout: [], stderr: []), host: "node07")
        }
        guard case .malformedOutput(let host, let source, let field, _, _) = error else { Issue.record("wrong error \(String(describing: error))"); return }
        #expect(host == "node07")
        #expect(source == "clock cross-check")
        #expect(field == "clock reading")
    }
}

@Suite struct HostileFleetTests {
    /// What the audit script prints on a host whose chrony is synced, with `now` as its clock and two clock samples.
    static func auditOutput(now: String, sample: String = "1795241641.416344311") throws -> String {
        sample + "\n" + sample + "\n@@flotilla:clock-end\n" + (try Fixture.text("chrony-running.txt", folder: "daemons"))
            + (try Fixture.checkOutput("synced", now: now))
    }

    static func audit() async throws -> AuditReport {
        let outputs = [
            "node01": try auditOutput(now: "1795241641.416344311"),
            "node07": try auditOutput(now: "inf"),
            "node08": try auditOutput(now: "1e300"),
            "node09": try auditOutput(now: "1795241641.4", sample: "1" + String(repeating: "0", count: 400)),
            "node10": try auditOutput(now: "nan"),
        ]
        let targets = outputs.keys.sorted().map { FleetAudit.Target(connection: ConnectionTarget(name: $0)) }
        return await FleetAudit.run(targets, transport: CannedTransport(outputs: outputs), forks: 2, policy: Fixture.policy, samples: 2)
    }

    @Test func oneHostsHostileOutputMakesItUnknownAndLeavesTheOthersAlone() async throws {
        let report = try await Self.audit()
        let byHost = Dictionary(uniqueKeysWithValues: report.hosts.map { ($0.host, $0) })
        #expect(byHost.count == 5)
        #expect(byHost["node01"]?.chrony?.synchronised == true)
        #expect(byHost["node01"]?.crossCheck != nil)
        for bad in ["node07", "node08", "node09", "node10"] {
            #expect(byHost[bad]?.verdict == .unknown)
            #expect(byHost[bad]?.findings.count == 1)
            #expect(byHost[bad]?.chrony == nil)
        }
        #expect(byHost["node07"]?.findings.first?.message == "node07: audit output: now is not a finite number (\"inf\")")
        #expect(byHost["node08"]?.findings.first?.message == "node08: audit output: now is out of range (beyond ±1e12) (\"1e300\")")
        #expect(byHost["node09"]?.findings.first?.message.hasPrefix("node09: clock cross-check: clock reading is not a number") == true)
        #expect(byHost["node10"]?.findings.first?.message == "node10: audit output: now is not a finite number (\"nan\")")
    }

    @Test func everyRendererAndTheHistoryTakeTheFleetWithHostileHosts() async throws {
        let report = try await Self.audit()
        let table = TableRenderer.render(report)
        for host in ["node01", "node07", "node08", "node09", "node10"] { #expect(table.contains(host)) }
        #expect(table.contains("now is not a finite number"))

        let json = try JSONRenderer.render(report)
        let decoded = try JSONDecoder().decode(AuditReport.self, from: Data(json.utf8))
        #expect(decoded.hosts.map(\.host).sorted() == report.hosts.map(\.host).sorted())

        let prometheus = PrometheusRenderer.render(report)
        #expect(prometheus.contains("host=\"node07\""))
        #expect(!prometheus.contains("Inf") && !prometheus.contains("NaN"))
        #expect(HTMLRenderer.render(report).contains("node08"))

        let path = HistoryTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let history = try AuditHistory(path: path)
        let id = try history.record(report)
        #expect(try history.report(id: id)?.hosts.count == 5)
        let entries = try history.entries(since: 0)
        #expect(entries.count == 5)
        #expect(entries.first { $0.host == "node07" }?.verdict == .unknown)
        #expect(entries.first { $0.host == "node07" }?.findings == ["node07: audit output: now is not a finite number (\"inf\")"])
    }

    /// Values that never come out of the parsers still cannot trap a renderer: a status built by hand with a host
    /// clock of 1e300, infinity or NaN renders as text.
    @Test(arguments: [1e300, -1e300, Double.infinity, -Double.infinity, Double.nan, Double.greatestFiniteMagnitude])
    func tableNeverTrapsOnAnyValue(value: Double) throws {
        let tracking = try Fixture.tracking("synced")
        let status = ChronyStatus(host: "odd", daemon: .running, tracking: tracking, sources: try Fixture.sources("synced"), hostTime: value)
        let audit = HostAudit.assess(
            HostObservation(host: "odd", chrony: status, crossCheck: ClockCrossCheck(offset: value, uncertainty: value, roundTrip: value, samples: 1)),
            policy: Fixture.policy)
        let report = AuditReport(startedAt: 0, duration: value, policy: Fixture.policy, hosts: [audit])
        #expect(TableRenderer.render(report).contains("odd"))
        #expect(PrometheusRenderer.render(report).contains("odd"))
        #expect(HTMLRenderer.render(report).contains("odd"))
    }
}
