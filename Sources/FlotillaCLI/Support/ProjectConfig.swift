import FlotillaCore
import Foundation
public import Inventory
import Synchronization

/// The Ansible project settings of this run (ansible.cfg and `ANSIBLE_*`, see `AnsibleConfig`): read once, on
/// the blocking pool, its warnings printed once; a setting Flotilla would have to ignore to run is refused.
public enum ProjectConfig {
    private static let cache = Mutex<AnsibleConfig?>(nil)

    /// The settings, read on first use.
    public static func load() async throws -> AnsibleConfig {
        if let known = cache.withLock({ $0 }) { return known }
        let config = try await offload { try AnsibleConfig.load() }
        try config.checkSupported()
        let first = cache.withLock { stored -> Bool in
            if stored != nil { return false }
            stored = config
            return true
        }
        if first, !config.warnings.isEmpty {
            for warning in config.warnings { Console.shared.err("warning: \(warning)\n") }
            await Console.shared.flush() // before an error that may end the run
        }
        return config
    }

    /// What `-v` says about the project settings: the file read, and each of its settings Flotilla ignores.
    static func verboseReport(_ config: AnsibleConfig) -> String {
        var out = "ansible.cfg: " + (config.file ?? "none found ($ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg)") + "\n"
        for i in config.ignored {
            out += "ansible.cfg: ignored [\(i.section)] \(i.key) at \(i.at.file):\(i.at.line) (it changes neither which hosts are reached nor how)\n"
        }
        return out
    }

    /// What was loaded, once `load()` ran (nil before: every caller of a setting runs after the hosts are loaded).
    static var loaded: AnsibleConfig? { cache.withLock { $0 } }
}
