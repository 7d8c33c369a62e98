/// What `systemd-detect-virt` says.
public struct Virtualization: Sendable, Codable, Hashable {
    /// The technology (`none`, `kvm`, `xen`, `amazon`, `systemd-nspawn`, `lxc`, `docker`, `podman`, ...),
    /// or `unknown` when the host has no systemd-detect-virt.
    public var kind: String
    /// True for containers (which share the host's kernel clock), false for VMs and bare metal.
    public var isContainer: Bool

    public init(kind: String, isContainer: Bool) {
        self.kind = kind
        self.isContainer = isContainer
    }

    public static let none = Virtualization(kind: "none", isContainer: false)
}
