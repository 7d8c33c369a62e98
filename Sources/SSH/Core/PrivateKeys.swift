import FlotillaCore
import Foundation
import Synchronization

/// A private key held in memory, unencrypted, for `libssh2_userauth_publickey_frommemory`.
struct PrivateKey: Sendable {
    let path: String
    /// The SSH key type, e.g. "ssh-ed25519", "ssh-rsa", or "" when the format does not say.
    let type: String
    let data: [UInt8]
}

/// A user certificate (`IDENTITY-cert.pub`, as `ssh-keygen -s` writes it next to `IDENTITY.pub`), offered before
/// its key by `libssh2_userauth_publickey_frommemory`, which takes it as the public key.
struct UserCertificate: Sendable {
    let path: String
    /// The certificate type, e.g. `ssh-ed25519-cert-v01@openssh.com`.
    let type: String
    /// The file's first line, `TYPE BASE64 [COMMENT]`.
    let line: [UInt8]
}

/// What the first lines of a private key file tell without decrypting it.
struct PrivateKeyInfo: Equatable {
    var type: String
    var encrypted: Bool

    static func inspect(_ text: String) -> PrivateKeyInfo? {
        if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
            let body = text
                .components(separatedBy: "\n")
                .filter { !$0.hasPrefix("-----") }
                .joined()
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard let data = Data(base64Encoded: body, options: .ignoreUnknownCharacters) else { return nil }
            var reader = WireReader(data: Array(data))
            guard reader.skipMagic("openssh-key-v1\0"),
                  let cipher = reader.string(), reader.string() != nil, reader.string() != nil,
                  reader.uint32() != nil, let publicKey = reader.bytes()
            else { return nil }
            var inner = WireReader(data: publicKey)
            let type = inner.string() ?? ""
            return PrivateKeyInfo(type: type, encrypted: cipher != "none")
        }
        let encrypted = text.contains("Proc-Type: 4,ENCRYPTED") || text.contains("BEGIN ENCRYPTED PRIVATE KEY")
        if text.contains("BEGIN RSA PRIVATE KEY") { return PrivateKeyInfo(type: "ssh-rsa", encrypted: encrypted) }
        if text.contains("BEGIN EC PRIVATE KEY") { return PrivateKeyInfo(type: "ecdsa", encrypted: encrypted) }
        if text.contains("BEGIN DSA PRIVATE KEY") { return PrivateKeyInfo(type: "ssh-dss", encrypted: encrypted) }
        if text.contains("PRIVATE KEY-----") { return PrivateKeyInfo(type: "", encrypted: encrypted) }
        return nil
    }
}

/// Reads SSH wire-format fields (uint32 lengths, big endian).
struct WireReader {
    let data: [UInt8]
    var offset = 0

    mutating func skipMagic(_ magic: String) -> Bool {
        let m = Array(magic.utf8)
        guard data.count >= m.count, Array(data[0..<m.count]) == m else { return false }
        offset = m.count
        return true
    }

