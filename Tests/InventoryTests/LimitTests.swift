import Foundation
import Inventory
import Testing

/// The readers' limits (docs/limits.md): each holds at its exact boundary and is refused one past it with the
/// file, line and column, never by overflowing the stack or eating memory.
@Suite struct LimitTests {
    /// Loads `content` written as `name` in a fresh directory; the error text, or nil when it loads.
    func failure(_ name: String, _ content: String) throws -> (path: String, error: String?) {
        let directory = try TemporaryDirectory()
        try directory.write(name, content)
        let path = directory.path(name)
        do {
            _ = try Inventory.load(path: path)
            return (path, nil)
        } catch {
            return (path, "\(error)")
        }
    }

    func load(_ name: String, _ content: String) throws -> Inventory {
        let directory = try TemporaryDirectory()
        try directory.write(name, content)
        return try Inventory.load(path: directory.path(name))
    }

    static func nested(_ depth: Int) -> String { String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth) }

    @Test func inlineValuesNestUpToSixtyFourLevels() throws {
        let inventory = try load("hosts.ini", "[all]\nweb1 x=\(Self.nested(64))\n[all:vars]\ny=\(Self.nested(64))\n")
        var value = try #require(inventory.variables(for: "web1")["x"])
        var depth = 0
        while case .list(let items) = value { depth += 1; value = items[0] }
        #expect(depth == 64)
        #expect(value == .int(1))
    }

    @Test func hostVariableNestedSixtyFiveLevelsIsRefusedAtItsWord() throws {
        let (path, error) = try failure("hosts.ini", "[all]\nweb1 a=1 x=\(Self.nested(65))\n")
        #expect(error == path + ":2:10: the value of 'x' nests lists or dicts too deeply: the limit is 64 levels")
    }

    @Test func groupVariableNestedSixtyFiveLevelsIsRefusedAtItsLine() throws {
        let (path, error) = try failure("hosts.ini", "[all]\nweb1\n[all:vars]\ny=" + String(repeating: "{", count: 65) + "\n")
        #expect(error == path + ":4:1: the value of 'y' nests lists or dicts too deeply: the limit is 64 levels")
    }

    /// Tens of thousands of brackets or template parentheses used to overflow the stack (SIGSEGV).
    @Test(arguments: [String(repeating: "[", count: 50_000), "\"{{ " + String(repeating: "(", count: 50_000) + " }}\"", String(repeating: "{(", count: 30_000)])
    func thousandsOfBracketsAreRefusedNotACrash(value: String) throws {
        let (path, error) = try failure("hosts.ini", "[all]\nweb1 x=\(value)\n")
        #expect(error == path + ":2:6: the value of 'x' nests lists or dicts too deeply: the limit is 64 levels")
    }

    /// A chain of `{{ name }}` references recurses once per link: 64 variables resolve, 65 are refused.
    @Test func templateChainsResolveThroughSixtyFourVariables() throws {
        func chain(_ n: Int) -> String {
            var ini = "[all]\nweb1\n[all:vars]\n"
            for i in 1..<n { ini += "v\(i)=\"{{ v\(i + 1) }}\"\n" }
            return ini + "v\(n)=end\n"
        }
        #expect(try load("hosts.ini", chain(64)).resolvedVariables(for: "web1")["v1"] == .string("end"))
        let long = try load("hosts.ini", chain(65))
        let error = #expect(throws: InventoryError.self) { try long.resolvedVariables(for: "web1") }
        guard case .unsupportedTemplate(let at, let host, let variable, let expression) = error else { Issue.record("wrong error \(String(describing: error))"); return }
        #expect(host == "web1")
        #expect(at?.line == 4, "v1 is written on line 4")
        #expect(variable == "v1")
        #expect(expression.hasPrefix("a chain of more than 64 references: v1 -> v2 -> v3 -> … -> v65"))
    }

    /// A YAML inventory whose vars expand, aliases included, to exactly `total` nodes (at least 2012): root, `all`,
    /// its mapping, `vars`, its mapping (5); `a` and a list of 999 scalars (1001); `b` and a list of 998
    /// aliases of that list (1 + 1 + 998 × 1000); `c` and a list of k scalars (2 + k).
    static func aliasDocument(total: Int) -> String {
        let k = total - (5 + 1001 + 2 + 998 * 1000 + 2)
        let a = Array(repeating: "x", count: 999).joined(separator: ",")
        let b = Array(repeating: "*a", count: 998).joined(separator: ",")
        let c = Array(repeating: "y", count: k).joined(separator: ",")
        return "all:\n  vars:\n    a: &a [\(a)]\n    b: [\(b)]\n    c: [\(c)]\n"
    }

    @Test func yamlDocumentOfExactlyTheNodeBudgetLoads() throws {
        let text = Self.aliasDocument(total: 1_000_000)
        #expect(text.utf8.count < 1_000_000)
        let inventory = try load("hosts.yml", text)
        guard case .list(let b) = try #require(inventory.groups["all"]?.vars["b"]) else { Issue.record("b is not a list"); return }
        #expect(b.count == 998)
    }

    @Test func yamlDocumentOneNodePastTheBudgetIsRefused() throws {
        let (path, error) = try failure("hosts.yml", Self.aliasDocument(total: 1_000_001))
        let message = try #require(error)
        #expect(message.hasPrefix(path + ":"))
        #expect(message.hasSuffix(": the document expands to more than 1000000 nodes through its aliases: the limit is 1000000 nodes per document, or one per byte of a larger file"))
    }

    /// Ten levels of nine aliases: 9^10 nodes, refused after walking the budget alone (it took 23 s and 1.45 GB).
    @Test func billionLaughsIsRefusedWithItsPosition() throws {
        var yaml = "all:\n  vars:\n    l0: &l0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
        for level in 1...10 {
            yaml += "    l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ",") + "]\n"
        }
        yaml += "  hosts:\n    web1:\n"
        let (path, error) = try failure("hosts.yml", yaml)
        let message = try #require(error)
        #expect(message.hasPrefix(path + ":3:"))
        #expect(message.contains("expands to more than 1000000 nodes through its aliases"))
    }

    @Test func hostNamesUpToTwoHundredFiftyFiveCharactersLoad() throws {
        let name = String(repeating: "n", count: 255)
        let ranged = String(repeating: "r", count: 250) + "[1:3]"
        let inventory = try load("hosts.ini", "[all]\n\(name)\n\(ranged)\n")
        let names = Set(inventory.hosts.map(\.name))
        #expect(names.contains(name))
        #expect(names.contains(String(repeating: "r", count: 250) + "3"))
    }

    @Test func aHostNameOfTwoHundredFiftySixCharactersIsRefused() throws {
        let name = String(repeating: "n", count: 256)
        let (path, error) = try failure("hosts.ini", "[all]\nweb1\n\(name)\n")
        #expect(error == path + ":3:1: the host name '\(name.prefix(40))…' is 256 characters long: the limit is 255 characters")
        let yaml = try failure("hosts.yml", "all:\n  hosts:\n    \(String(repeating: "y", count: 251))[1:9]:\n")
        #expect(yaml.error == yaml.path + ":3:5: the host name '\(String(repeating: "y", count: 40))…' is 256 characters long: the limit is 255 characters")
    }

    @Test func twoHundredThousandHostEntriesLoadAndOneMoreIsRefused() throws {
        let full = "[a]\nnode[1:100000]\n[b]\nnode[1:100000]\n"
        #expect(try load("hosts.ini", full).hosts.count == 100_000)
        let (path, error) = try failure("hosts.ini", full + "[c]\nnode1\nnode2\n")
        #expect(error == path + ":6:1: 'node1' takes the inventory past 200000 host entries: the limit is 200000 host entries, counted after ranges (a host in several groups counts once per group)")
    }

    /// 500 lines repeating a 20,000-host range took 11 s; now the 11th line is refused.
    @Test func repeatingALargeRangeStopsAtTheLimit() throws {
        let ini = "[all]\n" + String(repeating: "node[1:20000]\n", count: 500)
        let (path, error) = try failure("hosts.ini", ini)
        #expect(error?.hasPrefix(path + ":12:1: 'node[1:20000]' takes the inventory past 200000 host entries") == true)
    }
}
