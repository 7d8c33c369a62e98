import FlotillaCore
import Foundation
import Inventory
import Testing

/// Errors about a variable's value name the file, line and column where the value that won was written: an INI
/// host line's `key=value` word, a `[group:vars]` line, a YAML value node, a `group_vars`/`host_vars` file, or the
/// host definition for a `:port` suffix. Each test writes its own broken inventory into its own directory.
@Suite struct VariableOriginTests {
    /// Writes `files` into a fresh directory and loads `main` from it.
    func inventory(_ main: String, _ files: [String: String]) throws -> (Inventory, TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        for (name, content) in files { try directory.write(name, content) }
        return (try Inventory.load(path: directory.path(main)), directory)
    }

    /// The error `connectionVars(for:)` throws, as text.
    func connectionError(_ inventory: Inventory, _ host: String) -> String? {
        do {
            _ = try inventory.connectionVars(for: host)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func groupVarsSectionLineIsNamed() throws {
        let (inv, dir) = try inventory("hosts.ini", ["hosts.ini": "[web]\nweb1\n\n[web:vars]\n  ansible_become = 'perhaps'\n"])
        #expect(
            connectionError(inv, "web1")
                == dir.path("hosts.ini")
                + ":5:3: host 'web1': ansible_become is 'perhaps', expected a boolean (yes/no, true/false, on/off, 1/0)")
    }

    @Test func yamlHostValueNodeIsNamed() throws {
        let yaml = """
            all:
              hosts:
                web1:
                  ansible_host: 10.0.0.1
                  ansible_port: "ssh"
            """
        let (inv, dir) = try inventory("hosts.yml", ["hosts.yml": yaml])
        #expect(
            connectionError(inv, "web1")
                == dir.path("hosts.yml") + ":5:21: host 'web1': ansible_port is 'ssh', expected a port number from 1 to 65535")
    }

