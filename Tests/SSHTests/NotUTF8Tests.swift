import Foundation
import FlotillaCore
import SSH
import Testing

/// ssh config and known_hosts files are read as OpenSSH reads them, bytes and all; bytes that are not UTF-8 are
/// read as U+FFFD and warned about with the offset (from the start of the file) and line of the first one.
@Suite struct NotUTF8Tests {
    @Test func knownHostsLineWithABadByteIsWarnedAboutAndStillRead() throws {
        let key = hostKey("ssh-ed25519", seed: 7).base64
        // Line 2 is a comment with a Latin-1 byte; line 3 an entry whose second pattern has one.
        let bytes = Array("web1 ssh-ed25519 \(key)\n# caf".utf8) + [0xE9] + Array("\nweb2,caf".utf8) + [0xE9]
            + Array(" ssh-ed25519 \(key)\n".utf8)
        let firstLine = "web1 ssh-ed25519 \(key)\n".utf8.count
        let parsed = KnownHostsParser.parse(text: bytes, file: "kh")
        #expect(parsed.entries.map(\.line) == [1, 3])
        #expect(parsed.warnings.map(\.description) == [
            "kh:2: not UTF-8 text: byte 0xE9 at offset \(firstLine + 5) (line 2); read with U+FFFD in its place",
            "kh:3: not UTF-8 text: byte 0xE9 at offset \(firstLine + 7 + 8) (line 3); read with U+FFFD in its place",
        ])
        // The tail of a file is counted from where it starts.
        let tail = KnownHostsParser.parse(text: Array("# x".utf8) + [0xFF], file: "kh", firstLine: 10, firstOffset: 500)
        #expect(tail.warnings.map(\.description) == ["kh:10: not UTF-8 text: byte 0xFF at offset 503 (line 10); read with U+FFFD in its place"])
    }

    @Test func sshConfigWithABadByteIsWarnedAboutAndStillRead() throws {
        let dir = try TempDirectory()
        try FileManager.default.createDirectory(atPath: dir.file(".ssh"), withIntermediateDirectories: true)
        let context = SSHClientConfig.LocalContext(home: dir.path, userName: "alice", hostName: "ctl.example.org", uid: 1000, environment: [:])
        let bytes = Array("Host web1\n  Port 2222\n  # caf".utf8) + [0xE9] + Array("\n  User ops\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: dir.file(".ssh/config")))
        let config = try SSHClientConfig.load(path: "~/.ssh/config", context: context)
        #expect(config.warnings.map(\.description) == [
            dir.file(".ssh/config") + ":3: not UTF-8 text: byte 0xE9 at offset 29 (line 3); read with U+FFFD in its place, "
                + "so a name or path there is not the one ssh would use",
        ])
        let web1 = config.resolve(host: "web1")
        #expect(web1.port == 2222)
        #expect(web1.user == "ops")
    }
}
