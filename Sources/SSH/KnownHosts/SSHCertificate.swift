import CLibSSH2
import FlotillaCore
import Glibc

/// An OpenSSH certificate (PROTOCOL.certkeys): a public key signed by a certificate authority, with the names it
/// is valid for and when. Servers present one as their host key (`HostCertificate` in sshd_config); users log in
/// with one (`id_ed25519-cert.pub`).
public struct SSHCertificate: Sendable, Hashable {
    /// `SSH2_CERT_TYPE_USER` (1) or `SSH2_CERT_TYPE_HOST` (2).
    public enum Kind: UInt32, Sendable {
        case user = 1
        case host = 2
    }

    /// The whole certificate blob.
    public let blob: [UInt8]
    /// The certificate type, e.g. `ssh-ed25519-cert-v01@openssh.com`.
    public let type: String
    /// The key the certificate certifies, as a plain key blob (`ssh-ed25519` ...).
    public let key: HostKey
    public let serial: UInt64
    /// The raw type field (1 user, 2 host, anything else is neither).
    public let kindValue: UInt32
    public let keyID: String
    /// The names the certificate is valid for; empty means any name (see `check`).
    public let principals: [String]
    /// Seconds since the epoch: valid from `validAfter` (inclusive) to `validBefore` (exclusive).
    public let validAfter: UInt64
    public let validBefore: UInt64
    /// The names of the critical options (a host certificate must have none).
    public let criticalOptions: [String]
    public let extensions: [String]
    /// The certificate authority's public key.
    public let signatureKey: HostKey
    /// The bytes the CA signed: everything before the signature field.
    let signedBody: [UInt8]
    /// The signature: string algorithm, string signature data.
    let signature: [UInt8]

    public var kind: Kind? { Kind(rawValue: kindValue) }

    /// The number of key fields after the nonce for each certified key type (PROTOCOL.certkeys).
    private static let keyFields: [String: Int] = [
        "ssh-ed25519": 1, "ecdsa-sha2-nistp256": 2, "ecdsa-sha2-nistp384": 2, "ecdsa-sha2-nistp521": 2, "ssh-rsa": 2,
    ]

    /// The suffix of every certificate type.
    public static let typeSuffix = "-cert-v01@openssh.com"

    /// Whether a key type (or host key algorithm) is a certificate's.
    public static func isCertificateType(_ type: String) -> Bool { type.hasSuffix(typeSuffix) }

    /// Parses a certificate blob; the error says what is malformed.
    public init(blob: [UInt8]) throws(SSHCertificateError) {
        var reader = CertificateReader(blob)
        let type = try reader.text("certificate type")
        guard type.hasSuffix(Self.typeSuffix) else { throw .malformed("\(type) is not a certificate type") }
        let plainType = String(type.dropLast(Self.typeSuffix.count))
        guard let fields = Self.keyFields[plainType] else { throw .unsupported(type) }
        _ = try reader.bytes("nonce")
        let keyStart = reader.offset
        for _ in 0..<fields { _ = try reader.bytes("public key") }
        var keyBlob = CertificateReader.string(Array(plainType.utf8))
        keyBlob += blob[keyStart..<reader.offset]
        guard let key = HostKey(blob: keyBlob) else { throw .malformed("the certified key") }
        self.blob = blob
        self.type = type
        self.key = key
        serial = try reader.uint64("serial")
        kindValue = try reader.uint32("type")
        keyID = try reader.text("key id")
        principals = try CertificateReader.strings(try reader.bytes("principals"), "principals")
        validAfter = try reader.uint64("valid after")
        validBefore = try reader.uint64("valid before")
        criticalOptions = try Self.optionNames(try reader.bytes("critical options"), "critical options")
        extensions = try Self.optionNames(try reader.bytes("extensions"), "extensions")
        _ = try reader.bytes("reserved")
        guard let signatureKey = HostKey(blob: try reader.bytes("signature key")) else { throw .malformed("the CA key") }
        guard !Self.isCertificateType(signatureKey.type) else { throw .malformed("the CA key is itself a certificate") }
        self.signatureKey = signatureKey
        signedBody = Array(blob[..<reader.offset])
        signature = try reader.bytes("signature")
        guard reader.atEnd else { throw .malformed("bytes after the signature") }
    }

    /// Options and extensions: (string name, string data) pairs.
    private static func optionNames(_ bytes: [UInt8], _ what: String) throws(SSHCertificateError) -> [String] {
        var reader = CertificateReader(bytes)
        var names: [String] = []
        while !reader.atEnd {
            names.append(try reader.text(what))
            _ = try reader.bytes(what)
        }
        return names
    }

    /// The signature's algorithm (`rsa-sha2-512`, `ssh-ed25519`...), as OpenSSH's CASignatureAlgorithms names it.
    public var signatureAlgorithm: String? {
        var reader = CertificateReader(signature)
        return try? reader.text("signature")
    }

    /// The CA signature algorithms OpenSSH accepts by default (its `CASignatureAlgorithms`): not SHA-1 `ssh-rsa`.
    public static let acceptedSignatureAlgorithms = [
        "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256",
    ]

