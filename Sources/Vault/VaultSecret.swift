import FlotillaCore
import Foundation
import Glibc

/// One vault password and the vault id (label) it is for. Its text never shows: `description` masks it.
public struct VaultSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The vault id: the LABEL of `--vault-id LABEL@SOURCE`, "default" without one, as in Ansible.
    public var label: String
    /// Where the password came from (`file /path`, `script /path`, `prompt`), for messages.
    public var origin: String
    let password: [UInt8]

    public init(label: String, origin: String, password: [UInt8]) {
        self.label = label
        self.origin = origin
        self.password = password
    }

    public var description: String { "vault id \(label) from \(origin) (password ********)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["label": label, "origin": origin, "password": "********"]) }
}

/// Where a vault password comes from, as Ansible reads `--vault-id [LABEL@]SOURCE`,
/// `--vault-password-file` and `--ask-vault-pass`:
/// - `prompt` (or `prompt_ask_vault_pass`): asked on the terminal, without echo;
/// - an executable file: run, its stdout is the password; a *client* script (named `...-client` or
///   `...-client.EXT`) is run with `--vault-id LABEL` and exit status 2 means it has no secret for that id;
/// - any other file: its contents, without surrounding whitespace.
public struct VaultIdentity: Sendable, Hashable, CustomStringConvertible {
    public var label: String
    public var source: String

    public init(label: String = "default", source: String) {
        self.label = label
        self.source = source
    }

    /// `LABEL@SOURCE` or `SOURCE` (label "default").
    public init(parsing text: String) {
        if let at = text.firstIndex(of: "@") {
            label = String(text[..<at])
            source = String(text[text.index(after: at)...])
        } else {
            label = "default"
            source = text
        }
    }

    public var isPrompt: Bool { source == "prompt" || source == "prompt_ask_vault_pass" }
    public var description: String { "\(label)@\(source)" }

    /// Reads the password. Blocking (files, scripts, the terminal): call it off the cooperative pool.
    /// `ask` reads a line from the terminal without echo, given the prompt text.
    public func load(ask: (String) throws -> [UInt8] = VaultIdentity.askOnTerminal) throws(VaultError) -> VaultSecret {
        if isPrompt {
            let prompt = label == "default" ? "Vault password: " : "Vault password (\(label)): "
            let typed: [UInt8]
            do { typed = try ask(prompt) } catch { throw .source("cannot read the vault password for \(label) from the terminal: \(error)") }
            let password = Self.trimmed(typed, whitespace: true)
            guard !password.isEmpty else { throw .source("the vault password typed for \(label) is empty") }
            return VaultSecret(label: label, origin: "prompt", password: password)
        }
        var info = stat()
        guard stat(source, &info) == 0 else {
            throw .source("cannot read the vault password file \(source): \(String(cString: strerror(errno)))")
        }
        if info.st_mode & S_IFMT == S_IFDIR { throw .source("the vault password file \(source) is a directory") }
        if info.st_mode & 0o111 != 0 {
            return try runScript()
        }
        guard let data = FileManager.default.contents(atPath: source) else {
            throw .source("cannot read the vault password file \(source)")
        }
        let password = Self.trimmed(Array(data), whitespace: true)
        guard !password.isEmpty else { throw .source("the vault password file \(source) is empty") }
        return VaultSecret(label: label, origin: "file \(source)", password: password)
    }

    /// Ansible's client-script convention: `NAME-client` or `NAME-client.EXT`.
    public var isClientScript: Bool {
        let name = (source as NSString).lastPathComponent
        let stem = name.contains(".") ? String(name[..<name.lastIndex(of: ".")!]) : name
        return name.hasSuffix("-client") || stem.hasSuffix("-client")
    }

    private func runScript() throws(VaultError) -> VaultSecret {
        let client = isClientScript
        let argv = client ? [source, "--vault-id", label] : [source]
        let result: LocalProcess.Captured
        do { result = try LocalProcess.capture(argv) } catch { throw .source("cannot run the vault password script \(source): \(error)") }
        let why = String(decoding: result.stderr.prefix(400), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if client && result.status == 2 {
            throw .source("the vault password client script \(source) has no secret for vault id \(label)\(why.isEmpty ? "" : ": \(why)")")
        }
        guard result.status == 0 else {
            throw .source("the vault password script \(source) exited with status \(result.status)\(why.isEmpty ? "" : ": \(why)")")
        }
        // As Ansible: only line breaks are taken off a script's output.
        let password = Self.trimmed(result.stdout, whitespace: false)
        guard !password.isEmpty else { throw .source("the vault password script \(source) printed an empty password") }
        return VaultSecret(label: label, origin: "script \(source)", password: password)
    }

    static func trimmed(_ bytes: [UInt8], whitespace: Bool) -> [UInt8] {
        let strip: (UInt8) -> Bool = whitespace ? { $0 == 0x20 || (0x09...0x0D).contains($0) } : { $0 == 0x0A || $0 == 0x0D }
        guard let first = bytes.firstIndex(where: { !strip($0) }), let last = bytes.lastIndex(where: { !strip($0) }) else { return [] }
        return Array(bytes[first...last])
    }

    /// Reads a line from /dev/tty with echo off (restored afterwards, also on error).
    public static func askOnTerminal(_ prompt: String) throws -> [UInt8] {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw VaultError.source("no terminal to ask on (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var saved = termios()
        let hasTerm = tcgetattr(fd, &saved) == 0
        if hasTerm {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            quiet.c_lflag |= tcflag_t(ECHONL)
            _ = tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer { if hasTerm { _ = tcsetattr(fd, TCSAFLUSH, &saved) } }
        _ = Array(prompt.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != 0x0A {
            line.append(byte)
            if line.count > 4096 { break }
        }
        return line
    }
}
