/// The lab's addressing and names. Everything lives in namespaces the lab creates; the machine's root
/// namespace gets no addresses or routes.
public enum LabNetwork {
    public static let vpcNamespace = "flotilla-vpc"
    public static let timeServerNamespace = "flotilla-ntp"
    public static let bridge = "br0"
    public static let subnet = "10.88.0.0/24"
    public static let gateway = "10.88.0.1"
    public static let timeServerAddress = "10.88.0.2"
    /// The link-local time server address, as in an AWS VPC.
    public static let upstream = "169.254.169.123"
    public static let maxHosts = 200

    public static func hostName(_ index: Int) -> String {
        index < 10 ? "node0\(index)" : "node\(index)"
    }
    public static func hostAddress(_ index: Int) -> String { "10.88.0.\(10 + index)" }
    public static func hostNamespace(_ name: String) -> String { "flotilla-\(name)" }
    public static func bridgePort(_ name: String) -> String { "v\(name)" }

    /// True for namespace names the lab creates (`flotilla-vpc`, `flotilla-ntp`, `flotilla-nodeNN`).
    public static func isLabNamespace(_ name: String) -> Bool {
        if name == vpcNamespace || name == timeServerNamespace { return true }
        guard name.hasPrefix("flotilla-node") else { return false }
        let digits = name.dropFirst("flotilla-node".count)
        return !digits.isEmpty && digits.allSatisfy(\.isNumber)
    }

    /// Existing lab namespaces in /run/netns.
    public static func existingNamespaces() -> [String] {
        SmallFile.list("/run/netns").filter(isLabNamespace)
    }

    static func addNamespace(_ name: String) async throws {
        try await LocalCommand.run(["ip", "netns", "add", name])
        try await LocalCommand.run(["ip", "-n", name, "link", "set", "lo", "up"])
        // Answer ARP only for addresses on the asking interface: a skew fault puts 169.254.169.123 on a host's
        // `lo`, and that host must not answer the other hosts' ARP queries for the real upstream.
        try await LocalCommand.run([
            "ip", "netns", "exec", name, "sysctl", "-q", "-w",
            "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.default.arp_ignore=1",
        ])
    }

    /// Creates the VPC namespace with its bridge at 10.88.0.1/24.
    static func createVPC() async throws {
        try await addNamespace(vpcNamespace)
        try await LocalCommand.run(["ip", "-n", vpcNamespace, "-batch", "-"], input: """
            link add \(bridge) type bridge
            addr add \(gateway)/24 dev \(bridge)
            link set \(bridge) up

            """)
    }

    /// Joins namespace `netns` to the bridge with a veth pair (`port` in the VPC, `eth0` inside) and gives
    /// it `addresses`; `upstreamRoute` adds the on-link route to 169.254.169.123.
    static func attach(netns: String, port: String, addresses: [String], upstreamRoute: Bool) async throws {
        try await LocalCommand.run([
            "ip", "-n", vpcNamespace, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", netns,
        ])
        try await LocalCommand.run(["ip", "-n", vpcNamespace, "link", "set", port, "master", bridge, "up"])
        var batch = addresses.map { "addr add \($0) dev eth0" }
        batch.append("link set eth0 up")
        if upstreamRoute { batch.append("route add \(upstream)/32 dev eth0") }
        try await LocalCommand.run(["ip", "-n", netns, "-batch", "-"], input: batch.joined(separator: "\n") + "\n")
    }

    /// The bastion topology: in the VPC namespace, an `unreachable` route for each address, so the controller's
    /// side gets "No route to host" for them at once, as from outside a VPC whose hosts have no public route.
    /// The hosts still reach each other over the bridge (L2), so the bastion reaches them. The routes go with
    /// the VPC namespace when `lab down` deletes it.
    static func isolate(addresses: [String]) async throws {
        guard !addresses.isEmpty else { return }
        let batch = addresses.map { "route add unreachable \($0)/32" }.joined(separator: "\n") + "\n"
        try await LocalCommand.run(["ip", "-n", vpcNamespace, "-batch", "-"], input: batch)
    }

    static func deleteNamespace(_ name: String) async throws {
        guard SmallFile.exists("/run/netns/\(name)") else { return }
        try await LocalCommand.run(["ip", "netns", "delete", name])
    }

    /// Sets a host's bridge port down (partition) or up (heal).
    static func setPort(_ port: String, up: Bool) async throws {
        try await LocalCommand.run(["ip", "-n", vpcNamespace, "link", "set", port, up ? "up" : "down"])
    }
}
