import Foundation
import Testing
import FlotillaTesting

/// `flotilla apply` given a damaged saved plan says so, with the path and what is wrong, and stops before any host
/// is touched: never a YAML playbook error or raw decoder text.
@Suite struct DamagedPlanCLITests {
    func withDirectory(_ body: (_ dir: String, _ inventory: String, _ env: [String: String]) async throws -> Void) async throws {
        let dir = NSTemporaryDirectory() + "flotilla-damaged-plan-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inventory = dir + "/hosts.ini"
        try "[all]\ngone ansible_host=127.0.0.1 ansible_port=\(TestSSHServer.freePort())\n".write(toFile: inventory, atomically: true, encoding: .utf8)
        try await body(dir, inventory, ["FLOTILLA_DB": dir + "/flotilla.sqlite"])
    }

    @Test(arguments: [
        ("empty.plan", [UInt8](), "damaged plan file: truncated: the file is empty"),
        ("cut.json", Array("{\n  \"createdAt\" : \"2027-01-15T08:00:00Z\",\n  \"formatVersion\" : 1,\n  \"pla".utf8),
         "damaged plan file: truncated: the JSON stops at offset 71 (line 4) where the rest of the string and its closing '\"' should follow"),
        ("garbage.plan", [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01], "damaged plan file: not JSON at offset 0 (line 1): expected a value, found byte 0x7F"),
        ("saved.out", Array("{\"formatVersion\": 9}".utf8), "damaged plan file: wrong version: format version 9; this Flotilla reads version 2"),
    ] as [(String, [UInt8], String)])
    func applyReportsTheDamagedPlan(name: String, content: [UInt8], problem: String) async throws {
        try await withDirectory { dir, inventory, env in
            let plan = dir + "/" + name
            try Data(content).write(to: URL(fileURLWithPath: plan))
            let result = try await FlotillaBinary.run(["apply", "-i", inventory, plan, "--yes"], environment: env)
            #expect(result.status == 1, "\(result.text)")
            #expect(result.text.contains("flotilla apply: \(plan): \(problem)\n"), "\(result.text)")
            #expect(!result.text.contains("YAML"), "\(result.text)")
            #expect(!result.text.contains("gone"), "no host is contacted: \(result.text)")
        }
    }
}
