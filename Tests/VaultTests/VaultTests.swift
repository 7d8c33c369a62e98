import FlotillaCore
import Foundation
import Glibc
import Testing
@testable import Vault

/// Ansible Vault decryption against text that ansible-vault itself wrote: the committed fixtures (made with
/// ansible-core 2.19 and the password in Fixtures/password.txt) and, in `AnsibleOracleTests`, values that the
/// real ansible-vault encrypts at test time.
@Suite struct VaultTests {
    static let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path
    static func fixture(_ name: String) throws -> String { try String(contentsOfFile: fixtures + "/" + name, encoding: .utf8) }

    /// The vault text of an `encrypt_string` output (`name: !vault |` and indented lines).
    static func inline(_ yaml: String) -> String {
        yaml.split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
    }

    static let password = Array("flotilla-test-vault".utf8)
    static let vault = Vault(secrets: [VaultSecret(label: "default", origin: "test", password: password)])

    @Test func inlineValueOfFormat11() throws {
        let text = Self.inline(try Self.fixture("inline-1.1.yml"))
        let envelope = try VaultEnvelope(text)
        #expect(envelope.version == "1.1" && envelope.label == nil && envelope.cipher == "AES256")
        #expect(try String(decoding: Self.vault.decrypt(text), as: UTF8.self) == "S3cret p@ss wörd")
    }

    @Test func format12CarriesItsVaultIDAndIsTriedWithThatSecretFirst() throws {
        let text = Self.inline(try Self.fixture("inline-1.2-prod.yml"))
        #expect(try VaultEnvelope(text).label == "prod")
        // The default secret is tried after the matching one and fails; the prod one decrypts.
        let vault = Vault(secrets: [
            VaultSecret(label: "default", origin: "test", password: Self.password),
            VaultSecret(label: "prod", origin: "test", password: Array("prod-secret".utf8)),
        ])
        #expect(try String(decoding: vault.decrypt(text), as: UTF8.self) == "10.0.0.7")
        // A secret under another label still decrypts it (Ansible's vault_id_match = False).
        let other = Vault(secrets: [VaultSecret(label: "staging", origin: "test", password: Array("prod-secret".utf8))])
        #expect(try String(decoding: other.decrypt(text), as: UTF8.self) == "10.0.0.7")
    }

    @Test func wholeFilesIncludingAPlaintextOfOneFullBlock() throws {
        #expect(VaultEnvelope.isVaulted(try Self.fixture("vaulted-inventory.yml")))
        #expect(try Self.vault.decrypt(Self.fixture("vaulted-inventory.yml")) == Array(try Self.fixture("plain-inventory.yml").utf8))
        // 16 bytes of plaintext: PKCS#7 adds a whole block of padding, which must come off exactly.
        #expect(try Self.vault.decrypt(Self.fixture("vaulted-block16.txt")) == Array(try Self.fixture("block16.txt").utf8))
    }

    @Test func aWrongPasswordIsAnHMACMismatchNamingTheIDsTried() throws {
        let text = Self.inline(try Self.fixture("inline-1.2-prod.yml"))
        let vault = Vault(secrets: [VaultSecret(label: "default", origin: "test", password: Array("nope".utf8))])
        #expect(throws: VaultError.wrongSecret(label: "prod", tried: ["default"])) { try vault.decrypt(text) }
        #expect("\(VaultError.wrongSecret(label: "prod", tried: ["default"]))".contains("HMAC mismatch"))
    }

    @Test func noSecretSaysWhichOptionsGiveOne() throws {
        let text = Self.inline(try Self.fixture("inline-1.1.yml"))
        #expect(throws: VaultError.noSecret(label: nil)) { try Vault.none.decrypt(text) }
        let message = "\(VaultError.noSecret(label: nil))"
        #expect(message.contains("--vault-password-file") && message.contains("--vault-id") && message.contains("--ask-vault-pass"))
    }

    @Test func aTamperedCiphertextIsRefusedBeforeDecrypting() throws {
        var text = Self.inline(try Self.fixture("inline-1.1.yml"))
        // Flip the last hex digit of the body: the ciphertext changes, the HMAC no longer matches.
        let last = text.index(before: text.endIndex)
        text.replaceSubrange(last...last, with: text[last] == "0" ? "1" : "0")
        #expect(throws: VaultError.self) { try Self.vault.decrypt(text) }
        do {
            _ = try Self.vault.decrypt(text)
        } catch {
            // Either the hex body no longer decodes to three parts or the HMAC fails: never plaintext.
            #expect(error == .wrongSecret(label: nil, tried: ["default"]) || "\(error)".contains("damaged"))
        }
    }

