import Synchronization

/// The secrets of this run that are not the operator's own typing: values decrypted from Ansible Vault and the
/// become and login passwords the inventory gives. Every output of the CLI (stdout, stderr) and every text the
/// journal stores passes through `redact`, which writes `********` in place of each of them, so a decrypted
/// value cannot be shown or recorded even when a host prints it back (`echo`, a file's content in a diff, an
/// error). Secrets shorter than `minimumLength` are not masked: hiding every "1" or "yes" would make output
/// unreadable, and so short a secret guards nothing (docs/ansible-compatibility.md).
public enum SecretRegistry {
    public static let minimumLength = 4
    public static let mask = "********"

    private static let secrets = Mutex<[String]>([])

    /// Adds `secret` for the rest of the process.
    public static func register(_ secret: String) {
        guard secret.count >= minimumLength else { return }
        secrets.withLock { list in
            guard !list.contains(secret) else { return }
            list.append(secret)
            // Longest first, so that a secret containing another is masked whole.
            list.sort { $0.count > $1.count }
        }
    }

    /// `text` with every registered secret replaced by `mask`.
    public static func redact(_ text: String) -> String {
        let list = secrets.withLock { $0 }
        guard !list.isEmpty else { return text }
        var out = text
        for secret in list where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: mask)
        }
        return out
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}
