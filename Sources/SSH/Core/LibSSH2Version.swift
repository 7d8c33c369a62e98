import CLibSSH2

extension SSHTransport {
    /// The version of the libssh2 this process runs with (Flotilla links it statically, so it is the one it was
    /// built against; `scripts/setup.sh` provides 1.11 or later).
    public static var libssh2Version: String {
        libssh2_version(0).map { String(cString: $0) } ?? "unknown"
    }

    /// What to tell a user whose RSA key the server refused: libssh2 before 1.11 signs RSA keys only with SHA-1
    /// `ssh-rsa`, which OpenSSH 8.8 and later refuse by default; 1.11 signs with rsa-sha2-512/256, so a refusal
    /// there is an ordinary one and needs no hint.
    public static func rsaRefusalHint(libssh2Version version: String) -> String? {
        let parts = version.split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 }
        let (major, minor) = (parts.first ?? 0, parts.count > 1 ? parts[1] : 0)
        guard major < 1 || (major == 1 && minor < 11) else { return nil }
        return "The server refused an RSA key: the libssh2 in use (\(version)) is older than 1.11 and signs RSA keys "
            + "only with ssh-rsa (SHA-1), which OpenSSH 8.8 and later refuse by default. Rebuild Flotilla after "
            + "scripts/setup.sh (it provides libssh2 1.11), or use an ed25519 key"
    }
}
