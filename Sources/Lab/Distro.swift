/// A Debian release the lab can build an image of.
public enum Distro: String, Sendable, Hashable, CaseIterable, Codable {
    case bookworm
    case trixie

    /// The packages debootstrap installs into the base image. Bookworm's `ntp` is a transitional package that
    /// pulls ntpsec (as fleets upgraded from older releases have it); trixie has no `ntp`, only `ntpsec`.
    /// `python3` and `python3-apt` are there because real cloud images ship them and Ansible's modules (its
    /// `apt` module needs python3-apt) run on them: the benchmark against Ansible (Benchmarks/apply.sh) uses
    /// the lab's hosts as they are.
    public var basePackages: [String] {
        let ntp = self == .bookworm ? "ntp" : "ntpsec"
        return ["systemd", "systemd-sysv", "dbus", "openssh-server", "iproute2", ntp, "sudo", "procps", "python3", "python3-apt"]
    }
}
