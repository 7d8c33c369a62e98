import FlotillaCore
import Inventory
import Testing

@Suite struct ConnectionVarsTests {
    let inventory: Inventory

    init() throws { inventory = try Fixture.load("connection.ini") }

    @Test func everyConnectionVariableIsResolved() throws {
        let vars = try inventory.connectionVars(for: "full")
        #expect(
            vars
                == HostConnectionVars(
                    name: "full", address: "10.1.0.5", port: 2222, user: "ops", keyFile: "~/.ssh/fleet",
                    password: "s3cret", become: true, becomeUser: "admin", becomePassword: "sudopw",
                    knownHostsFile: "/etc/flotilla/known_hosts", hostKeyPolicy: .acceptNew))
    }

    @Test func legacyNamesAreUnderstood() throws {
        let vars = try inventory.connectionVars(for: "legacy")
        #expect(vars.address == "10.1.0.6")
        #expect(vars.port == 2200)
        #expect(vars.user == "old")
        #expect(vars.keyFile == "/keys/old")
        #expect(vars.password == "oldpw")
        #expect(vars.becomePassword == "oldsudo")
        #expect(vars.become == true)
    }

    @Test func legacySshNameWinsWhenBothAreSetAsInAnsiblesSshPlugin() throws {
        #expect(try inventory.connectionVars(for: "both").address == "legacy.example")
    }

    @Test func unsetFieldsStayUnsetForTheSshConfigToFill() throws {
        let vars = try inventory.connectionVars(for: "bare")
        #expect(vars == HostConnectionVars(name: "bare"))
        let fromSSHConfig = HostConnectionVars(name: "ignored", address: "bare.internal", port: 2022, user: "me")
        let filled = vars.filled(from: fromSSHConfig)
        #expect(filled.name == "bare")
        #expect(filled.address == "bare.internal")
        #expect(filled.port == 2022)
        #expect(filled.user == "me")
    }

    @Test func connectionTargetUsesDefaultsOnlyForUnsetFields() throws {
        let bare = try inventory.connectionVars(for: "bare").connectionTarget(defaultUser: "deploy")
        #expect(bare == ConnectionTarget(name: "bare", address: "bare", port: 22, user: "deploy"))
        let full = try inventory.connectionVars(for: "full").connectionTarget(defaultUser: "deploy", defaultPort: 2000)
        #expect(full.user == "ops")
        #expect(full.port == 2222)
        #expect(full.identityFiles == ["~/.ssh/fleet"])
        #expect(full.become == Become(user: "admin", password: "sudopw"))
        #expect(full.knownHostsFiles == ["/etc/flotilla/known_hosts"])
        #expect(full.hostKeyPolicy == .acceptNew)
    }

    @Test func becomeIsParsedLikeAnsibleAndDisabledBecomeGivesNoSudo() throws {
        let off = try inventory.connectionVars(for: "off")
        #expect(off.become == false)
        #expect(off.hostKeyPolicy == .off)
        #expect(off.connectionTarget().become == nil)
        #expect(try inventory.connectionVars(for: "legacy").connectionTarget().become == Become(user: "root", password: "oldsudo"))
    }

    @Test func ansibleBooleanAcceptsEveryAnsibleSpelling() {
        for text in ["yes", "YES", "true", "True", "on", "1", "y", "t"] {
            #expect(AnsibleBoolean.parse(.string(text)) == true, "\(text)")
        }
        for text in ["no", "No", "false", "FALSE", "off", "0", "n", "f"] {
            #expect(AnsibleBoolean.parse(.string(text)) == false, "\(text)")
        }
        #expect(AnsibleBoolean.parse(.int(1)) == true)
        #expect(AnsibleBoolean.parse(.string("maybe")) == nil)
    }

    @Test func templatesReferToOtherVariablesOfTheHost() throws {
        let vars = try inventory.connectionVars(for: "templated")
        #expect(vars.address == "templated.mgmt.example")
        #expect(vars.user == "svc")
        #expect(try inventory.resolvedVariables(for: "templated")["ansible_host"] == "templated.mgmt.example")
    }

    @Test func badValuesAreErrorsThatNameTheLineHostVariableAndValue() {
        func message(_ host: String) -> String? {
            do {
                _ = try inventory.connectionVars(for: host)
                return nil
            } catch {
                return "\(error)"
            }
        }
        let file = Fixture.path("connection.ini")
        #expect(message("badport") == "\(file):8:9: host 'badport': ansible_port is 'ssh', expected a port number from 1 to 65535")
        #expect(
            message("badbecome")
                == "\(file):9:11: host 'badbecome': ansible_become is 'perhaps', expected a boolean (yes/no, true/false, on/off, 1/0)")
        #expect(
            message("badpolicy")
                == "\(file):10:11: host 'badpolicy': flotilla_host_key_policy is 'sometimes', expected strict, accept-new or off")
        #expect(message("undefinedref") == "\(file):11:14: host 'undefinedref': ansible_host refers to undefined variable 'nope'")
        #expect(
            message("filtered")
                == "\(file):12:10: host 'filtered': ansible_host uses template '{{ name | upper }}'; only '{{ name }}' of another "
                + "variable of the host is supported")
    }
}
