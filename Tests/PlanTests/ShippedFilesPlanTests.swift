import Facts
import Foundation
import Inventory
import Plan
import Testing

/// Every shipped inventory with every shipped playbook: the plays' host patterns resolve, every host gets
/// its variables, and each host plans from fixture facts without a failure.
@Suite struct ShippedFilesPlanTests {
    static let inventories = ["vpc.ini", "vpc.yml", "lab.yml"]
    static let playbooks = ["chrony.yml", "chrony-master.yml"]

    @Test(arguments: inventories, playbooks)
    func shippedInventoryAndPlaybookPlanEveryHost(inventoryName: String, playbookName: String) throws {
        let inventory = try Inventory.load(path: Repo.root.appendingPathComponent("Inventories/\(inventoryName)").path)
        let playbook = try Repo.playbook(playbookName)
        let inputs = try playbook.planningInput(inventory: inventory, selected: inventory.hosts)
        #expect(inputs.count == inventory.hosts.count, "every host is in a play")
        let facts = try Repo.facts("debian12-ntp")
        let outcome = FleetPlanner.plan(playbook, hosts: inputs.map { $0.fleetHost(.success(facts)) })
        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
        #expect(outcome.plans.count == inputs.count)
        #expect(outcome.plans.allSatisfy { !$0.isConverged })
    }

    @Test func theMasterServesTheSubnetAndClientsFollowIt() throws {
        let inventory = try Inventory.load(path: Repo.root.appendingPathComponent("Inventories/vpc.yml").path)
        let playbook = try Repo.playbook("chrony-master.yml")
        let inputs = try playbook.planningInput(inventory: inventory, selected: inventory.hosts)
        let facts = try Repo.facts("debian12-ntp")
        let outcome = FleetPlanner.plan(playbook, hosts: inputs.map { $0.fleetHost(.success(facts)) })
        let master = try #require(outcome.plans.first { $0.host == "ntp01.vpc.internal" })
        let client = try #require(outcome.plans.first { $0.host == "app07.vpc.internal" })
        let masterConf = try #require(master.written("/etc/chrony/chrony.conf"))
        let clientConf = try #require(client.written("/etc/chrony/chrony.conf"))
        #expect(masterConf.contains("server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4"))
        #expect(masterConf.contains("allow 10.20.0.0/16"))
        #expect(masterConf.contains("local stratum 8"))
        #expect(clientConf.contains("server 10.20.0.10 iburst"))
        #expect(!clientConf.contains("allow"))
    }
}
