import FlotillaCore

/// What known_hosts says about a host certificate, decided as OpenSSH's ssh decides it (sshconnect.c
/// `check_host_key` and `check_host_cert`, hostfile.c `check_key_not_revoked`).
public enum HostCertificateVerdict: Sendable, Hashable {
    /// The certificate is valid for the host and signed by the CA of this `@cert-authority` line.
    case trusted(file: String, line: Int)
    /// A `@revoked` line lists the certified key, the certificate or its CA. Never accepted.
    case revoked(file: String, line: Int)
    /// No `@cert-authority` line for the host vouches for the certificate. `reason` says why; `file` and `line`
    /// name the @cert-authority line whose CA signed it (when one did) or else the first one for the host.
    case refused(reason: String, file: String?, line: Int?)
}

public enum HostCertificateCheck {
    /// The names under which ssh looks a host up for its certificate authority: `[host]:port` for a port other
    /// than 22, then the bare host (ssh's "checking without port identifier"); with a HostKeyAlias, the alias.
    public static func lookupNames(host: String, port: Int, alias: String?) -> [String] {
        if let alias { return [KnownHostsEntry.lookupName(host: alias, port: 22)] }
        let first = KnownHostsEntry.lookupName(host: host, port: port)
        let bare = KnownHostsEntry.lookupName(host: host, port: 22)
        return first == bare ? [first] : [first, bare]
    }

    /// The principal a host certificate must list: the HostKeyAlias, else the host name as given (lower-cased, as
    /// ssh lower-cases it), never with the port.
    public static func principal(host: String, alias: String?) -> String { (alias ?? host).lowercased() }

    /// Decides about `certificate` presented by a host whose known_hosts lines (every line matching one of its
    /// `lookupNames`, in file order) are `entries`, at `now` (seconds since the epoch).
    ///
    /// Order as in OpenSSH: a revoked certified key, certificate or CA refuses at once; then a `@cert-authority`
    /// line with the certificate's CA key; then that the certificate is a host certificate, valid at `now`, names
    /// `principal` (an empty principal list names every host, as in OpenSSH), has no critical option, and that the
    /// CA's signature over it is valid with an algorithm OpenSSH accepts by default.
    public static func verdict(
        certificate: SSHCertificate, principal: String, entries: [KnownHostsEntry], now: UInt64
    ) -> HostCertificateVerdict {
        for entry in entries where entry.marker == .revoked {
            if entry.key == certificate.key || entry.key == certificate.signatureKey || entry.key.blob == certificate.blob
                || (try? SSHCertificate(blob: entry.key.blob))?.key == certificate.key {
                return .revoked(file: entry.file, line: entry.line)
            }
        }
        let authorities = entries.filter { $0.marker == .certAuthority }
        guard let authority = authorities.first(where: { $0.key == certificate.signatureKey }) else {
            let ca = "\(HostKey.displayType(certificate.signatureKey.type)) \(certificate.signatureKey.fingerprintSHA256)"
            let reason = authorities.isEmpty
                ? "no @cert-authority line applies to this host (the certificate's CA is \(ca))"
                : "its CA \(ca) is not the key of any @cert-authority line for this host"
            return .refused(reason: reason, file: authorities.first?.file, line: authorities.first?.line)
        }
        func refused(_ reason: String) -> HostCertificateVerdict {
            .refused(reason: reason, file: authority.file, line: authority.line)
        }
        if let reason = certificate.hostRefusal(name: principal, now: now) { return refused(reason) }
        do {
            guard try certificate.signatureIsValid() else { return refused("the CA's signature over it is not valid") }
        } catch {
            return refused("\(error)")
        }
        return .trusted(file: authority.file, line: authority.line)
    }
}
