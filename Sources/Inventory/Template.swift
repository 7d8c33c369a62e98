import FlotillaCore
import Vault

/// The small part of Jinja that inventories commonly use: `{{ name }}` replaced by another variable of
/// the same host (or `inventory_hostname`, `inventory_hostname_short`, `group_names`). A string that is
/// exactly one `{{ name }}` takes the referenced value with its type; otherwise values are rendered as
/// text. Filters, expressions and lookups are refused with an error that names them, as are references
/// to undefined variables and loops; each error names the file and line where the offending variable was
/// written.
struct TemplateResolver {
    /// How many variables a chain of `{{ name }}` references may pass through (each level recurses).
    static let maxChain = 64

    let host: String
    let variables: [String: InventoryValue]
    /// Where each of `variables` was written.
    let origins: [String: FileLocation]
    let magic: [String: InventoryValue]
    /// Decrypts `!vault` values when they are used.
    var vault: Vault = .none

    /// Where the value of `name` really comes from when it is exactly one `{{ other }}` (through any chain of
    /// such references): the last variable of the chain and where it was written; nil when `name` is not such a
    /// reference. Errors about `name`'s value add this, since the bad value was written there.
    func source(of name: String) -> (variable: String, origin: FileLocation?)? {
        var current = name
        var seen: Set<String> = [name]
        while seen.count <= Self.maxChain, case .string(let text)? = variables[current] {
            let trimmed = text.trimmingWhitespace()
            guard trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}"), trimmed.count >= 4 else { break }
            let inner = trimmed.dropFirst(2).dropLast(2).trimmingWhitespace()
            guard !inner.isEmpty, inner.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
                variables[inner] != nil || magic[inner] != nil, seen.insert(inner).inserted
            else { break }
            current = inner
        }
        return current == name ? nil : (current, origins[current])
    }

    func resolve(_ name: String) throws -> InventoryValue? {
        var visiting: [String] = []
        return try resolve(name, visiting: &visiting)
    }

    private func resolve(_ name: String, visiting: inout [String]) throws -> InventoryValue? {
        guard let value = variables[name] ?? magic[name] else { return nil }
        if visiting.contains(name) {
            throw InventoryError.unsupportedTemplate(
                origins[visiting[0]], host: host, variable: visiting[0], expression: "a loop: " + (visiting + [name]).joined(separator: " -> "))
        }
        if visiting.count >= Self.maxChain {
            throw InventoryError.unsupportedTemplate(
                origins[visiting[0]], host: host, variable: visiting[0],
                expression: "a chain of more than \(Self.maxChain) references: " + (visiting.prefix(3) + ["…", name]).joined(separator: " -> "))
        }
        visiting.append(name)
        defer { visiting.removeLast() }
        return try expand(value, variable: name, visiting: &visiting)
    }

    private func expand(_ value: InventoryValue, variable: String, visiting: inout [String]) throws -> InventoryValue {
        switch value {
        case .string(let s):
            guard s.contains("{{") || s.contains("{%") else { return value }
            return try render(s, variable: variable, visiting: &visiting)
        case .list(let items):
            return .list(try items.map { try expand($0, variable: variable, visiting: &visiting) })
        case .map(let map):
            var out: [String: InventoryValue] = [:]
            for (k, v) in map { out[k] = try expand(v, variable: variable, visiting: &visiting) }
            return .map(out)
        case .vaulted(let text):
            let plain: [UInt8]
            do { plain = try vault.decrypt(text) } catch {
                throw InventoryError.vault(origins[variable], host: host, variable: variable, reason: "\(error)")
            }
            guard let decoded = String(validating: plain, as: UTF8.self) else {
                throw InventoryError.vault(origins[variable], host: host, variable: variable, reason: "its decrypted value is not UTF-8 text")
            }
            // As Ansible: the decrypted text is a string, and a template inside it is expanded.
            return try expand(.string(decoded), variable: variable, visiting: &visiting)
        default:
            return value
        }
    }

    private func render(_ text: String, variable: String, visiting: inout [String]) throws -> InventoryValue {
        if text.contains("{%") || text.contains("{#") {
            throw InventoryError.unsupportedTemplate(origins[variable], host: host, variable: variable, expression: text)
        }
        var pieces: [InventoryValue] = []
        var rest = Substring(text)
        var literal = ""
        while let open = rest.range(of: "{{") {
            literal += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw InventoryError.unsupportedTemplate(
                    origins[variable], host: host, variable: variable, expression: String(rest[open.lowerBound...]))
            }
            let expression = rest[open.upperBound..<close.lowerBound].trimmingWhitespace()
            guard !expression.isEmpty,
                expression.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
                !(expression.first!.isNumber)
            else {
                throw InventoryError.unsupportedTemplate(
                    origins[variable], host: host, variable: variable,
                    expression: String(rest[open.lowerBound..<close.upperBound]))
            }
            guard let referenced = try resolve(expression, visiting: &visiting) else {
                throw InventoryError.undefinedTemplateVariable(
                    origins[variable], host: host, variable: variable, reference: expression)
            }
            if !literal.isEmpty { pieces.append(.string(literal)) }
            literal = ""
            pieces.append(referenced)
            rest = rest[close.upperBound...]
        }
        literal += rest
        if !literal.isEmpty { pieces.append(.string(literal)) }
        if pieces.count == 1 { return pieces[0] }
        return .string(pieces.map(\.text).joined())
    }
}

extension Inventory {
    func templateResolver(for host: String) throws -> TemplateResolver {
        let groupNames = try groupNames(of: host).filter { $0 != "all" }.sorted()
        let magic: [String: InventoryValue] = [
            "inventory_hostname": .string(host),
            "inventory_hostname_short": .string(String(host.prefix { $0 != "." })),
            "group_names": .list(groupNames.map(InventoryValue.string)),
        ]
        let located = try locatedVariables(for: host)
        var resolver = TemplateResolver(host: host, variables: located.values, origins: located.origins, magic: magic)
        resolver.vault = vault
        return resolver
    }

    /// The host's merged variables with `{{ name }}` templates expanded (see `TemplateResolver`).
    public func resolvedVariables(for host: String) throws -> [String: InventoryValue] {
        let resolver = try templateResolver(for: host)
        var result: [String: InventoryValue] = [:]
        for name in resolver.variables.keys { result[name] = try resolver.resolve(name) }
        return result
    }

    /// How to reach the host, as far as the inventory says (templates in the connection variables
    /// expanded). Unset fields stay `nil` for the SSH client config to fill.
    public func connectionVars(for host: String) throws -> HostConnectionVars {
        let resolver = try templateResolver(for: host)
        return try HostConnectionVars.resolve(
            host: host, origin: { resolver.origins[$0] },
            through: { name in
                resolver.source(of: name).map { "from \($0.variable)" + ($0.origin.map { " at \($0)" } ?? "") }
            }
        ) { name in
            resolver.variables[name] == nil ? nil : try resolver.resolve(name)
        }
    }

    public func connectionVars(for host: InventoryHost) throws -> HostConnectionVars {
        try connectionVars(for: host.name)
    }
}
