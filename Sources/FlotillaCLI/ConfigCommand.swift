public import ArgumentParser
import FlotillaCore
import Foundation
import Inventory

/// `flotilla config`: the Ansible project settings Flotilla uses, and where each came from, in the form of
/// `ansible-config dump --only-changed` so the two can be compared line by line.
public struct ConfigCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the ansible.cfg and ANSIBLE_* settings Flotilla uses, and where each came from.",
        discussion: """
            The file is found as Ansible finds it: $ANSIBLE_CONFIG, ./ansible.cfg (not in a world-writable \
            directory), ~/.ansible.cfg, /etc/ansible/ansible.cfg. Each setting Flotilla reads is printed as \
            ansible-config dump --only-changed prints it (NAME(origin) = value); the ssh connection's own settings \
            follow under "ssh:", then the file's settings Flotilla ignores because they do not change which hosts \
            are reached or how. A setting that would change that and that Flotilla does not implement is refused \
            with its file and line (exit status 1). docs/ansible-compatibility.md lists them all.
            """)

    public init() {}

    public func run() async throws {
        let config: AnsibleConfig
        do {
            config = try await offload { try AnsibleConfig.load() }
            try config.checkSupported()
        } catch let error as AnsibleConfigError {
            Console.shared.err("error: \(error)\n")
            await Console.shared.flush()
            throw ExitCode.failure
        }
        for warning in config.warnings { Console.shared.err("warning: \(warning)\n") }
        Console.shared.out(Self.render(config))
        await Console.shared.flush()
    }

    static func render(_ config: AnsibleConfig) -> String {
        var out = "CONFIG_FILE() = \(config.file ?? "None")\n"
        let settings = config.settings.values.sorted { $0.name < $1.name }
        for s in settings where s.name.first!.isUppercase {
            out += "\(s.name)(\(s.origin.dumpText)) = \(s.value.dumpText)\n"
        }
        let ssh = settings.filter { $0.name.first!.isLowercase }
        if !ssh.isEmpty {
            out += "\nssh:\n___\n"
            for s in ssh { out += "\(s.name)(\(s.origin.dumpText)) = \(s.value.dumpText)\n" }
        }
        if !config.ignored.isEmpty {
            out += "\nignored (they change neither which hosts are reached nor how):\n"
            for i in config.ignored { out += "[\(i.section)] \(i.key)  \(i.at.file):\(i.at.line)\n" }
        }
        return out
    }
}
