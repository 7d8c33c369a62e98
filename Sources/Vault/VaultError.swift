/// Why vaulted text could not be read. Never carries a password or decrypted text.
public enum VaultError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not an `$ANSIBLE_VAULT;VERSION;CIPHER[;LABEL]` envelope, or its body is damaged.
    case damaged(String)
    /// A format version or cipher other than 1.1/1.2 and AES256.
    case unsupported(String)
    /// No secret was given (no --vault-password-file, --vault-id or --ask-vault-pass).
    case noSecret(label: String?)
    /// Every secret given was tried and none matched the HMAC.
    case wrongSecret(label: String?, tried: [String])
    /// A password source (file, script, prompt) could not give a password.
    case source(String)

    public var description: String {
        switch self {
        case .damaged(let why): "damaged vault text: \(why)"
        case .unsupported(let what): "unsupported vault format: \(what) (Flotilla reads 1.1 and 1.2 with AES256, as ansible-vault writes them)"
        case .noSecret(let label):
            "it is vault-encrypted\(label.map { " (vault id \($0))" } ?? "") and no vault secret was given: "
                + "use --vault-password-file FILE, --vault-id [LABEL@]SOURCE or --ask-vault-pass"
        case .wrongSecret(let label, let tried):
            "no vault secret given decrypts it\(label.map { " (vault id \($0))" } ?? "") "
                + "(HMAC mismatch with \(tried.isEmpty ? "the secret" : "vault ids " + tried.joined(separator: ", ")))"
        case .source(let why): why
        }
    }
}
