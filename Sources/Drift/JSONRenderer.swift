import Foundation

/// The audit as JSON (`--json`, `--format json`): the `AuditReport` as it is, keys sorted, plus the exit code.
public enum JSONRenderer {
    struct Document: Encodable {
        var report: AuditReport
        var exitCode: Int32
        func encode(to encoder: any Encoder) throws {
            try report.encode(to: encoder)
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(exitCode, forKey: .exitCode)
        }
        enum Key: String, CodingKey { case exitCode }
    }

    public static func render(_ report: AuditReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(Document(report: report, exitCode: report.exitCode)), as: UTF8.self) + "\n"
    }

    public static func render(_ entries: [AuditHistory.Entry]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(entries), as: UTF8.self) + "\n"
    }
}
