import Crypto
import CryptoExtras
import Foundation

/// Ansible Vault's AES256 scheme (formats 1.1 and 1.2): PBKDF2-HMAC-SHA256 with 10,000 rounds derives 80
/// bytes from the password and the salt (an AES-256 key, an HMAC-SHA256 key, the initial CTR counter); the
/// HMAC of the ciphertext is checked, in constant time, before anything is decrypted; the plaintext is
/// PKCS#7-padded. All of it is swift-crypto's (BoringSSL underneath).
public enum VaultCipher {
    public static let rounds = 10_000

    /// The plaintext of `envelope` under `password`, or nil when the HMAC does not match (a wrong password).
    /// Throws when the HMAC matches but the padding is damaged. CPU-bound (PBKDF2): call it off the
    /// cooperative pool (`Vault.decrypt` does).
    public static func decrypt(_ envelope: VaultEnvelope, password: [UInt8]) throws(VaultError) -> [UInt8]? {
        let derived: SymmetricKey
        do {
            derived = try KDF.Insecure.PBKDF2.deriveKey(
                from: password, salt: envelope.salt, using: .sha256, outputByteCount: 80, unsafeUncheckedRounds: rounds)
        } catch {
            throw .damaged("key derivation failed: \(error)")
        }
        let bytes = derived.withUnsafeBytes { Array($0) }
        let cipherKey = SymmetricKey(data: bytes[0..<32])
        let macKey = SymmetricKey(data: bytes[32..<64])
        let counter = Array(bytes[64..<80])
        // HMAC.isValidAuthenticationCode compares in constant time.
        guard HMAC<SHA256>.isValidAuthenticationCode(envelope.hmac, authenticating: envelope.ciphertext, using: macKey) else {
            return nil
        }
        let padded: Data
        do {
            padded = try AES._CTR.decrypt(envelope.ciphertext, using: cipherKey, nonce: AES._CTR.Nonce(nonceBytes: counter))
        } catch {
            throw .damaged("AES-CTR failed: \(error)")
        }
        guard let pad = padded.last, (1...16).contains(pad), padded.count >= Int(pad),
            padded.suffix(Int(pad)).allSatisfy({ $0 == pad })
        else {
            throw .damaged("the decrypted text has bad padding")
        }
        return Array(padded.dropLast(Int(pad)))
    }
}
