import Foundation
import Plan
import Testing

/// A saved plan that cannot be read is reported as a damaged plan file, with its path and what is wrong (empty or
/// truncated, not UTF-8, not JSON, not a plan, another version, a bad field by its path), never as raw decoder text.
@Suite struct SavedPlanDamageTests {
    static let good = """
        {
          "createdAt" : "2027-01-15T08:00:00Z",
          "formatVersion" : 2,
          "inventoryDigest" : "sha256:inv",
          "playbookDigest" : "sha256:book",
          "playbookFile" : "site.yml",
          "plans" : [
            {
              "changes" : [],
              "factsDigest" : "sha256:f1",
              "host" : "web1",
              "play" : "chrony",
              "summary" : "converged"
            }
          ]
        }

        """

    /// The message decoding `bytes` gives, or nil when they decode.
    func message(_ bytes: [UInt8], file: String = "/tmp/x/site.plan") -> String? {
        do {
            _ = try PlanFile.decode(Data(bytes), file: file)
            return nil
        } catch {
            return error.description
        }
    }

    func message(_ text: String) -> String? { message(Array(text.utf8)) }

    func replacing(_ old: String, _ new: String) -> String {
        precondition(Self.good.contains(old))
        return Self.good.replacingOccurrences(of: old, with: new)
    }

    @Test func theIntactFixtureDecodes() throws {
        let plan = try PlanFile.decode(Data(Self.good.utf8), file: "site.plan")
        #expect(plan.plans.map(\.host) == ["web1"])
    }

    @Test func emptyFileIsTruncated() {
        #expect(message("") == "/tmp/x/site.plan: damaged plan file: truncated: the file is empty")
        #expect(message(" \n") == "/tmp/x/site.plan: damaged plan file: truncated: the file is empty")
    }

    @Test func cutOffFileIsTruncatedWithItsOffsetAndLine() {
        let cut = String(Self.good.utf8.prefix(274))!
        #expect(cut.hasSuffix("\"web1\",\n      "))
        #expect(message(cut) == "/tmp/x/site.plan: damaged plan file: truncated: the JSON stops at offset 274 (line 12) where a quoted field name should follow")
        // Cut in the middle of a string, a number and a literal.
        #expect(message(String(Self.good.utf8.prefix(263))!)?.hasSuffix("truncated: the JSON stops at offset 263 (line 11) where the rest of the string and its closing '\"' should follow") == true)
        #expect(message("{\"formatVersion\": 1") == "/tmp/x/site.plan: damaged plan file: truncated: the JSON stops at offset 19 (line 1) where ',' or '}' should follow")
        #expect(message("{\"a\": [tr") == "/tmp/x/site.plan: damaged plan file: truncated: the JSON stops at offset 9 (line 1) where the rest of 'true' should follow")
    }

    @Test func badByteIsNamedWithItsOffsetAndLine() {
        var bytes = Array(Self.good.utf8)
        bytes[264] = 0xFF
        #expect(message(bytes) == "/tmp/x/site.plan: damaged plan file: not UTF-8 text: byte 0xFF at offset 264 (line 11)")
    }

