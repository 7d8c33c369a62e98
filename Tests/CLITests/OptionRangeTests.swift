import Foundation
import Testing
import FlotillaCore
import FlotillaTesting

/// Every numeric option refuses values outside its range with a message naming the option (exit status 64,
/// ArgumentParser's validation status), never a trap; the largest accepted value gets past validation.
@Suite(.serialized) struct OptionRangeTests {
    /// An inventory of one host on a closed loopback port: a run gets past validation and ends at once,
    /// unreachable. A fresh database keeps the audit's history out of the user's.
    private func withInventory(_ body: (_ inventory: String, _ environment: [String: String]) async throws -> Void) async throws {
        let dir = NSTemporaryDirectory() + "flotilla-ranges-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inventory = dir + "/hosts.ini"
        try "[all]\ngone ansible_host=127.0.0.1 ansible_port=\(TestSSHServer.freePort())\n".write(toFile: inventory, atomically: true, encoding: .utf8)
        try await body(inventory, ["FLOTILLA_DB": dir + "/flotilla.sqlite"])
    }

    /// `flotilla ARGS` is refused in validation with `message`.
    private func refused(_ arguments: [String], _ message: String, environment: [String: String] = [:]) async throws {
        let result = try await FlotillaBinary.run(arguments, environment: environment)
        #expect(result.status == 64, "\(arguments): \(result.text)")
        #expect(result.text.contains("Error: " + message), "\(arguments): \(result.text)")
    }

    static let hostileDurations = ["1e10", "inf", "nan", "-1", "1e400", "99999999999999999999999d"]
    static let notADuration = "is not a duration (a number and a unit: 500ms, 30s, 2m, 24h, 7d)"

    @Test(arguments: hostileDurations)
    func runTimeoutsRefuseHostileValues(value: String) async throws {
        try await withInventory { inventory, env in
            let reason = value == "inf" || value == "nan" ? Self.notADuration : "is out of range: it must be more than 0 and at most 30d"
            try await refused(["run", "-i", inventory, "--connect-timeout", value, "--", "true"], "--connect-timeout: '\(value)' \(reason).", environment: env)
            try await refused(["run", "-i", inventory, "--timeout", value, "--", "true"], "--timeout: '\(value)' \(reason).", environment: env)
        }
    }

    @Test(arguments: hostileDurations)
    func auditThresholdsAndWindowRefuseHostileValues(value: String) async throws {
        try await withInventory { inventory, env in
            let notADuration = value == "inf" || value == "nan"
            let reason = notADuration ? Self.notADuration : "is out of range: it must be more than 0 and at most 1d"
            try await refused(["audit", "-i", inventory, "--max-offset", value], "--max-offset: '\(value)' \(reason).", environment: env)
            try await refused(["audit", "-i", inventory, "--critical", value], "--critical: '\(value)' \(reason).", environment: env)
            let since = notADuration ? Self.notADuration : "is out of range: it must be more than 0 and at most 3650d"
            try await refused(["audit", "--history", "--since", value], "--since: '\(value)' \(since).", environment: env)
        }
    }

    @Test(arguments: hostileDurations)
    func applyLockWaitRefusesHostileValues(value: String) async throws {
        try await withInventory { inventory, env in
            let reason = value == "inf" || value == "nan" ? Self.notADuration : "is out of range: it must be 0 or more and at most 30d"
            try await refused(["apply", "-i", inventory, "--lock-wait", value, "site.yml"], "--lock-wait: '\(value)' \(reason).", environment: env)
        }
    }

    @Test func durationsJustPastTheirMaximumAreRefused() async throws {
        try await withInventory { inventory, env in
            try await refused(["run", "-i", inventory, "--connect-timeout", "2592000.000000001s", "--", "true"],
                              "--connect-timeout: '2592000.000000001s' is out of range", environment: env)
            try await refused(["run", "-i", inventory, "--timeout", "30.000000000001d", "--", "true"], "--timeout: '30.000000000001d' is out of range", environment: env)
            try await refused(["audit", "-i", inventory, "--max-offset", "86400.000000001"], "--max-offset: '86400.000000001' is out of range", environment: env)
            try await refused(["audit", "-i", inventory, "--critical", "1440.0000000001m"], "--critical: '1440.0000000001m' is out of range", environment: env)
            try await refused(["audit", "--history", "--since", "3650.000000000001d"], "--since: '3650.000000000001d' is out of range", environment: env)
            try await refused(["apply", "-i", inventory, "--lock-wait", "720.000000000001h", "site.yml"], "--lock-wait: '720.000000000001h' is out of range", environment: env)
            try await refused(["run", "-i", inventory, "--timeout", "0", "--", "true"], "--timeout: '0' is out of range", environment: env)
        }
    }