    @Test func yamlGroupVarIsNamed() throws {
        let yaml = """
            all:
              children:
                web:
                  hosts:
                    web1:
                  vars:
                    flotilla_host_key_policy: sometimes
            """
        let (inv, dir) = try inventory("hosts.yml", ["hosts.yml": yaml])
        #expect(
            connectionError(inv, "web1")
                == dir.path("hosts.yml")
                + ":7:35: host 'web1': flotilla_host_key_policy is 'sometimes', expected strict, accept-new or off")
    }

    @Test func groupVarsFileLineIsNamed() throws {
        let (inv, dir) = try inventory(
            "hosts.ini",
            [
                "hosts.ini": "[web]\nweb1\n",
                "group_vars/all.yml": "---\nntp: pool.example\nansible_port: 70000\n",
            ])
        #expect(
            connectionError(inv, "web1")
                == dir.path("group_vars/all.yml")
                + ":3:15: host 'web1': ansible_port is '70000', expected a port number from 1 to 65535")
    }

    /// `host_vars/web1` beats the inline value, so the error names the file that won, not the inventory line.
    @Test func theValueThatWinsIsTheOneNamed() throws {
        let (inv, dir) = try inventory(
            "hosts.ini",
            [
                "hosts.ini": "[web]\nweb1 ansible_become=yes\n",
                "host_vars/web1": "ansible_become: sometimes\n",
            ])
        #expect(
            connectionError(inv, "web1")
                == dir.path("host_vars/web1")
                + ":1:17: host 'web1': ansible_become is 'sometimes', expected a boolean (yes/no, true/false, on/off, 1/0)")
        let origins = try inv.locatedVariables(for: "web1").origins
        #expect(origins["ansible_become"] == FileLocation(file: dir.path("host_vars/web1"), line: 1, column: 17))
    }

    /// In a `group_vars/NAME/` directory the later file wins, value and origin together.
    @Test func laterFileOfAVariablesDirectoryIsNamed() throws {
        let (inv, dir) = try inventory(
            "hosts.ini",
            [
                "hosts.ini": "[web]\nweb1\n",
                "group_vars/web/a.yml": "ansible_port: 22\nansible_user: ops\n",
                "group_vars/web/b.yml": "# later\nansible_port: [22]\n",
            ])
        #expect(
            connectionError(inv, "web1")
                == dir.path("group_vars/web/b.yml") + ":2:15: host 'web1': ansible_port is '[22]', expected a port number from 1 to 65535")
        let origins = try inv.locatedVariables(for: "web1").origins
        #expect(origins["ansible_user"] == FileLocation(file: dir.path("group_vars/web/a.yml"), line: 2, column: 15))
    }

    /// A value taken through a YAML merge key was written where its anchor is.
    @Test func mergedValueIsNamedWhereItsAnchorWroteIt() throws {
        let yaml = """
            all:
              vars:
                common: &common
                  ansible_become: perhaps
              hosts:
                web1:
                  <<: *common
            """
        let (inv, dir) = try inventory("hosts.yml", ["hosts.yml": yaml])
        #expect(
            connectionError(inv, "web1")
                == dir.path("hosts.yml")
                + ":4:23: host 'web1': ansible_become is 'perhaps', expected a boolean (yes/no, true/false, on/off, 1/0)")
    }

    @Test func stringVariableOfTheWrongTypeIsNamed() throws {
        let (inv, dir) = try inventory("hosts.ini", ["hosts.ini": "web1 ansible_user=\"[1,2]\"\n"])
        #expect(connectionError(inv, "web1") == dir.path("hosts.ini") + ":1:6: host 'web1': ansible_user is '[1, 2]', expected a string")
    }

    @Test func sshArgumentsWithAnOpenQuoteAreNamed() throws {
        let (inv, dir) = try inventory("hosts.ini", ["hosts.ini": "[all:vars]\nansible_ssh_extra_args = \"-o 'Foo=bar\"\n[all]\nweb1\n"])
        #expect(
            connectionError(inv, "web1")
                == dir.path("hosts.ini")
                + ":2:1: host 'web1': ansible_ssh_extra_args is '-o 'Foo=bar', expected ssh arguments with balanced quotes (the ' at offset 3 is never closed)")
    }

    /// Template errors name the variable that holds the template, where it was written.
    @Test func templateErrorsNameTheVariableWithTheTemplate() throws {
        let (inv, dir) = try inventory(
            "hosts.ini",
            [
                "hosts.ini": "[web]\nweb1 ansible_host=\"{{ mgmt }}\"\nweb2\n",
                "group_vars/web.yml": "mgmt: '{{ missing }}'\n",
                "host_vars/web2.yml": "\n\nansible_user: \"{{ mgmt | upper }}\"\n",
            ])
        let groupVars = dir.path("group_vars/web.yml")
        #expect(connectionError(inv, "web1") == groupVars + ":1:7: host 'web1': mgmt refers to undefined variable 'missing'")
        #expect(
            connectionError(inv, "web2")
                == dir.path("host_vars/web2.yml")
                + ":3:15: host 'web2': ansible_user uses template '{{ mgmt | upper }}'; only '{{ name }}' of another variable of the host is supported")
        let resolving = #expect(throws: InventoryError.self) { try inv.resolvedVariables(for: "web1") }
        #expect(resolving?.description == groupVars + ":1:7: host 'web1': mgmt refers to undefined variable 'missing'")
    }

    @Test func loopOfTemplatesIsNamedAtItsFirstVariable() throws {
        let (inv, dir) = try inventory(
            "hosts.ini", ["hosts.ini": "web1\n", "host_vars/web1.yml": "ansible_host: '{{ a }}'\na: '{{ ansible_host }}'\n"])
        #expect(
            connectionError(inv, "web1")
                == dir.path("host_vars/web1.yml")
                + ":1:15: host 'web1': ansible_host uses template 'a loop: ansible_host -> a -> ansible_host'; only '{{ name }}' of another variable of the host is supported")
    }

    /// A `:port` suffix is the host definition's own `ansible_port`.
    @Test func portSuffixIsWrittenAtTheHostDefinition() throws {
        let (inv, dir) = try inventory("hosts.ini", ["hosts.ini": "[web]\n  web1:2222 ansible_user=ops\n"])
        let located = try inv.locatedVariables(for: "web1")
        #expect(located.values["ansible_port"] == .int(2222))
        #expect(located.origins["ansible_port"] == FileLocation(file: dir.path("hosts.ini"), line: 2, column: 3))
        #expect(located.origins["ansible_user"] == FileLocation(file: dir.path("hosts.ini"), line: 2, column: 13))
    }

    /// The origins travel beside the values: the values themselves (and so `--json`) are what they were.
    @Test func originsDoNotChangeTheValues() throws {
        let (inv, _) = try inventory(
            "hosts.ini", ["hosts.ini": "[web]\nweb1 a=1\n[web:vars]\nb=2\n", "group_vars/all.yml": "c: 3\n"])
        #expect(try inv.variables(for: "web1") == ["a": 1, "b": 2, "c": 3])
        #expect(try inv.locatedVariables(for: "web1").values == inv.variables(for: "web1"))
        #expect(inv.host(named: "web1")?.vars == ["a": 1])
        #expect(inv.groups["web"]?.vars == ["b": 2])
    }
}

extension VariableOriginTests {
    /// A connection variable that is a `{{ name }}` of another also names where that other value was written.
    @Test func valueThroughATemplateNamesWhereItWasWritten() throws {
        let (inv, dir) = try inventory(
            "hosts.ini",
            [
                "hosts.ini": "[web]\nweb1 ansible_port=\"{{ web_port }}\"\nweb2 ansible_host=\"{{ inventory_hostname }}\" ansible_port=\"x{{ web_port }}\"\n",
                "group_vars/web.yml": "port_name: ssh\nweb_port: '{{ port_name }}'\n",
            ])
        let file = dir.path("hosts.ini")
        #expect(
            connectionError(inv, "web1")
                == file + ":2:6: host 'web1': ansible_port (from port_name at \(dir.path("group_vars/web.yml")):1:12) is 'ssh', "
                + "expected a port number from 1 to 65535")
        // Text around the reference: the value is made on that line, so no other place is named.
        #expect(connectionError(inv, "web2") == file + ":3:46: host 'web2': ansible_port is 'xssh', expected a port number from 1 to 65535")
    }
}
