import Foundation

/// The lab's state file (`state.json`): an intent log. Every resource is recorded BEFORE it is created, so
/// `lab down` can undo a crashed or half-finished `lab up` by walking the record (and then sweeping by name).
public struct LabRecord: Sendable, Codable, Hashable {
    public enum Phase: String, Sendable, Codable, Hashable {
        /// `up` is (or was, if it crashed) creating resources.
        case starting
        /// Every host answered SSH.
        case ready
    }

    public var phase: Phase
    public var distro: Distro
    public var subnet: String
    public var createdAt: Double
    public var hosts: [HostRecord]
    /// Network namespaces, in creation order.
    public var namespaces: [String]
    /// Mount points, in creation order.
    public var mounts: [String]
    /// Lab processes that are not containers (the time server).
    public var processes: [LabProcess]
    /// Seconds from `up` start until every host answered SSH.
    public var upSeconds: Double?
    /// The bastion topology (`lab up --bastion`): the name of the one host the controller's namespace reaches;
    /// every other host is reachable only through it. nil: every host is reachable directly (optional, so
    /// records written before it existed decode).
    public var bastion: String?
    /// The lab's ssh-agent (bastion topology only), holding the lab key for the login to the bastion.
    public var agent: LabProcess?

    public init(distro: Distro, subnet: String, createdAt: Double) {
        phase = .starting
        self.distro = distro
        self.subnet = subnet
        self.createdAt = createdAt
        hosts = []
        namespaces = []
        mounts = []
        processes = []
    }

    /// The bastion's record, in the bastion topology.
    public var bastionHost: HostRecord? { bastion.flatMap { name in hosts.first { $0.name == name } } }

    /// True for a host that only the bastion reaches (never the bastion itself, never in the flat topology).
    public func isBehindBastion(_ host: HostRecord) -> Bool {
        bastion != nil && host.name != bastion
    }

    /// The network namespace from which `host` is reachable: the bastion's for the hosts behind it (its
    /// namespace exists while the lab is up, even when its container is down), else the VPC's.
    public func reachingNamespace(for host: HostRecord) -> String {
        if isBehindBastion(host), let bastionHost { return bastionHost.netns }
        return LabNetwork.vpcNamespace
    }

    /// The topology in words, for `lab status` and messages.
    public var topology: String {
        guard let bastionHost else { return "flat (every host reachable from \(LabNetwork.vpcNamespace))" }
        return "bastion \(bastionHost.name) \(bastionHost.address) (the only host reachable from \(LabNetwork.vpcNamespace))"
    }

    public func host(_ name: String) throws -> HostRecord {
        guard let h = hosts.first(where: { $0.name == name }) else { throw LabError.unknownHost(name) }
        return h
    }

    mutating func update(_ name: String, _ change: (inout HostRecord) -> Void) {
        if let i = hosts.firstIndex(where: { $0.name == name }) { change(&hosts[i]) }
    }

    static func load(_ path: String) throws -> LabRecord? {
        guard let bytes = SmallFile.readBytes(path, limit: 16 << 20) else { return nil }
        do {
            return try JSONDecoder().decode(LabRecord.self, from: Data(bytes))
        } catch {
            throw LabError.corruptState(path: path, reason: "\(error)")
        }
    }

    func save(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        try SmallFile.writeBytes(path, Array(data), mode: 0o600)
    }
}

/// One lab host as recorded in the state file.
public struct HostRecord: Sendable, Codable, Hashable {
    public var name: String
    public var index: Int
    public var address: String
    public var state: StartingState
    public var netns: String
    /// The veth end inside the VPC namespace (the bridge port).
    public var bridgePort: String
    /// The merged overlay (the container's root).
    public var root: String
    /// `lowerdir=` of the overlay, top first.
    public var lowerDirs: [String]
    /// The systemd-nspawn process, while the container runs.
    public var container: LabProcess?
    /// Set by `lab fault HOST down`.
    public var stopped: Bool = false
    /// Set by `lab fault HOST partition`.
    public var partitioned: Bool = false
    /// The upstream skew in effect and its responder.
    public var skew: Double?
    public var skewResponder: LabProcess?
    /// The dpkg lock holder and when it releases the lock (Unix time).
    public var dpkgLock: LabProcess?
    public var dpkgLockUntil: Double?
    /// Set by `lab fault HOST mirror-down` (optional: records written before it had this field decode).
    public var mirrorDown: Bool?
    /// Units made to fail by `lab fault HOST fail-start UNIT`.
    public var failingStarts: [String]?

    /// The faults in effect, as words for `lab status`.
    public var faults: [String] {
        var out: [String] = []
        if stopped { out.append("down") }
        if partitioned { out.append("partition") }
        if let skew { out.append("skew \(skew)s") }
        if let until = dpkgLockUntil, let holder = dpkgLock, holder.isAlive {
            let left = max(0, Int((until - Date().timeIntervalSince1970).rounded(.up)))
            out.append("dpkg-lock \(left)s left")
        }
        if mirrorDown == true { out.append("mirror-down") }
        for unit in failingStarts ?? [] { out.append("fail-start \(unit)") }
        return out
    }
}