    @Test(arguments: [
        ("$ANSIBLE_VAULT;1.0;AES\n00", "unsupported vault format: version 1.0"),
        ("$ANSIBLE_VAULT;1.1;AES128\n00", "unsupported vault format: cipher AES128"),
        ("$ANSIBLE_VAULT;1.1;AES256\nzz", "the body is not hexadecimal"),
        ("$ANSIBLE_VAULT;1.1;AES256\n6162", "does not hold a salt, an HMAC and a ciphertext"),
        ("$ANSIBLE_VAULT;1.2;AES256\n00", "a 1.2 header without a vault id"),
        ("$ANSIBLE_VAULT;1.1\n00", "has no version and cipher"),
        ("plain", "does not start with $ANSIBLE_VAULT;"),
    ])
    func damagedEnvelopesSayWhat(text: String, message: String) {
        do {
            _ = try VaultEnvelope(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func aSecretNeverShowsItsPassword() {
        let secret = VaultSecret(label: "prod", origin: "file /x", password: Array("hunter2".utf8))
        #expect(!"\(secret)".contains("hunter2") && "\(secret)".contains("********"))
        #expect(!String(reflecting: secret).contains("hunter2") && !"\([secret])".contains("hunter2"))
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("hunter2") && !dumped.contains("104, 117"))
    }
}

/// Password sources as Ansible reads them: files (whitespace stripped), scripts (line breaks stripped),
/// client scripts given `--vault-id LABEL` (status 2: no such secret), prompts.
@Suite struct VaultIdentityTests {
    let dir: String = {
        let d = NSTemporaryDirectory() + "flotilla-vault-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    /// Writes through a close-on-exec descriptor: a process that another test spawns meanwhile must not
    /// inherit it, or running the script fails with "Text file busy" (ETXTBSY) while that process lives.
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let path = dir + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, executable ? 0o700 : 0o600)
        #expect(fd >= 0)
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count)
        close(fd)
        return path
    }

    @Test func parsesLabelAtSource() {
        #expect(VaultIdentity(parsing: "prod@/etc/pw") == VaultIdentity(label: "prod", source: "/etc/pw"))
        #expect(VaultIdentity(parsing: "/etc/pw") == VaultIdentity(label: "default", source: "/etc/pw"))
        #expect(VaultIdentity(parsing: "dev@prompt").isPrompt)
    }

    @Test func aFileLosesSurroundingWhitespace() throws {
        let path = try write("pw", "  secret word \n\n")
        let secret = try VaultIdentity(source: path).load()
        #expect(secret.password == Array("secret word".utf8) && secret.origin == "file \(path)")
    }

    @Test func aScriptLosesOnlyLineBreaksAndItsStderrIsNotThePassword() throws {
        let path = try write("pw.sh", "#!/bin/sh\necho 'noise' >&2\nprintf ' spaced \\r\\n'\n", executable: true)
        #expect(try VaultIdentity(source: path).load().password == Array(" spaced ".utf8))
    }

    @Test func aClientScriptIsAskedForItsLabel() throws {
        let path = try write("vault-client.sh", """
            #!/bin/sh
            [ "$1" = --vault-id ] || exit 9
            case "$2" in prod) echo prod-word ;; *) echo "unknown id $2" >&2; exit 2 ;; esac
            """, executable: true)
        #expect(VaultIdentity(label: "prod", source: path).isClientScript)
        #expect(try VaultIdentity(label: "prod", source: path).load().password == Array("prod-word".utf8))
        #expect(throws: VaultError.source("the vault password client script \(path) has no secret for vault id dev: unknown id dev")) {
            try VaultIdentity(label: "dev", source: path).load()
        }
    }

    @Test func failuresNameTheSource() throws {
        let empty = try write("empty", " \n")
        #expect(throws: VaultError.source("the vault password file \(empty) is empty")) { try VaultIdentity(source: empty).load() }
        let failing = try write("fail.sh", "#!/bin/sh\necho broken >&2\nexit 3\n", executable: true)
        #expect(throws: VaultError.source("the vault password script \(failing) exited with status 3: broken")) {
            try VaultIdentity(source: failing).load()
        }
        #expect(throws: VaultError.self) { try VaultIdentity(source: dir + "/missing").load() }
    }

    @Test func aPromptUsesWhatTheTerminalGave() throws {
        var asked: [String] = []
        let secret = try VaultIdentity(label: "prod", source: "prompt").load { prompt in
            asked.append(prompt)
            return Array(" typed \n".utf8)
        }
        #expect(asked == ["Vault password (prod): "] && secret.password == Array("typed".utf8) && secret.origin == "prompt")
    }
}
