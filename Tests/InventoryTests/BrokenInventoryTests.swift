import FlotillaCore
import Inventory
import Testing

/// Each broken fixture fails with the file, line and column of the mistake and what was expected.
@Suite struct BrokenInventoryTests {
    func expectFailure(_ name: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Fixture.failure("broken/" + name) == Fixture.path("broken/" + name) + message, sourceLocation: sourceLocation)
    }

    @Test func unclosedSectionHeader() {
        expectFailure("unclosed-section.ini", ":7:1: expected '[group]' header or host line, found '[web'")
    }

    @Test func descendingRange() {
        expectFailure("bad-range.ini", ":2:5: invalid host range in 'node[5:1]': begin 5 is greater than end 1")
    }

    @Test func unterminatedRangePointsAtItsBracket() {
        expectFailure("unterminated-range.ini", ":2:7: unterminated host range in 'node[01:50': expected ']'")
    }

    @Test func zeroPaddedRangeWithUnequalWidths() {
        expectFailure(
            "padding-range.ini",
            ":2:5: invalid host range in 'node[01:100]': zero-padded begin '01' and end '100' must have the same number of digits"
        )
    }

    @Test func unknownSectionSuffix() {
        expectFailure(
            "unknown-suffix.ini",
            ":4:1: unknown section type '[web:foo]': expected '[web]', '[web:children]' or '[web:vars]'")
    }

    @Test func loopOfChildren() {
        expectFailure("cycle.ini", ":8:1: making 'a' a child of 'c' creates a loop of groups")
    }

    @Test func childGroupNeverDeclared() {
        expectFailure("undefined-child.ini", ":6:1: section [prod:children] refers to group 'wbe', which is never declared")
    }

    @Test func varsForGroupNeverDeclared() {
        expectFailure("undefined-vars.ini", ":4:1: section [wbe:vars] refers to group 'wbe', which is never declared")
    }

    @Test func severalMistakesAreAllReported() {
        let path = Fixture.path("broken/several.ini")
        let lines = Fixture.failure("broken/several.ini")?.split(separator: "\n").map(String.init)
        #expect(
            lines == [
                path + ":2:6: expected key=value host variable, found 'notakeyvalue'",
                path + ":3:4: invalid host range in 'web[3:1]': begin 3 is greater than end 1",
                path + ":5:1: expected '[group]' header or host line, found '[db:children'",
            ])
    }

    @Test func yamlListWhereHostsMappingIsExpected() {
        expectFailure("list-hosts.yml", ":5:9: 'hosts' of group 'web': expected a mapping, found a list")
    }

    @Test func yamlSyntaxErrorCarriesParserPosition() throws {
        let message = try #require(Fixture.failure("broken/syntax.yml"))
        #expect(message.hasPrefix(Fixture.path("broken/syntax.yml") + ":5:1: invalid YAML: "))
    }

    @Test func yamlRangeErrorPointsIntoTheKey() {
        expectFailure("range.yml", ":3:9: invalid host range in 'node[9:2]': begin 9 is greater than end 2")
    }

    @Test func variablesFileThatIsNotAMapping() {
        #expect(
            Fixture.failure("broken/badvars/hosts.ini")
                == Fixture.path("broken/badvars/group_vars/web.yml")
                + ":1:1: variables file: expected a mapping of variable names to values, found a list")
    }

    @Test func missingInventoryFile() {
        #expect(Fixture.failure("nope.ini") == Fixture.path("nope.ini") + ": cannot read: no such file or directory")
    }
}

@Suite struct BrokenHostLineTests {
    @Test func unclosedQuotePointsAtTheQuote() throws {
        let directory = try TemporaryDirectory()
        try directory.write("q.ini", "[web]\nweb1 ansible_host=\"unclosed\n")
        #expect(throws: InventoryError.syntax(
            FileLocation(file: directory.path("q.ini"), line: 2, column: 19),
            expected: "a closing quote (\")", found: "the end of the line")) {
            try Inventory.load(path: directory.path("q.ini"))
        }
    }
}
