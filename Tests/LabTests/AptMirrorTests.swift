import Testing
import Lab
import Foundation

@Suite struct AptMirrorTests {
    /// Writes an apt configuration tree under a temporary root and returns the root.
    func tree(list: String?, sources: [String: String]) throws -> String {
        let root = NSTemporaryDirectory() + "flotilla-apt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/etc/apt/sources.list.d", withIntermediateDirectories: true)
        if let list { try list.write(toFile: root + "/etc/apt/sources.list", atomically: true, encoding: .utf8) }
        for (name, text) in sources {
            try text.write(toFile: root + "/etc/apt/sources.list.d/" + name, atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test func deb822SourcesGiveTheDebianArchiveNotSecurity() throws {
        let root = try tree(list: nil, sources: [
            "debian.sources": """
                Types: deb
                URIs: http://mirror.example/debian-security
                Suites: bookworm-security
                Components: main

                Types: deb
                # a comment
                URIs: http://mirror.example/debian
                Suites: bookworm bookworm-updates
                Components: main
                Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
                """,
            "other.list.disabled": "deb http://wrong.example/debian bookworm main\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try AptMirror.find(root: root) == "http://mirror.example/debian")
    }

    @Test func oneLineSourcesWithOptionsAreRead() throws {
        let root = try tree(list: """
            # deb http://commented.example/debian bookworm main
            deb-src http://src.example/debian bookworm main
            deb [arch=amd64 signed-by=/x.gpg] http://list.example/debian bookworm main contrib
            """, sources: [:])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try AptMirror.find(root: root) == "http://list.example/debian")
    }

    @Test func noDebianSourceIsAClearError() throws {
        let root = try tree(list: "deb https://packages.example/apt cloud-sdk main\n", sources: [:])
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: LabError.self) { try AptMirror.find(root: root) }
    }
}
