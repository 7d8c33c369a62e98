/// The Ansible YAML inventory and the known_hosts file `lab up` writes.
public enum LabInventory {
    /// The inventory text for `hosts`. With a `bastion`, the other hosts are also in the group `behind_bastion`,
    /// whose `flotilla_jump` sends every connection to them through one login to the bastion.
    public static func yaml(hosts: [HostRecord], paths: LabPaths, bastion: HostRecord? = nil) -> String {
        var out = """
            # Written by `flotilla lab up`. The lab's hosts, reachable from the namespace \(LabNetwork.vpcNamespace)
            # (run Flotilla there: `flotilla lab exec -- flotilla ...`).

            """
        if let bastion {
            out += """
                # Bastion topology: only \(bastion.name) (\(bastion.address)) is reachable from \(LabNetwork.vpcNamespace); the hosts of
                # behind_bastion are reached through it (flotilla_jump, one login to it for all of them). As with ssh -J,
                # the login to the bastion uses the ssh-agent, not ansible_ssh_private_key_file: `flotilla lab exec`
                # sets SSH_AUTH_SOCK to the lab's agent (\(paths.agentSocket)), which holds the lab key.

                """
        }
        out += """
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
        if let bastion {
            group("bastion", [bastion])
            out += "    behind_bastion:\n"
            out += "      vars:\n"
            out += "        flotilla_jump: root@\(bastion.address)\n"
            let behind = hosts.filter { $0.name != bastion.name }
            if behind.isEmpty {
                out += "      hosts: {}\n"
            } else {
                out += "      hosts:\n"
                for h in behind { out += "        \(h.name):\n" }
            }
        }
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
