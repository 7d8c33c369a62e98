import Foundation
import Facts

/// Reads fact-script outputs from the Fixtures directory.
enum Fixture {
    static func text(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Fixtures") else {
            throw FixtureMissing(name: name)
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    static func facts(_ name: String) throws -> HostFacts {
        try FactParser.parse(stdout: text(name))
    }

    struct FixtureMissing: Error { var name: String }
}
