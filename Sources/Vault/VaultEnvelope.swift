import FlotillaCore

/// Ansible Vault text as ansible-vault writes it:
///
///     $ANSIBLE_VAULT;1.1;AES256            (1.2 adds ;LABEL, the vault id)
///     6162...                               hex, in lines of 80
///
/// The hex body decodes to three lines: the salt (hex), the HMAC-SHA256 of the ciphertext (hex) and the
/// ciphertext (hex). The envelope is only parsed here; `VaultCipher` decrypts it.
public struct VaultEnvelope: Sendable, Hashable {
    public var version: String
    public var cipher: String
    /// The vault id of format 1.2; nil for 1.1.
    public var label: String?
    public var salt: [UInt8]
    public var hmac: [UInt8]
    public var ciphertext: [UInt8]

    public static let marker = "$ANSIBLE_VAULT;"

    /// Whether `text` starts like vaulted text (as Ansible's `is_encrypted`: the marker at the start).
    public static func isVaulted(_ text: some StringProtocol) -> Bool {
        text.utf8.starts(with: marker.utf8)
    }

    /// Whether `bytes` (a whole file) starts like vaulted text.
    public static func isVaulted(bytes: [UInt8]) -> Bool {
        bytes.starts(with: Array(marker.utf8))
    }

    public init(_ text: some StringProtocol) throws(VaultError) {
        // Ansible splits on any line break and strips each header field; the body's lines are joined.
        let lines = text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
        guard let header = lines.first, Self.isVaulted(header) else {
            throw .damaged("it does not start with \(Self.marker)")
        }
        let fields = header.split(separator: ";", omittingEmptySubsequences: false).map {
            $0.trimmingWhitespace()
        }
        guard fields.count >= 3 else { throw .damaged("the header `\(header.prefix(80))` has no version and cipher") }
        version = fields[1]
        cipher = fields[2]
        label = fields.count >= 4 ? fields[3] : nil
        guard version == "1.1" || version == "1.2" else { throw .unsupported("version \(version.prefix(20))") }
        guard cipher == "AES256" else { throw .unsupported("cipher \(cipher.prefix(20))") }
        if version == "1.2", label?.isEmpty ?? true { throw .damaged("a 1.2 header without a vault id") }

        var body: [UInt8] = []
        for line in lines.dropFirst() {
            body.append(contentsOf: line.utf8.filter { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D })
        }
        guard let decoded = Self.unhex(body) else { throw .damaged("the body is not hexadecimal") }
        let parts = decoded.split(separator: 0x0A, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .damaged("the body does not hold a salt, an HMAC and a ciphertext") }
        guard let salt = Self.unhex(Array(parts[0])), !salt.isEmpty else { throw .damaged("the salt is not hexadecimal") }
        guard let hmac = Self.unhex(Array(parts[1])), hmac.count == 32 else { throw .damaged("the HMAC is not 32 bytes of hexadecimal") }
        guard let ciphertext = Self.unhex(Array(parts[2])), !ciphertext.isEmpty, ciphertext.count % 16 == 0 else {
            throw .damaged("the ciphertext is not whole AES blocks of hexadecimal")
        }
        self.salt = salt
        self.hmac = hmac
        self.ciphertext = ciphertext
    }

    static func unhex(_ text: [UInt8]) -> [UInt8]? {
        Hex.decode(String(decoding: text, as: UTF8.self))
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
