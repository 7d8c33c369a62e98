import Foundation
import Inventory

/// Paths of the files under Fixtures/, copied into the test bundle.
enum Fixture {
    static let directory: String = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path

    static func path(_ name: String) -> String { directory + "/" + name }

    static func load(_ name: String) throws -> Inventory { try Inventory.load(path: path(name)) }

    /// The error loading a fixture throws, as text.
    static func failure(_ name: String) -> String? {
        do {
            _ = try load(name)
            return nil
        } catch {
            return "\(error)"
        }
    }
}

extension Inventory {
    func names(_ pattern: String?) throws -> [String] { try select(pattern: pattern).map(\.name) }
}
