public import FlotillaCore
/// Everything that can go wrong while loading a playbook or planning a host.
public enum PlanError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file cannot be read.
    case unreadable(file: String, reason: String)
    /// The YAML itself is broken (indentation, quotes, tabs).
    case yaml(FileLocation, message: String)
    /// A key the schema does not know, with the nearest valid key when one is close.
    case unknownKey(FileLocation, key: String, context: String, suggestion: String?)
    /// A required key is missing.
    case missingKey(FileLocation, key: String, context: String)
    /// A value has the wrong type or is out of range.
    case badValue(FileLocation, key: String, expected: String, got: String)
    /// Values that are each fine but make no sense together (minpoll above maxpoll, no time source).
    case invalid(FileLocation, message: String)
    /// `{{ name }}` names a variable the host does not have.
    case unknownVariable(FileLocation, name: String, host: String)
    /// The host's operating system is one Flotilla has no paths and package tools for.
    case unsupportedHost(host: String, reason: String)
    /// Planning cannot honestly say what would happen (a unit that nothing provides, a file to edit that is missing).
    case cannotPlan(FileLocation, host: String, resource: String, reason: String)
    /// Several errors found in one pass, in file order.
    case several([PlanError])
    /// A saved plan file that cannot be used (it no longer matches its playbook).
    case badPlanFile(file: String, reason: String)
    /// A saved plan file that cannot be read as one: empty or cut off, not UTF-8, not JSON, not a plan, another
    /// format version, or a field that does not hold what it should (with its path).
    case damagedPlanFile(file: String, problem: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            "\(file): cannot read: \(reason)"
        case .yaml(let at, let message):
            "\(at): YAML error: \(message)"
        case .unknownKey(let at, let key, let context, let suggestion):
            "\(at): unknown key '\(key)' in \(context)" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
        case .missingKey(let at, let key, let context):
            "\(at): \(context) needs '\(key)'"
        case .badValue(let at, let key, let expected, let got):
            "\(at): '\(key)' must be \(expected), not \(got)"
        case .invalid(let at, let message):
            "\(at): \(message)"
        case .unknownVariable(let at, let name, let host):
            "\(at): host \(host) has no variable '\(name)'"
        case .unsupportedHost(let host, let reason):
            "\(host): \(reason)"
        case .cannotPlan(let at, let host, let resource, let reason):
            "\(at): \(host): \(resource): \(reason)"
        case .several(let errors):
            errors.map(\.description).joined(separator: "\n")
        case .badPlanFile(let file, let reason):
            "\(file): not a usable plan: \(reason)"
        case .damagedPlanFile(let file, let problem):
            "\(file): damaged plan file: \(problem)"
        }
    }

    /// The single errors inside, flattened.
    public var all: [PlanError] {
        if case .several(let errors) = self { return errors.flatMap(\.all) }
        return [self]
    }
}
