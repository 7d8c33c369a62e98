import FlotillaCore
import Foundation
import Testing
import Vault

/// The real ansible-vault (ansible-core from PyPI, installed by scripts/ansible-oracle.sh) encrypts, Flotilla
/// decrypts: values of every awkward length and content, formats 1.1 and 1.2, inline and whole files.
/// Fails, never skips, when the oracle is missing: run scripts/setup.sh.
@Suite struct AnsibleOracleTests {
    static let venv = ProcessInfo.processInfo.environment["FLOTILLA_ANSIBLE_VENV"] ?? "/opt/flotilla/ansible"
    static var ansibleVault: String { venv + "/bin/ansible-vault" }

    let dir: String = {
        let d = NSTemporaryDirectory() + "flotilla-vault-oracle-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    func ansibleVault(_ arguments: [String]) async throws -> String {
        #expect(FileManager.default.isExecutableFile(atPath: Self.ansibleVault), "no \(Self.ansibleVault): run scripts/setup.sh")
        let argv = [Self.ansibleVault] + arguments
        // ANSIBLE_* settings of the machine must not change what the oracle writes; HOME keeps its cache private.
        let env = ["PATH": "/usr/bin:/bin", "HOME": dir, "ANSIBLE_LOCAL_TEMP": dir]
        let result = try await offload { try LocalProcess.capture(argv, environment: env) }
        #expect(result.status == 0, "ansible-vault \(arguments.joined(separator: " ")): \(String(decoding: result.stderr, as: UTF8.self))")
        return String(decoding: result.stdout, as: UTF8.self)
    }

    /// Values whose plaintext lengths straddle AES blocks (0 padding never happens: PKCS#7 always pads).
    static let values = ["x", String(repeating: "a", count: 15), String(repeating: "b", count: 16), String(repeating: "c", count: 17),
                         "pässwörd with spaces and 'quotes' \"too\"", "line one\nline two\n", String(repeating: "0123456789", count: 40)]

    @Test func inlineValuesOfFormat11And12() async throws {
        let password = "oracle-\(UUID().uuidString)"
        let file = dir + "/pw"
        try password.write(toFile: file, atomically: true, encoding: .utf8)
        let vault = Vault(secrets: [VaultSecret(label: "ops", origin: "test", password: Array(password.utf8))])
        for (i, value) in Self.values.enumerated() {
            // Even values: 1.1 (no vault id); odd: 1.2 labelled "ops".
            let idArgs = i % 2 == 0 ? ["--vault-password-file", file] : ["--vault-id", "ops@\(file)", "--encrypt-vault-id", "ops"]
            let yaml = try await ansibleVault(["encrypt_string"] + idArgs + ["--name", "v", "--", value])
            let text = yaml.split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
            let envelope = try VaultEnvelope(text)
            #expect(envelope.version == (i % 2 == 0 ? "1.1" : "1.2"))
            #expect(envelope.label == (i % 2 == 0 ? nil : "ops"))
            #expect(try await vault.decrypt(text) == Array(value.utf8), "value \(i)")
        }
    }

    @Test func aWholeFileAndAWrongPassword() async throws {
        let file = dir + "/pw"
        try "right\n".write(toFile: file, atomically: true, encoding: .utf8)
        let vars = dir + "/vars.yml"
        let plain = "ansible_become_password: hunter2\nansible_host: 10.1.2.3\n"
        try plain.write(toFile: vars, atomically: true, encoding: .utf8)
        _ = try await ansibleVault(["encrypt", "--vault-password-file", file, vars])
        let text = try String(contentsOfFile: vars, encoding: .utf8)
        #expect(VaultEnvelope.isVaulted(text) && !text.contains("hunter2"))
        // The password file's trailing newline is not part of the password, for either tool.
        let secret = try VaultIdentity(source: file).load()
        #expect(try await Vault(secrets: [secret]).decrypt(text) == Array(plain.utf8))
        let wrong = Vault(secrets: [VaultSecret(label: "default", origin: "test", password: Array("wrong".utf8))])
        #expect(throws: VaultError.wrongSecret(label: nil, tried: ["default"])) { try wrong.decrypt(text) }
    }
}
