internal import Foundation
import FlotillaCore
import Vault

/// The few file-system operations the loader needs, with errors that name the path.
enum FilePath {
    static func join(_ directory: String, _ name: String) -> String {
        if directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    static func name(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `.yml` for `web.yml`, "" for `hosts` and for `.hidden`.
    static func `extension`(of name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[dot...])
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func isExecutable(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// The text of a file; a vault-encrypted one (ansible-vault encrypt) decrypted with `vault`. Line numbers of
    /// errors in a decrypted file count lines of its decrypted text, as Ansible's do.
    static func read(_ path: String, vault: Vault) throws(InventoryError) -> String {
        let text = try read(path)
        guard VaultEnvelope.isVaulted(text) else { return text }
        let plain: [UInt8]
        do { plain = try vault.decrypt(text) } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
        guard let decoded = String(validating: plain, as: UTF8.self) else {
            throw .unreadable(path: path, reason: "its decrypted text is not UTF-8")
        }
        return decoded
    }

    static func read(_ path: String) throws(InventoryError) -> String {
        guard exists(path) else { throw .unreadable(path: path, reason: "no such file or directory") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: reason(error))
        }
        let text: String
        do {
            text = try UTF8Text.decode(data)
        } catch {
            throw .unreadable(path: path, reason: error.description)
        }
        return text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
    }

    static func list(_ directory: String) throws(InventoryError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw .unreadable(path: directory, reason: reason(error))
        }
    }

    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(underlying.code))
        {
            return String(cString: strerror(code.rawValue))
        }
        return ns.localizedDescription
    }
}
