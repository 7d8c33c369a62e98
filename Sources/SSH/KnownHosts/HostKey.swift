import FlotillaCore

/// A server's public host key: the SSH wire-format blob (RFC 4253 section 6.6), exactly the bytes that
/// appear base64-encoded in known_hosts. The key type is the blob's first string field.
public struct HostKey: Sendable, Hashable {
    /// The wire-format key blob.
    public let blob: [UInt8]
    /// The key type named inside the blob, e.g. `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`.
    public let type: String

    /// Reads the key type from the blob; nil when the blob does not start with a plausible type string
    /// (a big-endian length of 1...64 followed by that many printable ASCII characters).
    public init?(blob: [UInt8]) {
        guard let type = HostKey.leadingType(blob) else { return nil }
        self.blob = blob
        self.type = type
    }

    /// A key from its base64 text as written in known_hosts or a `.pub` file.
    public init?(base64: some StringProtocol) {
        guard let blob = Base64.decode(base64) else { return nil }
        self.init(blob: blob)
    }

    /// The blob in base64, as known_hosts and `.pub` files write it.
    public var base64: String { Base64.encode(blob) }

    /// OpenSSH's fingerprint: `SHA256:` and the unpadded base64 of SHA-256 over the blob, as printed by
    /// `ssh-keygen -l` and by ssh when it meets an unknown host.
    public var fingerprintSHA256: String {
        "SHA256:" + Base64.encode(SHA256.hash(blob), padding: false)
    }

    /// The host-key algorithm names that produce keys of `keyType`, strongest first. An RSA key
    /// (`ssh-rsa` blob) is offered by servers as `rsa-sha2-512`, `rsa-sha2-256` or `ssh-rsa`; every
    /// other type is its own algorithm name.
    public static func algorithms(forKeyType keyType: String) -> [String] {
        keyType == "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [keyType]
    }

    private static func leadingType(_ blob: [UInt8]) -> String? {
        guard blob.count >= 4 else { return nil }
        let length = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
        guard (1...64).contains(length), blob.count >= 4 + length else { return nil }
        let bytes = blob[4..<4 + length]
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension HostKey {
    /// The key type as ssh names it in messages: ED25519, ECDSA, RSA.
    public static func displayType(_ type: String) -> String {
        switch type {
        case "ssh-ed25519": "ED25519"
        case let t where t.hasPrefix("ecdsa-"): "ECDSA"
        case "ssh-rsa", "rsa-sha2-256", "rsa-sha2-512": "RSA"
        default: type
        }
    }
}
