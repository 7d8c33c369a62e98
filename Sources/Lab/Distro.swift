/// A Debian release the lab can build an image of.
public enum Distro: String, Sendable, Hashable, CaseIterable, Codable {
    case bookworm
    case trixie

    /// The packages debootstrap installs into the base image. Bookworm's `ntp` is a transitional package that
    /// pulls ntpsec (as fleets upgraded from older releases have it); trixie has no `ntp`, only `ntpsec`.
    public var basePackages: [String] {
        let ntp = self == .bookworm ? "ntp" : "ntpsec"
        return ["systemd", "systemd-sysv", "dbus", "openssh-server", "iproute2", ntp, "sudo", "procps"]
    }
}
