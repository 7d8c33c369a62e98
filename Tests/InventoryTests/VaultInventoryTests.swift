import FlotillaCore
import Foundation
import Inventory
import Testing
import Vault

/// Vaulted inventories (issue 17): `!vault` values decrypted where they are used, vault-encrypted inventory and
/// group_vars files decrypted before they are read; without the secret, or with a wrong one, the error names the
/// variable and the file:line, and says which options give a secret. Texts made by ansible-vault 2.19 with the
/// password `flotilla-test-vault` (Tests/VaultTests/Fixtures, where the oracle tests make more at test time).
@Suite struct VaultInventoryTests {
    static let password = Array("flotilla-test-vault".utf8)
    static let vault = Vault(secrets: [VaultSecret(label: "default", origin: "test", password: password)])

    /// `ansible_become_password: !vault |` for "S3cret p@ss wörd".
    static let vaultedPassword = """
              $ANSIBLE_VAULT;1.1;AES256
              33616230646536323733323865626534323564383966653330303236656264333633366632666639
              3562626535396138633838353033646639336435626266620a633939626635363130326336613065
              32323962346431323965626566343731613835643937653638376264306161623732366235616338
              3333623935653664360a313139626264626565643236613139333031353030383562646163353563
              32313237353839363131626165633935343961333665333434316662346430366135
    """

    let dir: String = {
        let d = NSTemporaryDirectory() + "flotilla-vault-inv-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: d + "/group_vars", withIntermediateDirectories: true)
        return d
    }()

    func write(_ name: String, _ text: String) throws -> String {
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func inventory() throws -> String {
        try write("hosts.yml", """
            all:
              hosts:
                web1:
                  ansible_host: 127.0.0.1
                  ansible_become_password: !vault |
            \(Self.vaultedPassword)
                web2:
                  ansible_host: 127.0.0.2
            """)
    }

    @Test func aVaultedValueIsDecryptedWhereItIsUsed() throws {
        let loaded = try Inventory.load(paths: [try inventory()], vault: Self.vault)
        #expect(try loaded.connectionVars(for: "web1").becomePassword == "S3cret p@ss wörd")
        #expect(try loaded.resolvedVariables(for: "web1")["ansible_become_password"] == .string("S3cret p@ss wörd"))
        // What is shown of the variables before use keeps it encrypted: ansible-inventory's --list form.
        let raw = try loaded.variables(for: "web1")["ansible_become_password"]
        #expect(raw?.text == "********")
        #expect(raw?.jsonText.hasPrefix("{\"__ansible_vault\": \"$ANSIBLE_VAULT;1.1;AES256\\n") == true)
    }

    @Test func withoutASecretOnlyTheHostThatUsesItFailsNamingFileLineAndOptions() throws {
        let path = try inventory()
        let loaded = try Inventory.load(paths: [path])
        // web2 has nothing vaulted: it resolves.
        #expect(try loaded.connectionVars(for: "web2").address == "127.0.0.2")
        do {
            _ = try loaded.connectionVars(for: "web1")
            Issue.record("a vaulted become password was used without a secret")
        } catch {
            let message = "\(error)"
            #expect(message.hasPrefix("\(path):5:"), "\(message)")
            #expect(message.contains("host 'web1': ansible_become_password: it is vault-encrypted and no vault secret was given"))
            #expect(message.contains("--vault-password-file") && !message.contains("S3cret"))
        }
    }

    @Test func aWrongSecretIsAnHMACMismatchAtTheVariablesLine() throws {
        let path = try inventory()
        let wrong = Vault(secrets: [VaultSecret(label: "default", origin: "test", password: Array("wrong".utf8))])
        let loaded = try Inventory.load(paths: [path], vault: wrong)
        #expect(throws: (any Error).self) { try loaded.connectionVars(for: "web1") }
        do { _ = try loaded.connectionVars(for: "web1") } catch {
            #expect("\(error)".hasPrefix("\(path):5:") && "\(error)".contains("HMAC mismatch"), "\(error)")
        }
    }

    @Test func vaultEncryptedInventoryAndGroupVarsFiles() throws {
        // Fixtures/vaulted: hosts.yml and group_vars/all.yml, both encrypted whole by ansible-vault.
        let path = Fixture.path("vaulted/hosts.yml")
        let loaded = try Inventory.load(paths: [path], vault: Self.vault)
        #expect(loaded.hosts.map(\.name) == ["web1", "web2"])
        let web2 = try loaded.connectionVars(for: "web2")
        #expect(web2.address == "127.0.0.2" && web2.user == "deploy" && web2.port == 2222)
        // Without the secret the file itself cannot be read: its path and the options are named.
        #expect(throws: (any Error).self) { try Inventory.load(paths: [path]) }
        do { _ = try Inventory.load(paths: [path]) } catch {
            #expect("\(error)".contains("\(path): cannot read: it is vault-encrypted and no vault secret was given"), "\(error)")
        }
    }
}
