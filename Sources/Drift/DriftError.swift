/// Everything that can go wrong in the Drift module: reading chrony's output, talking to a host, the history.
public enum DriftError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A line of chronyc's output cannot be read: the named field is missing, extra or not what it should be.
    /// `command` is what produced it (`chronyc -c tracking`), `line` counts from 1, `host` is set once known.
    case cannotRead(command: String, line: Int, field: String, value: String, reason: String, host: String?)
    /// The sync check's output is cut short or is not the script's (the named marker is missing).
    case incompleteOutput(host: String, missing: String, stderr: String)
    /// The clock cross-check could not read the host's clock from `date +%s.%N`.
    case crossCheckFailed(host: String, reason: String)
    /// A value the host printed is refused (not a number, not finite, out of range): `source` is the output
    /// it was in (`audit output`, `clock cross-check`), `field` names it (`now`), `reason` ends the sentence.
    case malformedOutput(host: String, source: String, field: String, value: String, reason: String)
    /// The audit history database cannot be opened, migrated, written or read.
    case history(path: String, reason: String)
    /// A threshold or setting is out of range (negative offsets, critical below warning, no samples).
    case invalidSetting(name: String, value: String, reason: String)

    /// The same error with the host filled in (parsers do not know which host they read).
    public func on(host: String) -> DriftError {
        if case .cannotRead(let command, let line, let field, let value, let reason, nil) = self {
            return .cannotRead(command: command, line: line, field: field, value: value, reason: reason, host: host)
        }
        return self
    }

    public var description: String {
        switch self {
        case .cannotRead(let command, let line, let field, let value, let reason, let host):
            (host.map { "\($0): " } ?? "") + "cannot read `\(command)` line \(line), field '\(field)'"
                + (value.isEmpty ? "" : " (\"\(String(value.prefix(60)))\")") + ": \(reason)"
        case .incompleteOutput(let host, let missing, let stderr):
            "\(host): the chrony check's output is incomplete (no \(missing))"
                + (stderr.isEmpty ? "" : "; stderr: \(String(stderr.prefix(200)))")
        case .crossCheckFailed(let host, let reason):
            "\(host): clock cross-check failed: \(reason)"
        case .malformedOutput(let host, let source, let field, let value, let reason):
            "\(host): \(source): \(field) \(reason)" + (value.isEmpty ? "" : " (\"\(String(value.prefix(40)))\")")
        case .history(let path, let reason):
            "audit history \(path): \(reason)"
        case .invalidSetting(let name, let value, let reason):
            "\(name) \(value): \(reason)"
        }
    }
}
