/// Everything that can go wrong while asking for or reading facts.
public enum FactsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A name in the fact request cannot be passed safely to the host's tools (kind: "package", "unit", "file").
    case invalidRequest(kind: String, name: String, reason: String)
    /// The output does not start with the fact script's header: the script did not run, or something else answered.
    case notFactOutput(firstLine: String)
    /// A section the parser needs is missing from the output (truncated output, or a script from another version).
    case missingSection(String)
    /// A line of a section cannot be read.
    case malformedLine(section: String, line: Int, text: String, reason: String)
    /// The script's trailer is missing: the output was cut short.
    case truncated(lastSection: String?)
    /// The fact script itself failed on the host (no shell, sudo refused, timeout).
    case scriptFailed(host: String, status: String, stderr: String)

    public var description: String {
        switch self {
        case .invalidRequest(let kind, let name, let reason):
            "cannot ask for \(kind) \(quoted(name)): \(reason)"
        case .notFactOutput(let firstLine):
            "not the output of Flotilla's fact script (first line: \(quoted(String(firstLine.prefix(80)))))"
        case .missingSection(let name):
            "fact output has no section '\(name)'"
        case .malformedLine(let section, let line, let text, let reason):
            "fact output, section '\(section)', line \(line): \(reason): \(quoted(String(text.prefix(120))))"
        case .scriptFailed(let host, let status, let stderr):
            "\(host): the fact script failed (\(status)): \(stderr)"
        case .truncated(let last):
            "fact output ends early" + (last.map { " (in section '\($0)')" } ?? "") + ": no end marker"
        }
    }
}

func quoted(_ s: String) -> String { "\"" + s + "\"" }
