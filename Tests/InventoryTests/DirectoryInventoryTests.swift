import Foundation
import Inventory
import Testing

@Suite struct DirectoryInventoryTests {
    @Test func everyInventoryFileInTheDirectoryIsReadInLexicalOrder() throws {
        let inventory = try Fixture.load("dirinv")
        #expect(inventory.hosts.map(\.name) == ["web1", "web2", "db1", "cache1"])
        #expect(inventory.groups["db"]?.vars["from_yaml"] == .bool(true))
    }

    @Test func hiddenBackupRetryReadmeAndCfgFilesAreSkipped() throws {
        let inventory = try Fixture.load("dirinv")
        #expect(inventory.groups["ignored"] == nil)
    }

    @Test func groupVarsBesideTheDirectoryApply() throws {
        let inventory = try Fixture.load("dirinv")
        #expect(try inventory.variables(for: "cache1")["from_dir_group_vars"] == .bool(true))
    }

    @Test func severalSourcesMergeLikeRepeatedDashI() throws {
        let inventory = try Inventory.load(paths: [Fixture.path("dirinv"), Fixture.path("ranges.ini")])
        #expect(inventory.hosts.first?.name == "web1")
        #expect(inventory.host(named: "rack-a") != nil)
        // group_vars of dirinv apply to every host, the ranges.ini hosts included.
        #expect(try inventory.variables(for: "rack-a")["from_dir_group_vars"] == .bool(true))
    }

    @Test func variablesFilesMatchingNoGroupAreReportedAsWarnings() throws {
        let directory = try TemporaryDirectory()
        try directory.write("hosts.ini", "[web]\nweb1\n")
        try directory.write("group_vars/wbe.yml", "x: 1\n")
        let inventory = try Inventory.load(path: directory.path("hosts.ini"))
        #expect(inventory.warnings.map(\.message).contains { $0.contains("wbe.yml matches no group named 'wbe'") })
    }

    @Test func twoSourcesInOneDirectoryReadItsVariablesFilesOnce() throws {
        let directory = try TemporaryDirectory()
        try directory.write("a.ini", "[web]\nweb1\n")
        try directory.write("b.ini", "[db]\ndb1\n")
        try directory.write("group_vars/all.yml", "shared: true\n")
        try directory.write("group_vars/wbe.yml", "x: 1\n")
        let inventory = try Inventory.load(paths: [directory.path("a.ini"), directory.path("b.ini")])
        #expect(inventory.warnings.count == 1)
        #expect(try inventory.variables(for: "db1") == ["shared": true])
    }

    @Test func executableScriptsAreSkippedWithAWarning() throws {
        let directory = try TemporaryDirectory()
        try directory.write("a.ini", "[web]\nweb1\n")
        try directory.write("ec2.py", "#!/usr/bin/env python3\nprint('{}')\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path("ec2.py"))
        let inventory = try Inventory.load(path: directory.url.path)
        #expect(inventory.hosts.map(\.name) == ["web1"])
        #expect(inventory.warnings.count == 1)
        #expect(inventory.warnings.first?.description.contains("ec2.py:1:1: warning: skipping executable") == true)
    }
}

@Suite struct HostListTests {
    @Test func aCommaSeparatedSourceIsAListOfUngroupedHosts() throws {
        let inventory = try Inventory.load(path: "web1, web2:2222,")
        #expect(inventory.hosts.map(\.name) == ["web1", "web2"])
        #expect(inventory.groups["ungrouped"]?.hosts == ["web1", "web2"])
        #expect(try inventory.connectionVars(for: "web2").port == 2222)
    }
}
