import Foundation
import FlotillaCore
import SSH
import Synchronization
import Testing

/// A fresh directory under /tmp, removed when the value is dropped by `withTempDirectory`.
struct TempDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "flotilla-ssh-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: file(name)))
    }

    func read(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: file(name))), as: UTF8.self)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs a local tool on a dedicated thread (never blocking the cooperative pool) and returns its exit
/// status and standard output.
func runTool(_ argv: [String]) async throws -> (status: Int32, output: String) {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: argv[0])
            process.arguments = Array(argv.dropFirst())
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            continuation.resume(returning: (process.terminationStatus, String(decoding: data, as: UTF8.self)))
        }.start()
    }
}

/// Runs `body(i)` for each i on its own thread, all at once, and waits (off the pool) until all are done.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        Thread {
            let group = DispatchGroup()
            for i in 0..<count {
                group.enter()
                Thread {
                    body(i)
                    group.leave()
                }.start()
            }
            group.wait()
            continuation.resume()
        }.start()
    }
}

/// A synthetic wire-format key blob: string(type) followed by string(32 bytes of `seed`).
func keyBlob(_ type: String, seed: UInt8) -> [UInt8] {
    func string(_ bytes: [UInt8]) -> [UInt8] {
        let n = UInt32(bytes.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + bytes
    }
    return string(Array(type.utf8)) + string([UInt8](repeating: seed, count: 32))
}

func hostKey(_ type: String, seed: UInt8) -> HostKey {
    HostKey(blob: keyBlob(type, seed: seed))!
}

@Suite struct KnownHostsTests {
    let ed1 = hostKey("ssh-ed25519", seed: 1)
    let ed2 = hostKey("ssh-ed25519", seed: 2)
    let rsa1 = hostKey("ssh-rsa", seed: 3)

    func line(_ hosts: String, _ key: HostKey, comment: String = "") -> String {
        "\(hosts) \(key.type) \(key.base64)\(comment.isEmpty ? "" : " " + comment)"
    }

    func store(_ text: String, in dir: TempDirectory) throws -> KnownHostsStore {
        try dir.write("known_hosts", text)
        return KnownHostsStore(files: [dir.file("known_hosts")], writeFile: nil, home: dir.path)
    }

    @Test func hostKeyReadsItsTypeFromTheBlob() {
        #expect(ed1.type == "ssh-ed25519")
        #expect(HostKey(blob: [0, 0, 0]) == nil)
        #expect(HostKey(blob: [0, 0, 0, 9, 0x61]) == nil)          // length beyond the blob
        #expect(HostKey(blob: [0, 0, 0, 1, 0x20]) == nil)          // not a printable type name
        #expect(HostKey(base64: ed1.base64) == ed1)
        #expect(HostKey(base64: "not base64!") == nil)
        #expect(HostKey.algorithms(forKeyType: "ssh-rsa") == ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"])
        #expect(HostKey.algorithms(forKeyType: "ssh-ed25519") == ["ssh-ed25519"])
    }

    @Test func fingerprintEqualsSshKeygenOutput() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let generated = try await runTool(["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fp-test",
                                           "-f", dir.file("key")])
        #expect(generated.status == 0)
        let pub = try dir.read("key.pub").split(separator: " ")
        let key = try #require(HostKey(base64: pub[1]))
        #expect(key.type == "ssh-ed25519")
        let listed = try await runTool(["/usr/bin/ssh-keygen", "-l", "-E", "sha256", "-f", dir.file("key.pub")])
        #expect(listed.status == 0)
        // "256 SHA256:... fp-test (ED25519)"
        let fields = listed.output.split(separator: " ")
        #expect(fields.count >= 2)
        #expect(key.fingerprintSHA256 == String(fields[1]))
        #expect(!key.fingerprintSHA256.hasSuffix("="))
    }

    @Test func plainEntryMatchesAndAChangedKeyOfTheSameTypeIsAMismatch() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let known = try store("# my hosts\n\n" + line("web1.example.com,10.0.0.5", ed1) + "\n", in: dir)
        let file = dir.file("known_hosts")
        #expect(known.check(host: "web1.example.com", port: 22, key: ed1) == .match(file: file, line: 3))
        #expect(known.check(host: "WEB1.Example.COM", port: 22, key: ed1) == .match(file: file, line: 3))
        #expect(known.check(host: "10.0.0.5", port: 22, key: ed1) == .match(file: file, line: 3))
        #expect(known.check(host: "web1.example.com", port: 22, key: ed2)
                == .mismatch(file: file, line: 3, knownType: "ssh-ed25519"))
        #expect(known.check(host: "web2.example.com", port: 22, key: ed1) == .notFound)
        #expect(known.warnings.isEmpty)
    }

    @Test func hostKnownOnlyWithAnotherKeyTypeIsNotFoundNotAMismatch() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let known = try store(line("web1", rsa1) + "\n", in: dir)
        #expect(known.check(host: "web1", port: 22, key: ed1) == .notFound)
        #expect(known.knownKeyTypes(host: "web1", port: 22) == ["ssh-rsa"])
        #expect(known.knownKeyTypes(host: "web2", port: 22) == [])
    }

    @Test func matchingLineWinsOverAnEarlierChangedLine() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let known = try store([line("web1", ed2), line("web1", ed1), line("web1", rsa1)].joined(separator: "\n"), in: dir)
        #expect(known.check(host: "web1", port: 22, key: ed1) == .match(file: dir.file("known_hosts"), line: 2))
        #expect(known.knownKeyTypes(host: "web1", port: 22) == ["ssh-ed25519", "ssh-rsa"])
    }

    @Test func nonStandardPortsUseTheBracketForm() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let known = try store(line("[web1]:2222", ed1) + "\n" + line("web2", ed1) + "\n", in: dir)
        let file = dir.file("known_hosts")
        #expect(known.check(host: "web1", port: 2222, key: ed1) == .match(file: file, line: 1))
        #expect(known.check(host: "web1", port: 22, key: ed1) == .notFound)
        #expect(known.check(host: "web2", port: 2222, key: ed1) == .notFound)
        #expect(known.check(host: "web2", port: 22, key: ed1) == .match(file: file, line: 2))
        #expect(KnownHostsEntry.lookupName(host: "Web1", port: 2222) == "[web1]:2222")
        #expect(KnownHostsEntry.lookupName(host: "web1", port: 22) == "web1")
    }

    @Test func wildcardsAndNegation() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let text = [
            line("*.lab,!bad.lab", ed1),
            line("db?.prod", ed1),
            line("[*.lab]:2222", ed2),
        ].joined(separator: "\n")
        let known = try store(text, in: dir)
        let file = dir.file("known_hosts")
        #expect(known.check(host: "a.lab", port: 22, key: ed1) == .match(file: file, line: 1))
        #expect(known.check(host: "deep.sub.lab", port: 22, key: ed1) == .match(file: file, line: 1))
        #expect(known.check(host: "bad.lab", port: 22, key: ed1) == .notFound)
        #expect(known.check(host: "lab", port: 22, key: ed1) == .notFound)
        #expect(known.check(host: "db1.prod", port: 22, key: ed1) == .match(file: file, line: 2))
        #expect(known.check(host: "db12.prod", port: 22, key: ed1) == .notFound)
        #expect(known.check(host: "a.lab", port: 2222, key: ed2) == .match(file: file, line: 3))
        #expect(WildcardPattern.matches("abc", "a*c"))
        #expect(WildcardPattern.matches("ac", "a*c"))
        #expect(!WildcardPattern.matches("ab", "a*c"))
        #expect(WildcardPattern.matches("", "*"))
        #expect(WildcardPattern.matches("aXbYc", "a*b*c"))
        #expect(!WildcardPattern.matches("aXbY", "a*b*c"))
    }

    @Test func revokedKeyIsRefusedEvenWhenAlsoListed() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let text = [line("web1,web2", ed1), "@revoked * " + ed1.type + " " + ed1.base64, line("web1", ed2)]
            .joined(separator: "\n")
        let known = try store(text, in: dir)
        let file = dir.file("known_hosts")
        #expect(known.check(host: "web1", port: 22, key: ed1) == .revoked(file: file, line: 2))
        #expect(known.check(host: "other", port: 2200, key: ed1) == .revoked(file: file, line: 2))
        #expect(known.check(host: "web1", port: 22, key: ed2) == .match(file: file, line: 3))
        // A revoked line names a key that must not be used; it does not tell which types the host has.
        #expect(known.knownKeyTypes(host: "web2", port: 22) == ["ssh-ed25519"])
    }

    @Test func certAuthorityLinesDoNotVouchForPlainKeys() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let known = try store("@cert-authority *.lab " + ed1.type + " " + ed1.base64 + "\n", in: dir)
        #expect(known.check(host: "a.lab", port: 22, key: ed1) == .notFound)
        #expect(known.entries.first?.marker == .certAuthority)
        #expect(known.warnings.isEmpty)
    }

    @Test func handHashedEntriesMatchTheNameAsLookedUp() throws {
        // Salt 00..13; HMACs computed independently with Python's hmac module.
        let dir = try TempDirectory()
        defer { dir.remove() }
        let text = [
            "|1|AAECAwQFBgcICQoLDA0ODxAREhM=|hrtfZrKxbKOpN4lnqwTFNWZAgaI= \(ed1.type) \(ed1.base64)",
            "|1|AAECAwQFBgcICQoLDA0ODxAREhM=|4GiSMcFEgSivPyUSn1blo3VQ984= \(ed2.type) \(ed2.base64)",
        ].joined(separator: "\n")
        let known = try store(text, in: dir)
        let file = dir.file("known_hosts")
        #expect(known.check(host: "web1.example.com", port: 22, key: ed1) == .match(file: file, line: 1))
        #expect(known.check(host: "web1.example.com", port: 2222, key: ed2) == .match(file: file, line: 2))
        #expect(known.check(host: "web1.example.com", port: 2222, key: ed1)
                == .mismatch(file: file, line: 2, knownType: "ssh-ed25519"))
        #expect(known.check(host: "web2.example.com", port: 22, key: ed1) == .notFound)
        #expect(known.entries[0].hostField == "|1|AAECAwQFBgcICQoLDA0ODxAREhM=|hrtfZrKxbKOpN4lnqwTFNWZAgaI=")
    }

    @Test func entriesHashedBySshKeygenMatch() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        try dir.write("known_hosts", [
            line("alpha.example", ed1),
            line("[beta.example]:2022", ed2),
            line("gamma.example,10.1.2.3", rsa1),
        ].joined(separator: "\n") + "\n")
        let hashed = try await runTool(["/usr/bin/ssh-keygen", "-H", "-f", dir.file("known_hosts")])
        #expect(hashed.status == 0)
        let text = try dir.read("known_hosts")
        #expect(!text.contains("alpha"))
        #expect(text.split(separator: "\n").allSatisfy { $0.hasPrefix("|1|") })
        let known = KnownHostsStore(files: [dir.file("known_hosts")], writeFile: nil, home: dir.path)
        #expect(known.warnings.isEmpty)
        #expect(known.entries.count == 4)  // ssh-keygen -H writes one hashed line per name
        for (host, port, key) in [("alpha.example", 22, ed1), ("beta.example", 2022, ed2),
                                  ("gamma.example", 22, rsa1), ("10.1.2.3", 22, rsa1)] {
            guard case .match = known.check(host: host, port: port, key: key) else {
                Issue.record("\(host):\(port) did not match its hashed entry")
                continue
            }
        }
        #expect(known.check(host: "beta.example", port: 22, key: ed2) == .notFound)
        #expect(known.check(host: "alpha.example", port: 22, key: ed2) != .notFound)
    }

    @Test func malformedLinesAreSkippedAndReportedWithTheirLineNumbers() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let text = [
            "   # indented comment",                       // 1
            "@bogus web1 \(ed1.type) \(ed1.base64)",        // 2: unknown marker
            "web1",                                        // 3: no key
            "web1 ssh-ed25519",                            // 4: type without key
            "web1 ssh-ed25519 !!!notbase64!!!",            // 5
            "web1 ssh-rsa \(ed1.base64)",                  // 6: type field disagrees with the blob
            "|1|short|hash \(ed1.type) \(ed1.base64)",     // 7: bad hashed field
            "web1 1024 35 12345",                          // 8: SSH-1 key
            "\t",                                          // 9: blank
            line("web1", ed1, comment: "a comment here"),   // 10: good
            "\u{FF}\u{FE} garbage",                        // 11
        ].joined(separator: "\n")
        let known = try store(text, in: dir)
        let file = dir.file("known_hosts")
        #expect(known.warnings.map(\.line) == [2, 3, 4, 5, 6, 7, 8, 11])
        #expect(known.warnings.allSatisfy { $0.file == file })
        #expect(known.warnings[0].description.hasPrefix(file + ":2: "))
        #expect(known.check(host: "web1", port: 22, key: ed1) == .match(file: file, line: 10))
        #expect(known.entries.map(\.comment) == ["a comment here"])
    }

    @Test func missingAndUnreadableFilesAreFine() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("a-directory"), withIntermediateDirectories: false)
        let known = KnownHostsStore(files: [dir.file("absent"), dir.file("a-directory")], writeFile: nil)
        #expect(known.check(host: "web1", port: 22, key: ed1) == .notFound)
        #expect(known.warnings.map(\.file) == [dir.file("a-directory")])
        #expect(known.warnings.first?.line == 0)
    }

    @Test func readsSeveralFilesInOrderAndExpandsTilde() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file(".ssh"), withIntermediateDirectories: false)
        try dir.write(".ssh/known_hosts", line("web1", ed1) + "\n")
        try dir.write("extra", line("web2", ed2) + "\n")
        // The system's files first (read only, as ssh reads them); this test names none so the machine's own
        // /etc/ssh/ssh_known_hosts plays no part.
        #expect(KnownHostsStore.forUser(home: dir.path).files.prefix(2) == ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"])
        let known = KnownHostsStore.forUser(extraFiles: [dir.file("extra")], globalFiles: [], home: dir.path)
        #expect(known.files == [dir.file(".ssh/known_hosts"), dir.file(".ssh/known_hosts2"), dir.file("extra")])
        #expect(known.writeFile == dir.file("extra"))
        #expect(known.check(host: "web1", port: 22, key: ed1) == .match(file: dir.file(".ssh/known_hosts"), line: 1))
        #expect(known.check(host: "web2", port: 22, key: ed2) == .match(file: dir.file("extra"), line: 1))
    }

    @Test func recordAppendsCreatesPrivateFileAndLaterChecksMatch() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let known = KnownHostsStore.forUser(home: dir.path)
        let file = dir.file(".ssh/known_hosts")
        #expect(known.writeFile == file)
        #expect(try known.record(host: "Web1", port: 22, key: ed1) == .match(file: file, line: 1))
        #expect(try known.record(host: "web1", port: 2222, key: ed2) == .match(file: file, line: 2))
        #expect(try dir.read(".ssh/known_hosts") == line("web1", ed1) + "\n" + line("[web1]:2222", ed2) + "\n")
        #expect(known.check(host: "web1", port: 22, key: ed1) == .match(file: file, line: 1))
        #expect(known.check(host: "web1", port: 2222, key: ed2) == .match(file: file, line: 2))
        // Recording the same key again appends nothing.
        #expect(try known.record(host: "web1", port: 22, key: ed1) == .match(file: file, line: 1))
        // A different key of the same type is not recorded: the re-check says it changed.
        #expect(try known.record(host: "web1", port: 22, key: ed2)
                == .mismatch(file: file, line: 1, knownType: "ssh-ed25519"))
        #expect(try dir.read(".ssh/known_hosts").split(separator: "\n").count == 2)
        let sshDir = try FileManager.default.attributesOfItem(atPath: dir.file(".ssh"))
        let keys = try FileManager.default.attributesOfItem(atPath: file)
        #expect((sshDir[.posixPermissions] as? Int) == 0o700)
        #expect((keys[.posixPermissions] as? Int) == 0o600)
    }

    @Test func recordPreservesExistingContentWithoutTrailingNewline() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let existing = "# keep me\n" + line("old", rsa1) + "\nold-garbage"
        try dir.write("kh", existing)
        let known = KnownHostsStore(files: [], writeFile: dir.file("kh"))
        #expect(known.warnings.map(\.line) == [3])
        #expect(try known.record(host: "new", port: 22, key: ed1) == .match(file: dir.file("kh"), line: 4))
        let text = try dir.read("kh")
        #expect(text == existing + "\n" + line("new", ed1) + "\n")
        #expect(known.warnings.map(\.line) == [3])   // the re-read partial line is not reported twice
        #expect(known.check(host: "old", port: 22, key: rsa1) == .match(file: dir.file("kh"), line: 2))
    }

    @Test func hashedRecordingWritesAHashedNameThatMatches() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let known = KnownHostsStore(files: [], writeFile: dir.file("kh"), hashNewEntries: true)
        try known.record(host: "secret.example", port: 2200, key: ed1)
        let text = try dir.read("kh")
        #expect(text.hasPrefix("|1|"))
        #expect(!text.contains("secret"))
        let fresh = KnownHostsStore(files: [dir.file("kh")], writeFile: nil)
        #expect(fresh.check(host: "secret.example", port: 2200, key: ed1) == .match(file: dir.file("kh"), line: 1))
    }

    @Test func recordSeesKeysAnotherStoreWroteMeanwhile() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let first = KnownHostsStore(files: [], writeFile: dir.file("kh"))
        let second = KnownHostsStore(files: [], writeFile: dir.file("kh"))
        try first.record(host: "web1", port: 22, key: ed1)
        #expect(second.check(host: "web1", port: 22, key: ed1) == .notFound)  // read before the write
        #expect(try second.record(host: "web1", port: 22, key: ed1) == .match(file: dir.file("kh"), line: 1))
        #expect(try second.record(host: "web1", port: 22, key: ed2)
                == .mismatch(file: dir.file("kh"), line: 1, knownType: "ssh-ed25519"))
        #expect(try dir.read("kh") == line("web1", ed1) + "\n")
    }

    @Test func recordWithoutWriteFileThrows() {
        let known = KnownHostsStore(files: [], writeFile: nil)
        #expect(throws: SSHConfigError.noKnownHostsWriteFile(host: "web1")) {
            try known.record(host: "web1", port: 22, key: ed1)
        }
    }

    @Test func concurrentRecordingFromManyThreadsAndTwoStoresWritesEachHostOnce() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let prefix = "# existing\n" + line("existing.example", rsa1) + "\n"
        try dir.write("kh", prefix)
        // Two stores on one file stand for two flotilla processes: each has its own lock and its own
        // open file, so only flock keeps them apart.
        let stores = [KnownHostsStore(files: [], writeFile: dir.file("kh")),
                      KnownHostsStore(files: [], writeFile: dir.file("kh"))]
        let failures = Mutex<[String]>([])
        let key = ed1
        // 200 different hosts, each recorded by both stores, plus one host recorded 50 times.
        await onThreads(450) { i in
            let store = stores[i % 2]
            let host = i < 400 ? "host\(i / 2).example" : "same.example"
            do {
                let verdict = try store.record(host: host, port: i < 400 ? 22 : 2222, key: key)
                guard case .match = verdict else {
                    failures.withLock { $0.append("\(host): \(verdict)") }
                    return
                }
            } catch {
                failures.withLock { $0.append("\(host): \(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let text = try dir.read("kh")
        #expect(text.hasPrefix(prefix))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 + 201 + 1)   // prefix, hosts, and the empty piece after the last newline
        let parsed = KnownHostsParser.parse(text: Array(text.utf8), file: "kh")
        #expect(parsed.warnings.isEmpty)
        var counts = [String: Int]()
        for entry in parsed.entries { counts[entry.hostField, default: 0] += 1 }
        #expect(counts.count == 202)
        #expect(counts.values.allSatisfy { $0 == 1 })
        #expect(counts["[same.example]:2222"] == 1)
        for i in 0..<200 {
            for store in stores where store.check(host: "host\(i).example", port: 22, key: key) == .notFound {
                Issue.record("host\(i).example unknown to a store that recorded it")
            }
        }
    }

    @Test func checksFromManyThreadsStayCorrectWhileOthersRecord() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let existing = (0..<100).map { line("old\($0)", hostKey("ssh-ed25519", seed: UInt8($0))) }
        try dir.write("kh", existing.joined(separator: "\n") + "\n")
        let store = KnownHostsStore(files: [], writeFile: dir.file("kh"))
        let failures = Mutex<[String]>([])
        await onThreads(200) { i in
            let n = i / 2
            if i % 2 == 0 {
                // Ask twice, as a session does: key types, then the key (the second answer comes from the cache).
                let types = store.knownKeyTypes(host: "old\(n)", port: 22)
                let verdict = store.check(host: "old\(n)", port: 22, key: hostKey("ssh-ed25519", seed: UInt8(n)))
                if types != ["ssh-ed25519"] || verdict != .match(file: dir.file("kh"), line: n + 1) {
                    failures.withLock { $0.append("old\(n): \(types) \(verdict)") }
                }
            } else {
                do {
                    try store.record(host: "new\(n)", port: 22, key: hostKey("ssh-rsa", seed: UInt8(n)))
                } catch {
                    failures.withLock { $0.append("new\(n): \(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        for n in 0..<100 {
            guard case .match = store.check(host: "new\(n)", port: 22, key: hostKey("ssh-rsa", seed: UInt8(n))) else {
                Issue.record("new\(n) was recorded but does not match")
                continue
            }
        }
        #expect(store.check(host: "new1", port: 22, key: hostKey("ssh-rsa", seed: 2))
                == .mismatch(file: dir.file("kh"), line: try #require(store.entries.first { $0.hostField == "new1" }).line,
                             knownType: "ssh-rsa"))
        #expect(try dir.read("kh").split(separator: "\n").count == 200)
    }

    @Test func matchingLinesAgreeWithSshKeygenFind() async throws {
        // `ssh-keygen -F name` lists the lines OpenSSH considers for a host: an independent oracle for
        // wildcards, negation, case, ports, hashed names and markers.
        let dir = try TempDirectory()
        defer { dir.remove() }
        let text = [
            line("*.lab,!bad.lab", ed1),                                                         // 1
            line("db?.prod", ed1),                                                               // 2
            line("[*.lab]:2222", ed2),                                                           // 3
            line("web1,10.0.0.5", ed1),                                                          // 4
            "@revoked *.prod \(rsa1.type) \(rsa1.base64)",                                       // 5
            line("WEB2,[Web3]:2200", ed2),                                                       // 6
            "|1|AAECAwQFBgcICQoLDA0ODxAREhM=|hrtfZrKxbKOpN4lnqwTFNWZAgaI= \(ed1.type) \(ed1.base64)", // 7
            "|1|AAECAwQFBgcICQoLDA0ODxAREhM=|4GiSMcFEgSivPyUSn1blo3VQ984= \(ed2.type) \(ed2.base64)", // 8
            line("*", rsa1),                                                                     // 9
            line("!*.internal,*.example.com", rsa1),                                             // 10
        ].joined(separator: "\n") + "\n"
        try dir.write("kh", text)
        let store = KnownHostsStore(files: [dir.file("kh")], writeFile: nil)
        #expect(store.warnings.isEmpty)
        let cases: [(String, Int)] = [
            ("a.lab", 22), ("bad.lab", 22), ("db1.prod", 22), ("db10.prod", 22), ("a.lab", 2222), ("web1", 22),
            ("10.0.0.5", 22), ("web2", 22), ("web3", 2200), ("web3", 22), ("web1.example.com", 22),
            ("web1.example.com", 2222), ("x.internal.example.com", 22), ("nothing", 22),
        ]
        for (host, port) in cases {
            let name = KnownHostsEntry.lookupName(host: host, port: port)
            let found = try await runTool(["/usr/bin/ssh-keygen", "-F", name, "-f", dir.file("kh")])
            let expected = found.output.split(separator: "\n").compactMap { row -> Int? in
                // "# Host a.lab found: line 1 " or "... line 5 REVOKED"
                guard row.hasPrefix("# Host "), let range = row.range(of: "found: line ") else { return nil }
                return Int(row[range.upperBound...].prefix(while: \.isNumber))
            }
            #expect(expected.contains(9), "ssh-keygen output not understood: \(found.output)")  // `*` matches all
            #expect(store.entries(host: host, port: port).map(\.line) == expected, "\(name)")
        }
    }

    @Test func recordCopesWithWritersThatDoNotLockAndWithAReplacedFile() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let file = dir.file("kh")
        let store = KnownHostsStore(files: [], writeFile: file)
        #expect(try store.record(host: "a", port: 22, key: ed1) == .match(file: file, line: 1))
        // ssh itself appends without flock; the store must not assume it knows where the file ends.
        let handle = try #require(FileHandle(forWritingAtPath: file))
        handle.seekToEndOfFile()
        handle.write(Data((line("outsider", ed2) + "\n").utf8))
        try handle.close()
        #expect(try store.record(host: "b", port: 22, key: ed1) == .match(file: file, line: 3))
        #expect(store.entries.map(\.line) == [1, 2, 3])
        #expect(store.check(host: "outsider", port: 22, key: ed2) == .match(file: file, line: 2))
        #expect(store.warnings.isEmpty)
        // Replaced by a shorter file (an editor's save, `ssh-keygen -R`): read anew, nothing of the old kept.
        try dir.write("kh.new", line("c", ed2) + "\n")
        #expect(rename(dir.file("kh.new"), file) == 0)
        #expect(try store.record(host: "d", port: 22, key: ed1) == .match(file: file, line: 2))
        #expect(store.check(host: "a", port: 22, key: ed1) == .notFound)
        #expect(store.check(host: "c", port: 22, key: ed2) == .match(file: file, line: 1))
        #expect(try dir.read("kh") == line("c", ed2) + "\n" + line("d", ed1) + "\n")
    }
}
