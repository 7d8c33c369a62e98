import Foundation
import FuzzHarness
import Testing

/// Every seed and every input that once crashed a fuzz target (Fuzz/regressions/<target>/) goes through the
/// same code as `flotilla-fuzz`, without sanitizers: a crash here fails `swift test` loudly.
@Suite struct CorpusReplayTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ kind: String, _ target: FuzzTarget) throws -> [URL] {
        let directory = fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seedCorpusIsReadWithoutCrashing(_ target: FuzzTarget) throws {
        let seeds = try Self.inputs("corpus", target)
        #expect(seeds.count >= 2, "Fuzz/corpus/\(target.rawValue) needs seeds")
        for seed in seeds { target.run(Array(try Data(contentsOf: seed))) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func inputsThatOnceCrashedAreReadWithoutCrashing(_ target: FuzzTarget) throws {
        for input in try Self.inputs("regressions", target) { target.run(Array(try Data(contentsOf: input))) }
    }
}
