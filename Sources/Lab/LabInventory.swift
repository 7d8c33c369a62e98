/// The Ansible YAML inventory and the known_hosts file `lab up` writes.
public enum LabInventory {
    /// The inventory text for `hosts`.
    public static func yaml(hosts: [HostRecord], paths: LabPaths) -> String {
        var out = """
            # Written by `flotilla lab up`. The lab's hosts, reachable from the namespace \(LabNetwork.vpcNamespace)
            # (run Flotilla there: `flotilla lab exec -- flotilla ...`).
            # For the non-root become path use `ansible_user: admin` (passwordless sudo); the user `operator`
            # needs its password for sudo (\(paths.operatorPasswordFile)).
            all:
              children:
                lab:
                  vars:
                    ansible_user: root
                    ansible_ssh_private_key_file: \(paths.privateKey)
                    flotilla_known_hosts_file: \(paths.knownHostsFile)
                    flotilla_host_key_policy: strict
                    vpc_subnet: \(LabNetwork.subnet)
                    timemaster_address: \(hosts.first?.address ?? "")
                    time_upstream: \(LabNetwork.upstream)
                  children:

            """
        for state in StartingState.allCases {
            let members = hosts.filter { $0.state == state }
            out += "        \(state.groupName):\n"
            if members.isEmpty {
                out += "          hosts: {}\n"
                continue
            }
            out += "          hosts:\n"
            for h in members {
                out += "            \(h.name):\n"
                out += "              ansible_host: \(h.address)\n"
                out += "              lab_state: \(h.state.rawValue)\n"
            }
        }
        func group(_ name: String, _ members: [HostRecord]) {
            out += "    \(name):\n"
            if members.isEmpty {
                out += "      hosts: {}\n"
                return
            }
            out += "      hosts:\n"
            for h in members { out += "        \(h.name):\n" }
        }
        group("timemaster", Array(hosts.prefix(1)))
        group("clients", Array(hosts.dropFirst()))
        group("zone_a", hosts.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
        group("zone_b", hosts.enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
        return out
    }

    /// known_hosts lines: every host key under the address and under the name.
    public static func knownHosts(_ keys: [(host: HostRecord, keys: [String])]) -> String {
        var out = ""
        for (host, hostKeys) in keys {
            for key in hostKeys {
                out += "\(host.address) \(key)\n"
                out += "\(host.name) \(key)\n"
            }
        }
        return out
    }
}
