import Foundation
import FlotillaCore

/// The one place where facts become a digest.
///
/// The digest is SHA-256 over a canonical encoding (JSON with sorted keys, no whitespace, file contents in
/// base64), so two equal `HostFacts` always give the same digest, written `sha256:` + lowercase hex.
public enum FactsDigest {
    public static func digest(of facts: HostFacts) -> String {
        sha256(Array(canonicalJSON(facts).utf8))
    }

    /// `sha256:` + lowercase hex of the bytes; used for facts, playbooks and file contents alike.
    public static func sha256(_ bytes: [UInt8]) -> String {
        "sha256:" + Hex.encode(SHA256.hash(bytes))
    }

    /// The canonical encoding the digest is taken over.
    public static func canonicalJSON(_ facts: HostFacts) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // HostFacts holds only strings, numbers, booleans and arrays of them: encoding cannot fail.
        guard let data = try? encoder.encode(facts) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
