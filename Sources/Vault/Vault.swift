import FlotillaCore
import Foundation
import Synchronization

/// The vault secrets of a run, and the decryption of vaulted text with them. Each distinct text is
/// decrypted once (PBKDF2's 10,000 rounds dominate); the result is kept for the run.
public final class Vault: Sendable {
    public let secrets: [VaultSecret]
    private let cache = Mutex<[VaultEnvelope: [UInt8]]>([:])

    public init(secrets: [VaultSecret]) {
        self.secrets = secrets
    }

    /// No secrets: every vaulted value is an error that says which options give one.
    public static let none = Vault(secrets: [])

    /// The plaintext of vaulted `text`. Tries the secrets whose vault id is the envelope's label first, then
    /// the others (Ansible's default, `vault_id_match = False`). Blocking (CPU): call it off the cooperative pool.
    public func decrypt(_ text: some StringProtocol) throws(VaultError) -> [UInt8] {
        let envelope = try VaultEnvelope(text)
        if let known = cache.withLock({ $0[envelope] }) { return known }
        guard !secrets.isEmpty else { throw .noSecret(label: envelope.label) }
        let ordered = secrets.filter { $0.label == envelope.label } + secrets.filter { $0.label != envelope.label }
        for secret in ordered {
            if let plain = try VaultCipher.decrypt(envelope, password: secret.password) {
                // A decrypted value is a secret: masked in every output and in the journal from now on.
                if let text = String(validating: plain, as: UTF8.self) {
                    SecretRegistry.register(text)
                    SecretRegistry.register(text.trimmingCharacters(in: .whitespacesAndNewlines))
                }
                cache.withLock { $0[envelope] = plain }
                return plain
            }
        }
        throw .wrongSecret(label: envelope.label, tried: ordered.map(\.label))
    }

    /// `decrypt` on the blocking pool.
    public func decrypt(_ text: String) async throws -> [UInt8] {
        try await offload { try self.decrypt(text) }
    }

    /// Loads every identity's password (files, scripts, the terminal), in the order given. Two identities
    /// with one label are both kept and tried in order, as Ansible does. Blocking: call it off the cooperative pool.
    public static func load(_ identities: [VaultIdentity], ask: (String) throws -> [UInt8] = VaultIdentity.askOnTerminal) throws(VaultError) -> Vault {
        var secrets: [VaultSecret] = []
        for identity in identities {
            secrets.append(try identity.load(ask: ask))
        }
        return Vault(secrets: secrets)
    }
}
