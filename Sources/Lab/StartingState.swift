/// How a lab host's time service looks when the lab comes up: the states real fleets are found in.
public enum StartingState: String, Sendable, Hashable, CaseIterable, Codable {
    /// `ntp` (ntpsec) installed and enabled: the common case.
    case ntp
    /// `systemd-timesyncd` installed and enabled, ntp purged.
    case timesyncd
    /// chrony installed but its unit masked.
    case chronyMasked = "chrony-masked"
    /// chrony installed and enabled, but inactive (dead): the container lacks CAP_SYS_TIME.
    case chronyDead = "chrony-dead"

    /// The inventory group of hosts that start in this state.
    public var groupName: String {
        switch self {
        case .ntp: "ntp_hosts"
        case .timesyncd: "timesyncd_hosts"
        case .chronyMasked: "chrony_masked_hosts"
        case .chronyDead: "chrony_dead_hosts"
        }
    }

    /// The shell script that turns the base image into this state (run in a container over the base, offline).
    /// `nil` for the base image itself.
    var layerScript: String? {
        // `ntp` exists on bookworm only; purge whichever of ntp and ntpsec is installed.
        let apt = "DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0"
        switch self {
        case .ntp:
            return nil
        case .timesyncd:
            return """
            set -e
            \(apt) purge $(dpkg-query -W -f '${Package} ' ntp ntpsec 2>/dev/null || true)
            \(apt) install --no-download systemd-timesyncd
            systemctl enable systemd-timesyncd
            test "$(systemctl is-enabled systemd-timesyncd)" = enabled
            """
        case .chronyMasked:
            return """
            set -e
            \(apt) purge $(dpkg-query -W -f '${Package} ' ntp ntpsec 2>/dev/null || true)
            \(apt) install --no-download chrony
            systemctl mask chrony
            test "$(systemctl is-enabled chrony || true)" = masked
            """
        case .chronyDead:
            return """
            set -e
            \(apt) purge $(dpkg-query -W -f '${Package} ' ntp ntpsec 2>/dev/null || true)
            \(apt) install --no-download chrony
            systemctl enable chrony
            test "$(systemctl is-enabled chrony)" = enabled
            """
        }
    }
}
