import Foundation
import Inventory
import Testing

/// Inventory and variables files that are not UTF-8 are refused with the offset and line of the first bad byte.
@Suite struct InventoryBytesTests {
    func write(_ dir: TemporaryDirectory, _ name: String, _ bytes: [UInt8]) throws {
        try dir.write(name, "")
        try Data(bytes).write(to: URL(fileURLWithPath: dir.path(name)))
    }

    @Test func iniInventoryNamesTheBadByte() throws {
        let dir = try TemporaryDirectory()
        try write(dir, "hosts.ini", Array("[web]\nweb1 note=caf".utf8) + [0xE9] + Array("\n".utf8))
        let error = #expect(throws: InventoryError.self) { try Inventory.load(path: dir.path("hosts.ini")) }
        #expect(error?.description == dir.path("hosts.ini") + ": cannot read: not UTF-8 text: byte 0xE9 at offset 19 (line 2)")
    }

    @Test func groupVarsFileNamesTheBadByte() throws {
        let dir = try TemporaryDirectory()
        try dir.write("hosts.yml", "all:\n  hosts:\n    web1:\n")
        try write(dir, "group_vars/all.yml", Array("a: 1\nb: 2\nc: \"".utf8) + [0xFE, 0x22])
        let error = #expect(throws: InventoryError.self) { try Inventory.load(path: dir.path("hosts.yml")) }
        #expect(error?.description == dir.path("group_vars/all.yml") + ": cannot read: not UTF-8 text: byte 0xFE at offset 14 (line 3)")
    }

    /// A byte-order mark is not a bad byte: it is dropped as before.
    @Test func byteOrderMarkIsDropped() throws {
        let dir = try TemporaryDirectory()
        try write(dir, "hosts.ini", [0xEF, 0xBB, 0xBF] + Array("web1\n".utf8))
        #expect(try Inventory.load(path: dir.path("hosts.ini")).hosts.map(\.name) == ["web1"])
    }
}
