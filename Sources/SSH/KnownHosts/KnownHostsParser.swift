import FlotillaCore

/// Parses known_hosts text as OpenSSH's hostfile.c does. Never fails: a line it cannot use is skipped
/// and reported as a warning naming the file and line.
public enum KnownHostsParser {
    /// The lines of `text` that carry keys, and the warnings for the lines that were skipped.
    /// `firstLine` and `firstOffset` are the line number and byte offset of the start of `text` (for parsing
    /// the tail of a file). A line that is not UTF-8 is read as OpenSSH reads it, with U+FFFD for the bad
    /// bytes (a host pattern there matches no real name), and warned about with the offset of its first bad byte.
    public static func parse(
        text: some Sequence<UInt8>, file: String, firstLine: Int = 1, firstOffset: Int = 0
    ) -> (entries: [KnownHostsEntry], warnings: [KnownHostsWarning]) {
        var entries = [KnownHostsEntry]()
        var warnings = [KnownHostsWarning]()
        var lineNumber = firstLine
        var current = [UInt8]()
        var lineStart = firstOffset
        func finish() {
            if let bad = UTF8Text.firstInvalid(current) {
                let invalid = UTF8Text.Invalid(offset: lineStart + bad.offset, line: lineNumber, byte: bad.byte)
                warnings.append(KnownHostsWarning(file: file, line: lineNumber, reason: "\(invalid); read with U+FFFD in its place"))
            }
            switch parseLine(current, file: file, line: lineNumber) {
            case .entry(let entry): entries.append(entry)
            case .warning(let warning): warnings.append(warning)
            case .nothing: break
            }
        }
        var sawAny = false
        for byte in text {
            sawAny = true
            if byte == UInt8(ascii: "\n") {
                finish()
                lineStart += current.count + 1
                current.removeAll(keepingCapacity: true)
                lineNumber += 1
            } else {
                current.append(byte)
            }
        }
        if sawAny, !current.isEmpty { finish() }
        return (entries, warnings)
    }

    /// The result of parsing one line.
    public enum LineResult: Sendable, Hashable {
        case entry(KnownHostsEntry)
        case warning(KnownHostsWarning)
        /// A blank or comment line.
        case nothing
    }

    /// Parses one line (without its newline).
    public static func parseLine(_ bytes: [UInt8], file: String, line: Int) -> LineResult {
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        var fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" })[...]
        guard let first = fields.first, !first.hasPrefix("#") else { return .nothing }
        func warn(_ reason: String) -> LineResult { .warning(KnownHostsWarning(file: file, line: line, reason: reason)) }

        var marker = KnownHostsEntry.Marker.none
        if first.hasPrefix("@") {
            guard let known = KnownHostsEntry.Marker(rawValue: String(first)), known != .none else {
                return warn("unknown marker \(first)")
            }
            marker = known
            fields = fields.dropFirst()
        }
        guard let hostField = fields.popFirst() else { return warn("marker without a host field") }
        guard let typeField = fields.popFirst() else { return warn("no key after the host field") }
        guard let keyField = fields.popFirst() else {
            if typeField.allSatisfy(\.isNumber) { return warn("SSH protocol 1 key; not supported") }
            return warn("key type \(typeField) without a key")
        }
        if typeField.allSatisfy(\.isNumber) { return warn("SSH protocol 1 key; not supported") }
        guard let key = HostKey(base64: keyField) else {
            return warn("the \(typeField) key is not valid base64 of an SSH key blob")
        }
        guard key.type == typeField else {
            return warn("the line says \(typeField) but the key blob is \(key.type)")
        }
        let hosts: KnownHostsEntry.Hosts
        if hostField.hasPrefix("|") {
            guard let hashed = parseHashed(hostField) else {
                return warn("malformed hashed host field \(hostField)")
            }
            hosts = hashed
        } else {
            let patterns = hostField.split(separator: ",", omittingEmptySubsequences: true).map(String.init)
            guard !patterns.isEmpty else { return warn("empty host field") }
            hosts = .patterns(patterns)
        }
        let comment = fields.isEmpty ? nil : fields.joined(separator: " ")
        return .entry(KnownHostsEntry(marker: marker, hosts: hosts, key: key, comment: comment, file: file, line: line))
    }

    /// `|1|base64(salt)|base64(hmac)`, both 20 bytes (OpenSSH's HASH_MAGIC "|1|" with SHA-1).
    private static func parseHashed(_ field: Substring) -> KnownHostsEntry.Hosts? {
        let parts = field.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].isEmpty, parts[1] == "1",
              let salt = Base64.decode(parts[2]), salt.count == SHA1.digestSize,
              let hmac = Base64.decode(parts[3]), hmac.count == SHA1.digestSize
        else { return nil }
        return .hashed(salt: salt, hmac: hmac)
    }
}
