public import FlotillaCore
/// Everything that can go wrong reading an inventory, its variable files or a host pattern.
///
/// Messages name the file, line and column (or the host, or the pattern) and say what was expected.
public enum InventoryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A file or directory could not be read (missing, unreadable, not UTF-8).
    case unreadable(path: String, reason: String)
    /// A line or value is not what the format allows at that place.
    case syntax(FileLocation, expected: String, found: String)
    /// A host range such as `node[01:50` has no closing bracket.
    case unterminatedRange(FileLocation, name: String)
    /// A host range such as `node[5:1]` or `node[01:5]` cannot be expanded.
    case invalidRange(FileLocation, name: String, reason: String)
    /// An INI section header has a suffix other than `:children` or `:vars`.
    case unknownSectionType(FileLocation, group: String, suffix: String)
    /// A `[group:children]` entry or `[group:vars]` section names a group that is never declared.
    case undefinedGroup(FileLocation, group: String, section: String)
    /// Making `child` a child of `parent` would close a loop of groups.
    case groupCycle(FileLocation, parent: String, child: String)
    /// A YAML value has the wrong shape (a list where a mapping is expected, and so on).
    case unexpectedType(FileLocation, context: String, expected: String, found: String)
    /// The YAML parser rejected a file.
    case yaml(FileLocation, problem: String)
    /// A value goes beyond one of the readers' limits (nesting depth, alias expansion, host count, name
    /// length; docs/limits.md): `what` says what and how much, `limit` the documented bound.
    case limitExceeded(FileLocation, what: String, limit: String)
    /// A connection variable has a value that cannot be used (`ansible_port=ssh`); the location is where
    /// the variable was written (`nil` when nothing wrote it, as for `inventory_hostname`).
    case invalidConnectionVariable(FileLocation?, host: String, variable: String, value: String, expected: String)
    /// A `{{ name }}` template in a host's variable, written at the location, refers to a variable the host
    /// does not have.
    case undefinedTemplateVariable(FileLocation?, host: String, variable: String, reference: String)
    /// A template, written at the location, is more than `{{ name }}` (filters, lookups, expressions), or
    /// refers back to itself.
    case unsupportedTemplate(FileLocation?, host: String, variable: String, expression: String)
    /// A vaulted value, written at the location, could not be decrypted (no secret, a wrong one, damage).
    case vault(FileLocation?, host: String, variable: String, reason: String)
    /// A host pattern is malformed (a bad regular expression, an empty `@file` name...).
    case invalidPattern(pattern: String, reason: String)
    /// A union or intersection term of a host pattern matched no host and no group.
    case patternMatchedNothing(pattern: String, term: String)
    /// A pattern is well-formed and every term matched something, but no host is left.
    case noHostsSelected(pattern: String)
    /// A host name that the inventory does not define.
    case unknownHost(String)
    /// Several independent problems, in file order.
    case multiple([InventoryError])

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .syntax(let at, let expected, let found):
            return "\(at): expected \(expected), found \(found)"
        case .unterminatedRange(let at, let name):
            return "\(at): unterminated host range in '\(name)': expected ']'"
        case .invalidRange(let at, let name, let reason):
            return "\(at): invalid host range in '\(name)': \(reason)"
        case .unknownSectionType(let at, let group, let suffix):
            return "\(at): unknown section type '[\(group):\(suffix)]': expected '[\(group)]', "
                + "'[\(group):children]' or '[\(group):vars]'"
        case .undefinedGroup(let at, let group, let section):
            return "\(at): section [\(section)] refers to group '\(group)', which is never declared"
        case .groupCycle(let at, let parent, let child):
            return "\(at): making '\(child)' a child of '\(parent)' creates a loop of groups"
        case .unexpectedType(let at, let context, let expected, let found):
            return "\(at): \(context): expected \(expected), found \(found)"
        case .yaml(let at, let problem):
            return "\(at): invalid YAML: \(problem)"
        case .limitExceeded(let at, let what, let limit):
            return "\(at): \(what): the limit is \(limit)"
        case .invalidConnectionVariable(let at, let host, let variable, let value, let expected):
            return Self.prefix(at) + "host '\(host)': \(variable) is '\(value)', expected \(expected)"
        case .undefinedTemplateVariable(let at, let host, let variable, let reference):
            return Self.prefix(at) + "host '\(host)': \(variable) refers to undefined variable '\(reference)'"
        case .unsupportedTemplate(let at, let host, let variable, let expression):
            return Self.prefix(at) + "host '\(host)': \(variable) uses template '\(expression)'; only '{{ name }}' of "
                + "another variable of the host is supported"
        case .vault(let at, let host, let variable, let reason):
            return Self.prefix(at) + "host '\(host)': \(variable): \(reason)"
        case .invalidPattern(let pattern, let reason):
            return "host pattern '\(pattern)': \(reason)"
        case .patternMatchedNothing(let pattern, let term):
            return pattern == term
                ? "host pattern '\(pattern)' matches no host or group"
                : "host pattern '\(pattern)': '\(term)' matches no host or group"
        case .noHostsSelected(let pattern):
            return "host pattern '\(pattern)' selects no hosts"
        case .unknownHost(let name):
            return "no host '\(name)' in the inventory"
        case .multiple(let errors):
            return errors.map(\.description).joined(separator: "\n")
        }
    }

    /// `file:line:column: ` for a known location, nothing otherwise.
    private static func prefix(_ at: FileLocation?) -> String { at.map { "\($0): " } ?? "" }

    /// The individual problems: the members of `.multiple`, or this error alone.
    public var all: [InventoryError] {
        if case .multiple(let errors) = self { return errors.flatMap(\.all) }
        return [self]
    }

    /// Throws nothing for no errors, the error itself for one, `.multiple` for several.
    static func check(_ errors: [InventoryError]) throws(InventoryError) {
        let flat = errors.flatMap(\.all)
        if flat.count == 1 { throw flat[0] }
        if flat.count > 1 { throw .multiple(flat) }
    }
}