    /// Whether the CA's signature over the certificate is valid, checked with OpenSSL as OpenSSH checks it: the
    /// signature algorithm must suit the CA key and be one of `acceptedSignatureAlgorithms`.
    public func signatureIsValid() throws(SSHCertificateError) -> Bool {
        var sigReader = CertificateReader(signature)
        let algorithm = try sigReader.text("signature algorithm")
        let data = try sigReader.bytes("signature")
        guard Self.acceptedSignatureAlgorithms.contains(algorithm) else {
            throw .signatureAlgorithm(algorithm)
        }
        guard HostKey.algorithms(forKeyType: signatureKey.type).contains(algorithm) else {
            throw .malformed("a \(algorithm) signature from a \(signatureKey.type) CA key")
        }
        var keyReader = CertificateReader(signatureKey.blob)
        _ = try keyReader.text("CA key type")
        let message = signedBody
        let rc: Int32
        switch signatureKey.type {
        case "ssh-ed25519":
            let pk = try keyReader.bytes("CA key")
            guard pk.count == 32, data.count == 64 else { return false }
            rc = flotilla_verify_ed25519(pk, pk.count, data, data.count, message, message.count)
        case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
            let (group, digest) = switch signatureKey.type {
            case "ecdsa-sha2-nistp256": ("prime256v1", "SHA256")
            case "ecdsa-sha2-nistp384": ("secp384r1", "SHA384")
            default: ("secp521r1", "SHA512")
            }
            _ = try keyReader.bytes("CA key curve")
            let q = try keyReader.bytes("CA key")
            var integers = CertificateReader(data)
            let r = try integers.bytes("signature r"), s = try integers.bytes("signature s")
            rc = flotilla_verify_ecdsa(group, digest, q, q.count, r, r.count, s, s.count, message, message.count)
        case "ssh-rsa":
            let e = try keyReader.bytes("CA key exponent"), n = try keyReader.bytes("CA key modulus")
            // OpenSSH's SSH_RSA_MINIMUM_MODULUS_SIZE.
            let bits = n.drop(while: { $0 == 0 }).count * 8
            guard bits >= 1024 else { throw .malformed("the RSA CA key has fewer than 1024 bits") }
            let digest = algorithm == "rsa-sha2-512" ? "SHA512" : "SHA256"
            rc = flotilla_verify_rsa(digest, e, e.count, n, n.count, data, data.count, message, message.count)
        default:
            throw .unsupported(signatureKey.type)
        }
        if rc < 0 { throw .malformed("the CA key could not be loaded") }
        return rc == 1
    }

    /// Why OpenSSH would refuse this certificate as the host key of `name` at `now` (seconds since the epoch), in
    /// the order it checks (`sshkey_cert_check_authority`, then `check_host_cert`); nil when it is acceptable. The
    /// CA signature is checked by `signatureIsValid`, the CA itself against known_hosts by the caller.
    ///
    /// An empty principal list is valid for any name, as in OpenSSH (which asks for a principal only of user
    /// certificates checked against `TrustedUserCAKeys` without `AuthorizedPrincipalsFile`).
    public func hostRefusal(name: String, now: UInt64) -> String? {
        guard kind == .host else {
            return kind == .user ? "it is a user certificate, not a host certificate" : "its type \(kindValue) is not a host certificate"
        }
        if now < validAfter { return "not yet valid: valid from \(Self.timeText(validAfter))" }
        if now >= validBefore { return "expired: valid until \(Self.timeText(validBefore))" }
        if !principals.isEmpty, !principals.contains(name) {
            return "\(name) is not a listed principal (the certificate names \(principals.joined(separator: ", ")))"
        }
        if !criticalOptions.isEmpty {
            return "it has critical options (\(criticalOptions.joined(separator: ", "))), which host certificates cannot have"
        }
        return nil
    }

    /// `2026-12-04T17:00:00Z`, or `forever`/`always` for OpenSSH's open ends.
    static func timeText(_ seconds: UInt64) -> String {
        if seconds == 0 { return "always" }
        if seconds == UInt64.max { return "forever" }
        guard seconds < UInt64(Int64.max) else { return "\(seconds)" }
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "\(seconds)" }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

/// Why a certificate could not be read or checked.
public enum SSHCertificateError: Error, Sendable, Hashable, CustomStringConvertible {
    case malformed(String)
    case unsupported(String)
    /// A CA signature algorithm OpenSSH refuses by default (SHA-1 `ssh-rsa`).
    case signatureAlgorithm(String)

    public var description: String {
        switch self {
        case .malformed(let what): "malformed certificate: \(what)"
        case .unsupported(let type): "unsupported certificate or CA key type \(type)"
        case .signatureAlgorithm(let name):
            "the CA signed it with \(name), which OpenSSH refuses by default (CASignatureAlgorithms)"
        }
    }
}

/// Reads SSH wire-format fields (RFC 4251 section 5).
struct CertificateReader {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { offset == bytes.count }

    mutating func uint32(_ what: String) throws(SSHCertificateError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw .malformed("\(what) is cut short") }
        let value = bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        offset += 4
        return value
    }

    mutating func uint64(_ what: String) throws(SSHCertificateError) -> UInt64 {
        guard bytes.count - offset >= 8 else { throw .malformed("\(what) is cut short") }
        let value = bytes[offset..<offset + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        offset += 8
        return value
    }

    mutating func bytes(_ what: String) throws(SSHCertificateError) -> [UInt8] {
        let length = Int(try uint32(what))
        guard bytes.count - offset >= length else { throw .malformed("\(what) is cut short") }
        defer { offset += length }
        return Array(bytes[offset..<offset + length])
    }

    mutating func text(_ what: String) throws(SSHCertificateError) -> String {
        let raw = try bytes(what)
        guard let text = String(validating: raw, as: UTF8.self), !text.contains("\0") else {
            throw .malformed("\(what) is not text")
        }
        return text
    }

    /// A packed list of strings (the principals field).
    static func strings(_ bytes: [UInt8], _ what: String) throws(SSHCertificateError) -> [String] {
        var reader = CertificateReader(bytes)
        var result: [String] = []
        while !reader.atEnd { result.append(try reader.text(what)) }
        return result
    }

    /// `string` in wire format.
    static func string(_ bytes: [UInt8]) -> [UInt8] {
        let n = UInt32(bytes.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + bytes
    }
}
