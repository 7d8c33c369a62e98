import Foundation
import Plan
import Testing

/// A playbook that is not UTF-8 is refused with the offset and line of its first bad byte.
@Suite struct PlaybookBytesTests {
    func withFile(_ bytes: [UInt8], _ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-playbook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("site.yml").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try body(path)
    }

    @Test func badByteIsNamedWithOffsetAndLine() throws {
        // "é" in Latin-1 (0xE9) on line 3, at offset 32.
        let text = Array("- name: ntp\n  hosts: all\n  # caf".utf8) + [0xE9] + Array("\n  tasks: []\n".utf8)
        try withFile(text) { path in
            let error = #expect(throws: PlanError.self) { try Playbook.load(path: path) }
            #expect(error?.description == "\(path): cannot read: not UTF-8 text: byte 0xE9 at offset 32 (line 3)")
        }
    }

    @Test func overlongAndSurrogateFormsAreNotUTF8() throws {
        try withFile(Array("- hosts: all\n".utf8) + [0xC0, 0xAF]) { path in
            let error = #expect(throws: PlanError.self) { try Playbook.load(path: path) }
            #expect(error?.description == "\(path): cannot read: not UTF-8 text: byte 0xC0 at offset 13 (line 2)")
        }
        try withFile([0x23, 0xED, 0xA0, 0x80]) { path in
            let error = #expect(throws: PlanError.self) { try Playbook.load(path: path) }
            #expect(error?.description == "\(path): cannot read: not UTF-8 text: byte 0xED at offset 1 (line 1)")
        }
    }
}