    @Test func durationsAtTheirMaximumAreAccepted() async throws {
        try await withInventory { inventory, env in
            let run = try await FlotillaBinary.run(["run", "-i", inventory, "--connect-timeout", "30d", "--timeout", "2592000s", "--", "true"], environment: env)
            #expect(run.status == 4, "\(run.text)")  // past validation: the one host is unreachable
            #expect(run.text.contains("gone | UNREACHABLE"))
            let audit = try await FlotillaBinary.run(["audit", "-i", inventory, "--max-offset", "1d", "--critical", "86400s", "--samples", "100"], environment: env)
            #expect(audit.status == 2, "\(audit.text)")
            #expect(audit.text.contains("gone  unknown"))
            let history = try await FlotillaBinary.run(["audit", "--history", "--since", "3650d"], environment: env)
            #expect(history.status == 0, "\(history.text)")
            // Past validation, apply stops at the missing playbook (exit 1), not at --lock-wait.
            for wait in ["30d", "0"] {
                let apply = try await FlotillaBinary.run(["apply", "-i", inventory, "--lock-wait", wait, "/nonexistent/site.yml"], environment: env)
                #expect(apply.status == 1, "\(apply.text)")
                #expect(!apply.text.contains("--lock-wait"))
            }
        }
    }

    @Test(arguments: [
        (["audit", "-i", "INV", "--samples", "-1"], "--samples must be 0 to 100 (0: no cross-check), not -1."),
        (["audit", "-i", "INV", "--samples", "101"], "--samples must be 0 to 100 (0: no cross-check), not 101."),
        (["run", "-i", "INV", "--forks", "0", "--", "true"], "--forks must be 1 to 10000, not 0."),
        (["run", "-i", "INV", "--forks", "-1", "--", "true"], "--forks must be 1 to 10000, not -1."),
        (["run", "-i", "INV", "--forks", "10001", "--", "true"], "--forks must be 1 to 10000, not 10001."),
        (["audit", "-i", "INV", "--forks", "99999999999999999999"], "The value '99999999999999999999' is invalid for '--forks <n>'"),
        (["runs", "--last", "0"], "--last must be 1 to 100000, not 0."),
        (["runs", "--last", "-5"], "--last must be 1 to 100000, not -5."),
        (["runs", "--last", "100001"], "--last must be 1 to 100000, not 100001."),
        (["apply", "-i", "INV", "--max-failures", "101%", "site.yml"], "--max-failures 101%: expected a number of hosts (0 or more) or a percentage (0% to 100%), such as 1 or 10%"),
        (["apply", "-i", "INV", "--max-failures", "-1", "site.yml"], "--max-failures -1: expected a number of hosts (0 or more) or a percentage (0% to 100%), such as 1 or 10%"),
        (["apply", "-i", "INV", "--serial", "1,0%", "site.yml"], "--serial 1,0%: expected batch sizes separated by commas, each a number of hosts (1 or more) or a percentage (1% to 100%)"),
        (["apply", "-i", "INV", "--serial", "0", "site.yml"], "--serial 0: expected batch sizes separated by commas, each a number of hosts (1 or more) or a percentage (1% to 100%)"),
        (["lab", "ntp-responder", "--offset", "inf"], "--offset must be within ±31536000 seconds, not inf."),
        (["lab", "ntp-responder", "--offset", "31536000.001"], "--offset must be within ±31536000 seconds, not 31536000.001."),
        (["lab", "hold-dpkg-lock", "--root", "/nonexistent", "--seconds", "1e300"], "--seconds must be more than 0 and at most 86400, not 1e+300."),
    ])
    func countsOutsideTheirRangeAreRefusedNamingTheOption(arguments: [String], message: String) async throws {
        try await withInventory { inventory, env in
            try await refused(arguments.map { $0 == "INV" ? inventory : $0 }, message, environment: env)
        }
    }

    @Test func countsAtTheirLimitsAreAccepted() async throws {
        try await withInventory { inventory, env in
            let run = try await FlotillaBinary.run(["run", "-i", inventory, "--forks", "10000", "--", "true"], environment: env)
            #expect(run.status == 4, "\(run.text)")
            let low = try await FlotillaBinary.run(["audit", "-i", inventory, "--forks", "1", "--samples", "0"], environment: env)
            #expect(low.status == 2, "\(low.text)")
            for last in ["1", "100000"] {
                let runs = try await FlotillaBinary.run(["runs", "--last", last], environment: env)
                #expect(runs.status == 0, "\(runs.text)")
            }
        }
    }
}