    mutating func uint32() -> UInt32? {
        guard offset + 4 <= data.count else { return nil }
        defer { offset += 4 }
        return data[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func bytes() -> [UInt8]? {
        guard let length = uint32(), offset + Int(length) <= data.count else { return nil }
        defer { offset += Int(length) }
        return Array(data[offset..<offset + Int(length)])
    }

    mutating func string() -> String? { bytes().map { String(decoding: $0, as: UTF8.self) } }
}

/// Private keys, each read and decrypted once per run however many hosts use it: a passphrase-protected
/// key costs ~100 ms of CPU per decryption (bcrypt KDF), which 1000 hosts must not pay 1000 times.
final class KeyStore: Sendable {
    typealias PassphraseProvider = @Sendable (_ path: String) -> String?

    private let cache = Mutex<[String: Task<PrivateKey, any Error>]>([:])
    private let passphrase: PassphraseProvider
    /// Only one passphrase prompt at a time.
    private let promptLock = NSLock()

    init(passphrase: @escaping PassphraseProvider) {
        self.passphrase = passphrase
    }

    func key(at path: String) async throws -> PrivateKey {
        let task = cache.withLock { cache -> Task<PrivateKey, any Error> in
            if let task = cache[path] { return task }
            let task = Task { [self] in try await offload { try self.load(path) } }
            cache[path] = task
            return task
        }
        return try await task.value
    }

    /// The certificate OpenSSH would use with the key at `keyPath`: `KEYPATH-cert.pub`. nil when there is none;
    /// `.failure` with the reason when the file is there but cannot be used (malformed, a host certificate, or the
    /// certificate of another key than `KEYPATH.pub`).
    func certificate(forKey keyPath: String) async -> Result<UserCertificate, SSHError>? {
        let path = keyPath + "-cert.pub"
        return try? await offload { () -> Result<UserCertificate, SSHError>? in
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            return Self.loadCertificate(path, keyPath: keyPath)
        }
    }

    /// Blocking: runs on the blocking pool.
    static func loadCertificate(_ path: String, keyPath: String) -> Result<UserCertificate, SSHError> {
        func unusable(_ reason: String) -> Result<UserCertificate, SSHError> {
            .failure(.userCertificate(path: path, reason: reason))
        }
        guard let data = FileManager.default.contents(atPath: path) else { return unusable("cannot be read") }
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 2, let blob = HostKey(base64: fields[1])?.blob else {
            return unusable("is not an OpenSSH certificate (TYPE BASE64 [COMMENT])")
        }
        let certificate: SSHCertificate
        do {
            certificate = try SSHCertificate(blob: blob)
        } catch {
            return unusable("is not a usable OpenSSH certificate: \(error)")
        }
        guard certificate.type == fields[0] else {
            return unusable("says \(fields[0]) but holds a \(certificate.type)")
        }
        guard certificate.kind == .user else { return unusable("is not a user certificate") }
        if let pub = FileManager.default.contents(atPath: keyPath + ".pub"),
           let plain = String(decoding: pub, as: UTF8.self).split(separator: " ").dropFirst().first.flatMap({ HostKey(base64: $0) }),
           plain != certificate.key {
            return unusable("certifies another key than \(keyPath).pub")
        }
        return .success(UserCertificate(path: path, type: certificate.type, line: Array(line.utf8)))
    }

    /// Blocking: runs on the blocking pool.
    private func load(_ path: String) throws -> PrivateKey {
        if let reason = Self.permissionProblem(path) { throw SSHError.privateKey(path: path, reason: reason) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SSHError.privateKey(path: path, reason: "cannot be read")
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let info = PrivateKeyInfo.inspect(text) else {
            throw SSHError.privateKey(path: path, reason: "is not a private key in OpenSSH or PEM format")
        }
        guard info.encrypted else { return PrivateKey(path: path, type: info.type, data: Array(data)) }
        promptLock.lock()
        defer { promptLock.unlock() }
        guard let secret = passphrase(path) else {
            throw SSHError.privateKey(
                path: path,
                reason: "is protected by a passphrase; set FLOTILLA_SSH_PASSPHRASE, run on a terminal to be asked, or load it into ssh-agent")
        }
        return PrivateKey(path: path, type: info.type, data: try Self.decrypt(path: path, passphrase: secret))
    }

    /// As ssh's `sshkey_perm_ok`: a key file owned by the user who runs Flotilla must not be readable or writable by
    /// group or others (ssh prints "UNPROTECTED PRIVATE KEY FILE!" and ignores such a key).
    static func permissionProblem(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        guard info.st_uid == getuid(), info.st_mode & 0o077 != 0 else { return nil }
        let mode = String(info.st_mode & 0o777, radix: 8)
        return "is unprotected: permissions 0\(mode) are too open, others may read it (ssh refuses it too: "
            + "\"UNPROTECTED PRIVATE KEY FILE!\"); make it readable by its owner only: chmod 600 \(path)"
    }

    /// Decrypts a copy of the key with ssh-keygen in a private tmpfs directory. The passphrase reaches
    /// ssh-keygen through SSH_ASKPASS and the environment, never through its command line.
    static func decrypt(path: String, passphrase: String) throws -> [UInt8] {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        var template = Array("\(base)/flotilla-key.XXXXXX".utf8CString)
        guard let dirPointer = mkdtemp(&template) else {
            throw SSHError.privateKey(path: path, reason: "cannot create a private temporary directory")
        }
        let dir = String(cString: dirPointer)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let copy = dir + "/key"
        let askpass = dir + "/askpass"
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        chmod(copy, 0o600)
        try Data("#!/bin/sh\nprintf '%s\\n' \"$FLOTILLA_ASKPASS_SECRET\"\n".utf8).write(to: URL(fileURLWithPath: askpass))
        chmod(askpass, 0o700)

        var environment = ProcessInfo.processInfo.environment
        environment["SSH_ASKPASS"] = askpass
        environment["SSH_ASKPASS_REQUIRE"] = "force"
        environment["DISPLAY"] = environment["DISPLAY"] ?? ":0"
        environment["FLOTILLA_ASKPASS_SECRET"] = passphrase
        let result: LocalProcess.Output
        do {
            result = try LocalProcess.run(["ssh-keygen", "-p", "-N", "", "-f", copy], environment: environment)
        } catch {
            throw SSHError.privateKey(path: path, reason: "cannot run ssh-keygen to decrypt it: \(error)")
        }
        guard result.status == 0, let decrypted = FileManager.default.contents(atPath: copy) else {
            let detail = result.text.trimmingCharacters(in: .whitespacesAndNewlines)
            throw SSHError.privateKey(path: path, reason: "could not be decrypted (wrong passphrase?): \(detail)")
        }
        return Array(decrypted)
    }
}
