#if canImport(Glibc)
import Glibc
#endif

/// Prepares a host's disk before its first boot: the overlay over the image, a unique hostname and
/// machine-id, fresh SSH host keys, the lab key for root and `admin`, and `operator`'s sudo password.
enum HostProvisioner {
    /// Per-host directories: `upper` (the host's own changes), `work` (overlayfs), `root` (merged).
    static func directories(_ hostDir: String) -> (upper: String, work: String, root: String) {
        (hostDir + "/upper", hostDir + "/work", hostDir + "/root")
    }

    static func mountOverlay(lowerDirs: [String], hostDir: String) async throws {
        let d = directories(hostDir)
        for dir in [d.upper, d.work, d.root] { try SmallFile.makeDirectories(dir) }
        guard !MountTable.isMounted(d.root) else { return }
        try await LocalCommand.run([
            "mount", "-t", "overlay", "overlay", "-o",
            "lowerdir=\(lowerDirs.joined(separator: ":")),upperdir=\(d.upper),workdir=\(d.work)", d.root,
        ])
    }

    /// Writes the per-host files into the merged root and returns the host's public keys
    /// (known_hosts key type and base64 blob).
    static func personalize(
        root: String, name: String, publicKey: String, operatorPassword: String
    ) async throws -> [String] {
        try SmallFile.write(root + "/etc/hostname", name + "\n")
        try SmallFile.write(root + "/etc/hosts", """
            127.0.0.1\tlocalhost
            127.0.1.1\t\(name)
            ::1\tlocalhost ip6-localhost ip6-loopback

            """)
        var rng = SystemRandomNumberGenerator()
        let machineID = (0..<16).map { _ in
            let b = UInt8.random(in: 0...255, using: &rng)
            return (b < 16 ? "0" : "") + String(b, radix: 16)
        }.joined()
        try SmallFile.write(root + "/etc/machine-id", machineID + "\n", mode: 0o444)

        // root, admin and operator log in with the lab key.
        try installKey(publicKey, home: root + "/root", uid: 0, gid: 0)
        guard let admin = userIDs(root: root, user: "admin") else {
            throw LabError.imageIncomplete(path: root + "/etc/passwd (user admin)")
        }
        try installKey(publicKey, home: root + "/home/admin", uid: admin.uid, gid: admin.gid)
        if let op = userIDs(root: root, user: "operator") {
            try installKey(publicKey, home: root + "/home/operator", uid: op.uid, gid: op.gid)
        }

        // Fresh host keys, never shared between hosts; operator's password for password-checked sudo.
        for file in SmallFile.list(root + "/etc/ssh") where file.hasPrefix("ssh_host_") {
            unlink(root + "/etc/ssh/" + file)
        }
        // Ed25519 and ECDSA only: an RSA key costs ~0.6 s of CPU per host and adds nothing to the lab.
        try SmallFile.makeDirectories(root + "/etc/ssh/sshd_config.d")
        try SmallFile.write(root + "/etc/ssh/sshd_config.d/flotilla-lab.conf", """
            # flotilla lab: this host's own keys (generated before its first boot).
            HostKey /etc/ssh/ssh_host_ed25519_key
            HostKey /etc/ssh/ssh_host_ecdsa_key

            """)
        try await LocalCommand.run(
            ["chroot", root, "/bin/sh", "-c", """
                ssh-keygen -q -t ed25519 -N '' -C root@\(name) -f /etc/ssh/ssh_host_ed25519_key &&
                ssh-keygen -q -t ecdsa -N '' -C root@\(name) -f /etc/ssh/ssh_host_ecdsa_key &&
                chpasswd
                """],
            input: "operator:\(operatorPassword)\n")
        var keys: [String] = []
        for file in SmallFile.list(root + "/etc/ssh") where file.hasPrefix("ssh_host_") && file.hasSuffix(".pub") {
            guard let text = SmallFile.read(root + "/etc/ssh/" + file) else { continue }
            let words = text.split(separator: " ")
            if words.count >= 2 { keys.append("\(words[0]) \(words[1])") }
        }
        guard !keys.isEmpty else { throw LabError.imageIncomplete(path: root + "/etc/ssh/ssh_host_*_key.pub") }
        return keys.sorted()
    }

    static func installKey(_ publicKey: String, home: String, uid: UInt32, gid: UInt32) throws {
        let dir = home + "/.ssh"
        try SmallFile.makeDirectories(dir, mode: 0o700)
        try SmallFile.write(dir + "/authorized_keys", publicKey.hasSuffix("\n") ? publicKey : publicKey + "\n", mode: 0o600)
        chmod(dir, 0o700)
        chown(dir, uid, gid)
        chown(dir + "/authorized_keys", uid, gid)
    }

    /// uid and gid of `user` from the root's /etc/passwd.
    static func userIDs(root: String, user: String) -> (uid: UInt32, gid: UInt32)? {
        guard let passwd = SmallFile.read(root + "/etc/passwd") else { return nil }
        for line in passwd.split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            if f.count > 3, f[0] == user, let uid = UInt32(f[2]), let gid = UInt32(f[3]) { return (uid, gid) }
        }
        return nil
    }
}
