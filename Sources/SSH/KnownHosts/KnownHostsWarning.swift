/// A known_hosts line that was skipped or read with U+FFFD for bytes that are not UTF-8, or a file that could
/// not be read. Data for the caller to show;
/// the store itself never prints.
public struct KnownHostsWarning: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based line number; 0 when the warning is about the whole file.
    public var line: Int
    public var reason: String

    public init(file: String, line: Int, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String { line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)" }
}
