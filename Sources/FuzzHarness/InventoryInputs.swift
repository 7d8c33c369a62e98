import Foundation
import Inventory

enum InventoryInputs {
    /// Writes the input where `-i` would read it (a private directory, so no group_vars/host_vars but its own),
    /// loads it, selects with a few patterns and resolves every host's variables and connection settings.
    static func load(_ input: [UInt8], fileName: String) {
        let path = Scratch.directory + "/" + fileName
        guard FileManager.default.createFile(atPath: path, contents: Data(input)) else { fatalError("cannot write \(path)") }
        guard let inventory = try? Inventory.load(path: path) else { return }
        for pattern in ["all", "web*:!db", "~(web|db)[0-9]", "all[0:2]"] { _ = try? inventory.select(pattern: pattern) }
        for host in inventory.hosts.prefix(50) {
            _ = try? inventory.variables(for: host)
            _ = try? inventory.connectionVars(for: host)
        }
    }
}

/// A private directory for inputs that must be files, made once per process (in /dev/shm when there is one) and
/// removed when the process exits normally.
enum Scratch {
    static let directory: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        var template = Array((base + "/flotilla-fuzz.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed in \(base)") }
        atexit { try? FileManager.default.removeItem(atPath: Scratch.directory) }
        return String(cString: made)
    }()
}
