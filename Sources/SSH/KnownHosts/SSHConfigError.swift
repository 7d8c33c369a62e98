/// Errors of the SSH module's local files: the OpenSSH client config and writing known_hosts.
public enum SSHConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A file exists but could not be read (`errno` says why).
    case unreadable(file: String, errno: Int32)
    /// A config line's keyword needs an argument and has none.
    case missingArgument(file: String, line: Int, keyword: String)
    /// A config value has the wrong form, e.g. `Port abc`; `expected` says what was wanted.
    case badValue(file: String, line: Int, keyword: String, value: String, expected: String)
    /// A config line has arguments the keyword does not take (OpenSSH: "garbage at end of line").
    case extraArguments(file: String, line: Int, keyword: String, extra: String)
    /// A config line whose quoting is broken (an unterminated `"`).
    case badQuoting(file: String, line: Int)
    /// `Include` nested deeper than OpenSSH's limit (16), usually a file that includes itself.
    case includeTooDeep(file: String, line: Int, limit: Int)
    /// known_hosts could not be written: `operation` is the failing step (mkdir, open, flock, write...).
    case knownHostsWrite(file: String, operation: String, errno: Int32)
    /// A key should be recorded but the store has no file to write to.
    case noKnownHostsWriteFile(host: String)
    /// Options apply to the host that would make ssh connect elsewhere or otherwise, and Flotilla does not
    /// implement them: the host is refused rather than reached another way.
    case unhonoured(host: String, refusals: [SSHConfigRefusal])

    public var description: String {
        switch self {
        case .unreadable(let file, let errno):
            "\(file): cannot read: \(SystemError.text(errno))"
        case .missingArgument(let file, let line, let keyword):
            "\(file):\(line): \(keyword) needs an argument"
        case .badValue(let file, let line, let keyword, let value, let expected):
            "\(file):\(line): bad \(keyword) value '\(value)' (expected \(expected))"
        case .extraArguments(let file, let line, let keyword, let extra):
            "\(file):\(line): unexpected arguments after \(keyword): \(extra)"
        case .badQuoting(let file, let line):
            "\(file):\(line): unterminated quote"
        case .includeTooDeep(let file, let line, let limit):
            "\(file):\(line): Include nested more than \(limit) levels deep"
        case .knownHostsWrite(let file, let operation, let errno):
            "\(file): cannot record the host key (\(operation)): \(SystemError.text(errno))"
        case .noKnownHostsWriteFile(let host):
            "\(host): no known_hosts file to record the new host key in"
        case .unhonoured(let host, let refusals):
            "\(host): not connecting: ssh would reach it otherwise than Flotilla can; "
                + refusals.map(\.description).joined(separator: "; ")
        }
    }
}