    @Test func brokenJSONIsNamedWithItsOffsetAndLine() {
        #expect(
            message(replacing("\"converged\"", "\"converged\","))
                == "/tmp/x/site.plan: damaged plan file: not JSON at offset 328 (line 14): expected a quoted field name, found '}'")
        #expect(
            message("{\"formatVersion\": 1} x")
                == "/tmp/x/site.plan: damaged plan file: not JSON at offset 21 (line 1): expected the end of the file, found 'x'")
        #expect(message("{\"a\": 01}") == "/tmp/x/site.plan: damaged plan file: not JSON at offset 7 (line 1): expected ',' or '}', found '1'")
        #expect(message("{\"a\": \"tab\there\"}") == "/tmp/x/site.plan: damaged plan file: not JSON at offset 10 (line 1): expected a character of the string (control characters must be escaped), found byte 0x09")
    }

    @Test func otherJSONIsNotAPlan() {
        #expect(message("[1, 2]") == "/tmp/x/site.plan: damaged plan file: not a Flotilla plan file: a JSON list, not an object")
        #expect(message("{\"hosts\": \"all\"}") == "/tmp/x/site.plan: damaged plan file: not a Flotilla plan file: a JSON object without 'formatVersion'")
    }

    @Test func anotherFormatVersionIsNamed() {
        // A plan saved before package steps were typed (version 1) is refused as such, not run half-understood.
        #expect(message(replacing("\"formatVersion\" : 2", "\"formatVersion\" : 1")) == "/tmp/x/site.plan: damaged plan file: wrong version: format version 1; this Flotilla reads version 2")
        #expect(message(replacing("\"formatVersion\" : 2", "\"formatVersion\" : \"2\"")) == "/tmp/x/site.plan: damaged plan file: bad field at formatVersion: expected an integer")
    }

    @Test func badFieldIsNamedByItsPath() {
        #expect(message(replacing("\"host\" : \"web1\"", "\"host\" : 5")) == "/tmp/x/site.plan: damaged plan file: bad field at plans[0].host: expected a string")
        #expect(message(replacing("\"host\" : \"web1\"", "\"host\" : null")) == "/tmp/x/site.plan: damaged plan file: bad field at plans[0].host: null where a string is needed")
        #expect(message(replacing(",\n      \"summary\" : \"converged\"", "")) == "/tmp/x/site.plan: damaged plan file: bad field at plans[0].summary: missing")
        #expect(message(replacing("\"changes\" : []", "\"changes\" : {}")) == "/tmp/x/site.plan: damaged plan file: bad field at plans[0].changes: expected a list")
        #expect(message(replacing("\"changes\" : []", "\"changes\" : [{\"action\": \"explode\"}]"))?.hasPrefix("/tmp/x/site.plan: damaged plan file: bad field at plans[0].changes[0]") == true)
        #expect(message(replacing("2027-01-15T08:00:00Z", "yesterday")) == "/tmp/x/site.plan: damaged plan file: bad field at createdAt: 'yesterday' is not an ISO 8601 date and time")
    }

    @Test func plansOfOneHostFromDifferentFactsAreRefused() {
        let second = "    },\n    {\n      \"changes\" : [],\n      \"factsDigest\" : \"sha256:f2\",\n      \"host\" : \"web1\",\n      \"play\" : \"other\",\n      \"summary\" : \"converged\"\n    }\n  ]"
        #expect(message(replacing("    }\n  ]", second)) == "/tmp/x/site.plan: damaged plan file: host web1 has plans made from different facts")
    }

    /// The syntax check keeps its own stack: a hundred thousand open brackets are a truncated file, not a crash.
    @Test func deepNestingIsTruncatedNotACrash() {
        let deep = "{\"a\": " + String(repeating: "[", count: 100_000)
        #expect(message(deep) == "/tmp/x/site.plan: damaged plan file: truncated: the JSON stops at offset 100006 (line 1) where a value or ']' should follow")
    }

    @Test func planFilesAreToldFromPlaybooks() {
        #expect(PlanFile.isPlanFile(path: "x.out", head: Array("  {\"formatVersion\"".utf8)))
        #expect(PlanFile.isPlanFile(path: "site.plan", head: []))
        #expect(PlanFile.isPlanFile(path: "site.plan", head: Array("\u{1}garbage".utf8)))
        #expect(PlanFile.isPlanFile(path: "plan.json", head: []))
        #expect(!PlanFile.isPlanFile(path: "site.json", head: Array("[{\"hosts\": \"all\"}]".utf8)))
        #expect(!PlanFile.isPlanFile(path: "site.yml", head: Array("- hosts: all\n".utf8)))
        #expect(!PlanFile.isPlanFile(path: "site.yml", head: []))
    }
}
