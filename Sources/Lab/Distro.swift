/// A Debian release the lab can build an image of.
public enum Distro: String, Sendable, Hashable, CaseIterable, Codable {
    case bookworm
    case trixie

    /// The packages debootstrap installs into the base image.
    public var basePackages: [String] {
        ["systemd", "systemd-sysv", "dbus", "openssh-server", "iproute2", "ntp", "sudo", "procps"]
    }
}
