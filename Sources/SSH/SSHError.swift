import FlotillaCore

/// Everything that can go wrong between Flotilla and one host. Each case names the host.
public enum SSHError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name did not resolve.
    case resolve(host: String, address: String, reason: String)
    /// The TCP connection was refused or failed.
    case connect(host: String, address: String, port: Int, reason: String)
    /// A phase of connecting did not finish in time ("TCP connect", "SSH handshake", "authentication").
    case deadline(host: String, phase: String, limit: Duration)
    /// The SSH handshake (banner, key exchange) failed.
    case handshake(host: String, reason: String)
    /// known_hosts has no key for the host and the policy is strict.
    case unknownHostKey(host: String, keyType: String, fingerprint: String, knownHostsFiles: [String])
    /// The host's key differs from the one recorded for it: a changed key (or an attack).
    case changedHostKey(host: String, keyType: String, fingerprint: String, file: String, line: Int)
    /// The host's key is marked @revoked.
    case revokedHostKey(host: String, fingerprint: String, file: String, line: Int)
    /// The key could not be recorded under accept-new.
    case recordHostKey(host: String, file: String, reason: String)
    /// No authentication method worked.
    case authentication(host: String, user: String, tried: [String], serverMethods: String, hint: String?)
    /// A private key could not be read or decrypted.
    case privateKey(path: String, reason: String)
    /// A user certificate (`IDENTITY-cert.pub`) that libssh2 could not log in with.
    case userCertificate(path: String, reason: String)
    /// The connection dropped while a command ran.
    case connectionLost(host: String, reason: String)
    /// A libssh2 call failed.
    case protocolError(host: String, operation: String, code: Int32, message: String)
    /// The session was closed before the operation.
    case closed(host: String)
    /// known_hosts trusts the host only through a `@cert-authority` line, and the server presented a plain key (it
    /// has no host certificate, or none of a type Flotilla can check): refused rather than pinned under another
    /// trust than the user chose.
    case noHostCertificate(host: String, keyType: String, fingerprint: String, file: String, line: Int)
    /// The server's host certificate is not vouched for by known_hosts (`reason`: wrong CA, expired, not a listed
    /// principal...) and its key is not listed as a plain key either. `file`/`line`: the @cert-authority line.
    case hostCertificateRefused(host: String, fingerprint: String, reason: String, file: String?, line: Int?)

    public var description: String {
        switch self {
        case .resolve(let host, let address, let reason):
            "\(host): cannot resolve \(address): \(reason)"
        case .connect(let host, let address, let port, let reason):
            "\(host): cannot connect to \(address) port \(port): \(reason)"
        case .deadline(let host, let phase, let limit):
            "\(host): \(phase) did not finish within \(DurationText.format(limit))"
        case .handshake(let host, let reason):
            "\(host): SSH handshake failed: \(reason)"
        case .unknownHostKey(let host, let type, let fingerprint, let files):
            "\(host): host key is not known (\(type) \(fingerprint)); refused under strict host key checking. "
                + "Add it to known_hosts (searched: \(files.joined(separator: ", "))) or use --host-key-policy accept-new."
        case .changedHostKey(let host, let type, let fingerprint, let file, let line):
            "\(host): HOST KEY CHANGED: the server offers \(type) \(fingerprint), which differs from the key recorded at "
                + "\(file):\(line). Someone could be eavesdropping, or the host was reinstalled; refused."
        case .revokedHostKey(let host, let fingerprint, let file, let line):
            "\(host): host key \(fingerprint) is marked @revoked at \(file):\(line); refused."
        case .recordHostKey(let host, let file, let reason):
            "\(host): cannot record the host key in \(file): \(reason)"
        case .authentication(let host, let user, let tried, let methods, let hint):
            "\(host): authentication failed for user \(user); tried: \(tried.isEmpty ? "nothing" : tried.joined(separator: ", "))"
                + "; the server accepts: \(methods.isEmpty ? "unknown" : methods)" + (hint.map { ". \($0)" } ?? "")
        case .privateKey(let path, let reason):
            "private key \(path): \(reason)"
        case .userCertificate(let path, let reason):
            "certificate \(path): \(reason)"
        case .connectionLost(let host, let reason):
            "\(host): connection lost: \(reason)"
        case .protocolError(let host, let operation, let code, let message):
            "\(host): \(operation) failed: \(message) (libssh2 \(code))"
        case .closed(let host):
            "\(host): the connection is closed"
        case .noHostCertificate(let host, let type, let fingerprint, let file, let line):
            "\(host): known_hosts trusts this host only through the @cert-authority line at \(file):\(line), but the server "
                + "presented its plain \(type) key \(fingerprint), no host certificate. That key is listed nowhere, so it is "
                + "refused, also under accept-new (which would pin it in place of the CA's word). Give the server a host "
                + "certificate (sshd's HostCertificate), or add that key to known_hosts once you have checked it."
        case .hostCertificateRefused(let host, let fingerprint, let reason, let file, let line):
            "\(host): host certificate refused: \(reason)"
                + (file.map { " (@cert-authority line at \($0):\(line ?? 0))" } ?? "")
                + "; its key \(fingerprint) is not listed as a plain key either. Refused, also under accept-new."
        }
    }

    /// True for the failures that mean "could not reach or log in to the host" (Ansible's UNREACHABLE).
    public var isUnreachable: Bool {
        switch self {
        case .resolve, .connect, .deadline, .handshake, .unknownHostKey, .changedHostKey, .revokedHostKey,
             .recordHostKey, .authentication, .privateKey, .userCertificate, .connectionLost, .closed, .noHostCertificate,
             .hostCertificateRefused:
            true
        case .protocolError:
            false
        }
    }
}
