import CLibSSH2
public import FlotillaCore
import Glibc
import Foundation
import Synchronization

/// Opens SSH connections with libssh2 on Flotilla's event loops.
public final class SSHTransport: Transport, Sendable {
    /// Settings that apply to every connection of a run.
    public struct Options: Sendable {
        /// Limit for the TCP connection to be established.
        public var connectTimeout: Duration = .seconds(10)
        /// Limit for the SSH handshake (banner, key exchange, host key).
        public var handshakeTimeout: Duration = .seconds(15)
        /// Limit for authentication, all methods together.
        public var authTimeout: Duration = .seconds(20)
        /// SSH keepalive requests while a session is idle; nil for none.
        public var keepaliveInterval: Duration? = .seconds(30)
        /// The default policy; a target's own `hostKeyPolicy` overrides it.
        public var hostKeyPolicy: HostKeyPolicy = .strict
        /// known_hosts files read besides the user's own (`~/.ssh/known_hosts`).
        public var knownHostsFiles: [String] = []
        /// Whether to read `~/.ssh/known_hosts` at all.
        public var userKnownHosts = true
        /// Create sockets inside this network namespace (`/run/netns/NAME`), e.g. the lab's VPC.
        public var networkNamespace: String?
        /// Use the ssh-agent at `SSH_AUTH_SOCK` unless a target says `identitiesOnly`.
        public var useAgent = true
        /// The ssh-agent's socket; nil for `SSH_AUTH_SOCK`.
        public var agentSocket: String?
        /// Try ~/.ssh/id_ed25519, id_ecdsa and id_rsa after the target's own keys.
        public var defaultIdentities = true
        /// The home directory for ~ (defaults to $HOME).
        public var home: String = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        /// Asked once per encrypted key file; the default reads FLOTILLA_SSH_PASSPHRASE.
        public var passphrase: @Sendable (String) -> String? = { _ in
            ProcessInfo.processInfo.environment["FLOTILLA_SSH_PASSPHRASE"]
        }

        /// Told of every host key accept-new recorded: host name, key type (`ED25519`), SHA256 fingerprint, file.
        public var hostKeyRecorded: (@Sendable (_ host: String, _ keyType: String, _ fingerprint: String, _ file: String) -> Void)?

        public init() {}
    }

    public let options: Options
    private let group: EventLoopGroup
    private let sockets: SocketFactory
    private let keys: KeyStore
    private let stores = Mutex<[[String]: KnownHostsStore]>([:])
    /// Jump connections by chain (`ConnectionTarget.jumps` of the hosts behind them), each opened once per run.
    private let tunnels = Mutex<[[ConnectionTarget]: Task<JumpTunnel, any Error>]>([:])

    public init(options: Options = Options()) {
        self.options = options
        group = .shared
        sockets = SocketFactory(namespace: options.networkNamespace)
        keys = KeyStore(passphrase: options.passphrase)
        signal(SIGPIPE, SIG_IGN)
        raiseOpenFileLimit()
    }

    public func connect(_ target: ConnectionTarget) async throws -> any Connection {
        try await open(target)
    }

    /// Connects, verifies the host key and authenticates; the concrete session type.
    public func open(_ target: ConnectionTarget) async throws -> SSHSession {
        var settings = options
        if let limit = target.connectTimeout { settings.connectTimeout = limit }
        if let interval = target.keepaliveInterval { settings.keepaliveInterval = interval > .zero ? interval : nil }
        let session = SSHSession(target: target, loop: group.nextLoop(), settings: settings)
        do {
            if let command = target.proxyCommand {
                try await connectThroughCommand(session, command)
            } else if target.jumps.isEmpty {
                try await connectDirectly(session)
            } else {
                try await connectThroughJumps(session)
            }
            try await secure(session)
            return session
        } catch {
            await session.close()
            throw error
        }
    }

    /// ssh's ProxyCommand: `sh -c COMMAND` (inside the network namespace, when one is set) with one end of a
    /// socket pair as its stdin and stdout; the session speaks SSH over the other end.
    private func connectThroughCommand(_ session: SSHSession, _ command: String) async throws {
        let target = session.target
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SSHError.connect(host: target.name, address: target.address, port: target.port, reason: "socketpair: \(String(cString: strerror(errno)))")
        }
        let argv = (options.networkNamespace.map { ["ip", "netns", "exec", $0] } ?? []) + ["sh", "-c", command]
        let (ours, theirs) = (fds[0], fds[1])
        let pid: Int32
        do {
            pid = try await offload { try LocalProcess.start(argv, stdio: theirs) }
        } catch {
            Glibc.close(ours)
            Glibc.close(theirs)
            throw SSHError.connect(host: target.name, address: target.address, port: target.port, reason: "ProxyCommand could not start: \(error)")
        }
        Glibc.close(theirs)
        _ = fcntl(ours, F_SETFL, fcntl(ours, F_GETFL) | O_NONBLOCK)
        session.proxyProcess = pid
        try await session.call("ProxyCommand", timeout: nil) { s -> CallStep<Void> in
            s.fd = ours
            return .done(())
        }
    }

    /// Opens (once per chain) the connection to the last jump host, itself reached through the hops before it,
    /// and a channel through it to the target: the target's session then speaks SSH over that channel. The
    /// jump hosts' keys are checked like any host's.
    private func connectThroughJumps(_ session: SSHSession) async throws {
        let target = session.target
        let chain = target.jumps
        let task = tunnels.withLock { tunnels -> Task<JumpTunnel, any Error> in
            if let task = tunnels[chain] { return task }
            let task = Task { [self] in
                var hop = chain[chain.count - 1]
                hop.jumps = Array(chain.dropLast())
                return JumpTunnel(session: try await open(hop))
            }
            tunnels[chain] = task
            return task
        }
        let tunnel: JumpTunnel
        do {
            tunnel = try await task.value
        } catch {
            throw SSHError.connect(
                host: target.name, address: target.address, port: target.port,
                reason: "through the jump host \(chain[chain.count - 1].name): \(error)")
        }
        let fd = try await tunnel.open(
            host: target.address, port: target.port, for: target.name, limit: session.settings.connectTimeout)
        session.carrier = tunnel
        try await session.call("tunnel", timeout: nil) { s -> CallStep<Void> in
            s.fd = fd
            return .done(())
        }
    }

    /// The known_hosts store for a target's set of files, shared by every session of the run.
    func knownHosts(for target: ConnectionTarget) -> KnownHostsStore {
        let extra = target.knownHostsFiles + options.knownHostsFiles
        // The system's files are read with the user's (as ssh does), or when the target names its own.
        let global = target.globalKnownHostsFiles ?? (options.userKnownHosts ? KnownHostsStore.defaultGlobalFiles : [])
        let key = extra + [options.userKnownHosts ? "user" : "nouser", "global:"] + global
        return stores.withLock { stores in
            if let store = stores[key] { return store }
            let store = options.userKnownHosts
                ? KnownHostsStore.forUser(extraFiles: extra, globalFiles: global, home: options.home)
                : KnownHostsStore(files: global + extra, writeFile: extra.first, home: options.home)
            stores[key] = store
            return store
        }
    }

    private func connectDirectly(_ session: SSHSession) async throws {
        let target = session.target
        let addresses = try await SocketAddress.resolve(target.address, port: target.port, targetName: target.name)
        var lastError: (any Error)?
        var connected = false
        for address in addresses {
            do {
                try await tcpConnect(session, to: address)
                connected = true
                break
            } catch let error as SSHError {
                lastError = error
                await session.resetSocket()
            }
        }
        guard connected else {
            throw lastError ?? SSHError.connect(host: target.name, address: target.address, port: target.port, reason: "no address")
        }
    }

    /// The handshake, the host key check and authentication, over a socket already connected.
    private func secure(_ session: SSHSession) async throws {
        let target = session.target
        let store = knownHosts(for: target)
        let policy = target.hostKeyPolicy ?? options.hostKeyPolicy
        let (keyHost, keyPort) = Self.knownHostsName(target)
        var preferred = store.knownKeyTypes(host: keyHost, port: keyPort).flatMap(HostKey.algorithms(forKeyType:))
        // Host certificates are asked for, first, only when a @cert-authority line could vouch for one.
        if policy != .off, !Self.certificateLines(target, store).filter({ $0.marker == .certAuthority }).isEmpty {
            preferred = Self.certificateAlgorithms + preferred
        }
        let hostKey = try await handshake(session, preferredHostKeys: preferred)
        try await verify(hostKey, for: target, policy: policy, store: store, negotiated: session.negotiated.hostKey)
        try await authenticate(session)
    }

    private func tcpConnect(_ session: SSHSession, to address: SocketAddress) async throws {
        let target = session.target
        let fd = try await sockets.makeSocket(family: address.family)
        var started = false
        try await session.call("TCP connect", timeout: session.settings.connectTimeout, interest: EPOLLOUT.rawValue) { s -> CallStep<Void> in
            if !started {
                started = true
                s.fd = fd
                let rc = address.storage.withUnsafeBytes {
                    Glibc.connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
                }
                if rc == 0 { return .done(()) }
                if errno != EINPROGRESS {
                    return .failed(SSHError.connect(host: target.name, address: address.description, port: target.port, reason: String(cString: strerror(errno))))
                }
                return .again
            }
            var code: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
            if code == 0 {
                // Writable with no error: connected (or still pending if woken early).
                var peer = sockaddr_storage()
                var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let isConnected = withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &peerLength) == 0 }
                }
                return isConnected ? .done(()) : .again
            }
            return .failed(SSHError.connect(host: target.name, address: address.description, port: target.port, reason: String(cString: strerror(code))))
        }
    }

    private func handshake(_ session: SSHSession, preferredHostKeys: [String]) async throws -> HostKey {
        let target = session.target
        let keepalive = session.settings.keepaliveInterval
        var offered: [String: [String]] = [:]
        do {
            return try await session.call("SSH handshake", timeout: options.handshakeTimeout) { s -> CallStep<HostKey> in
                self.handshakeStep(s, target: target, keepalive: keepalive, preferredHostKeys: preferredHostKeys, offered: &offered)
            }
        } catch SSHError.handshake(let host, let reason) where reason.contains("Unable to exchange encryption keys") {
            // Say which algorithms the sides could not agree on, from a connection of our own to the same server.
            guard session.target.jumps.isEmpty, session.target.proxyCommand == nil,
                  let server = await serverOffer(session.target), let detail = Negotiation.mismatch(server: server, ours: offered)
            else { throw SSHError.handshake(host: host, reason: reason) }
            throw SSHError.handshake(host: host, reason: "\(reason): \(detail)")
        }
    }

    /// The server's algorithm lists, read over a connection of its own (at most 3 s); nil when it cannot be had.
    private func serverOffer(_ target: ConnectionTarget) async -> [String: [String]]? {
        guard let address = try? await SocketAddress.resolve(target.address, port: target.port, targetName: target.name).first,
              let fd = try? await sockets.makeSocket(family: address.family)
        else { return nil }
        return try? await offload { () -> [String: [String]]? in
            defer { Glibc.close(fd) }
            return Negotiation.serverOffer(fd: fd, address: address, seconds: 3)
        }
    }

    private func handshakeStep(
        _ s: SSHSession, target: ConnectionTarget, keepalive: Duration?, preferredHostKeys: [String],
        offered: inout [String: [String]]
    ) -> CallStep<HostKey> {
        if s.raw == nil {
            guard let raw = libssh2_session_init_ex(nil, nil, nil, UnsafeMutableRawPointer(s.disconnectNote)) else {
                return .failed(SSHError.handshake(host: target.name, reason: "libssh2 could not allocate a session"))
            }
            s.raw = raw
            flotilla_watch_disconnect(raw)
            libssh2_session_set_blocking(raw, 0)
            libssh2_session_flag(raw, LIBSSH2_FLAG_COMPRESS, 0)
            // Ask for a key type known_hosts can vouch for, as OpenSSH does, and otherwise for the type OpenSSH
            // prefers (and so records under accept-new): ed25519 first. The rest stay as fallbacks.
            // Certificate algorithms only when asked for (see `secure`): without a @cert-authority line for the host
            // a certificate could only be checked by its plain key, which the plain algorithms give anyway.
            let supported = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]
            let order = preferredHostKeys.filter { supported.contains($0) || Self.certificateAlgorithms.contains($0) }
                + supported.filter { !preferredHostKeys.contains($0) }
            libssh2_session_method_pref(raw, LIBSSH2_METHOD_HOSTKEY, order.joined(separator: ","))
            if let keepalive {
                libssh2_keepalive_config(raw, 1, UInt32(max(1, keepalive.components.seconds)))
            }
        }
        let rc = libssh2_session_handshake(s.raw, libssh2_socket_t(s.fd))
        // libssh2 keeps the server's banner as soon as it has read it, and would then wait for a key exchange an SSH-1
        // server never starts (until the handshake times out), or fail it without a reason: look at it on every pass.
        if rc != 0, let banner = libssh2_session_banner_get(s.raw).map({ String(cString: $0) }), Negotiation.isProtocol1(banner) {
            return .failed(SSHError.handshake(host: target.name, reason: "the server speaks only SSH protocol 1 (\(banner)); SSH-2 is required"))
        }
        if rc == LibSSH2.eagain { return .again }
        if rc != 0 {
            if let raw = s.raw { offered = Negotiation.ours(raw) }
            return .failed(SSHError.handshake(host: target.name, reason: LibSSH2.lastError(s.raw).message))
        }
        var length = 0
        var type: Int32 = 0
        guard let pointer = libssh2_session_hostkey(s.raw, &length, &type),
              let key = HostKey(blob: Array(UnsafeRawBufferPointer(start: pointer, count: length)))
        else {
            return .failed(SSHError.handshake(host: target.name, reason: "the server sent no usable host key"))
        }
        let kex = libssh2_session_methods(s.raw, LIBSSH2_METHOD_KEX).map { String(cString: $0) } ?? "?"
        let hostKeyMethod = libssh2_session_methods(s.raw, LIBSSH2_METHOD_HOSTKEY).map { String(cString: $0) } ?? "?"
        s.setNegotiated(kex: kex, hostKey: hostKeyMethod)
        return .done(key)
    }

    /// The name a host's key is known by: its HostKeyAlias alone (no port, as ssh does), else address and port.
    static func knownHostsName(_ target: ConnectionTarget) -> (host: String, port: Int) {
        target.hostKeyAlias.map { ($0, 22) } ?? (target.address, target.port)
    }

    /// The certificate host key algorithms libssh2 (with Flotilla's patch) can verify, in OpenSSH's order. SHA-1
    /// `ssh-rsa-cert-v01@openssh.com` is left out, as OpenSSH 8.8+ leaves it out.
    static let certificateAlgorithms = [
        "ssh-ed25519-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
        "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
        "rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com",
    ]

    /// The `@cert-authority` lines of `store` that could vouch for a host certificate of `target`, in file order (what
    /// `flotilla ssh-config` shows).
    public static func certificateAuthorities(for target: ConnectionTarget, in store: KnownHostsStore) -> [KnownHostsEntry] {
        certificateLines(target, store).filter { $0.marker == .certAuthority }
    }

    /// The known_hosts lines that can speak for a host certificate of `target`: those of every name ssh looks the
    /// host up by for its CA (see `HostCertificateCheck.lookupNames`), in file order, each once.
    static func certificateLines(_ target: ConnectionTarget, _ store: KnownHostsStore) -> [KnownHostsEntry] {
        var seen = Set<KnownHostsEntry>()
        var lines: [KnownHostsEntry] = []
        for name in HostCertificateCheck.lookupNames(host: target.address, port: target.port, alias: target.hostKeyAlias) {
            for entry in store.entries(lookupName: name) where seen.insert(entry).inserted { lines.append(entry) }
        }
        return lines.sorted { ($0.file, $0.line) < ($1.file, $1.line) }
    }

    private func verify(
        _ presented: HostKey, for target: ConnectionTarget, policy: HostKeyPolicy, store: KnownHostsStore, negotiated: String
    ) async throws {
        if policy == .off { return }
        let (keyHost, keyPort) = Self.knownHostsName(target)
        var plain = presented
        var certificateRefusal: (reason: String, file: String?, line: Int?)?
        if SSHCertificate.isCertificateType(presented.type) {
            let certificate: SSHCertificate
            do {
                certificate = try SSHCertificate(blob: presented.blob)
            } catch {
                throw SSHError.handshake(host: target.name, reason: "the server's host certificate is unusable: \(error)")
            }
            // The certificate must be of the algorithm negotiated (rsa-sha2-512-cert-v01 for an ssh-rsa-cert-v01).
            let plainMethod = String(negotiated.dropLast(SSHCertificate.typeSuffix.count))
            guard SSHCertificate.isCertificateType(negotiated),
                  HostKey.algorithms(forKeyType: certificate.key.type).contains(plainMethod)
            else {
                throw SSHError.handshake(host: target.name, reason: "the server sent a \(certificate.type) for \(negotiated)")
            }
            let verdict = HostCertificateCheck.verdict(
                certificate: certificate, principal: HostCertificateCheck.principal(host: target.address, alias: target.hostKeyAlias),
                entries: Self.certificateLines(target, store), now: UInt64(max(0, time(nil))))
            switch verdict {
            case .trusted:
                return
            case .revoked(let file, let line):
                throw SSHError.revokedHostKey(host: target.name, fingerprint: certificate.key.fingerprintSHA256, file: file, line: line)
            case .refused(let reason, let file, let line):
                // As ssh: the certificate's own key may still be listed as a plain key.
                certificateRefusal = (reason, file, line)
                plain = certificate.key
            }
        }
        let key = plain
        switch store.check(host: keyHost, port: keyPort, key: key) {
        case .match:
            return
        case .revoked(let file, let line):
            throw SSHError.revokedHostKey(host: target.name, fingerprint: key.fingerprintSHA256, file: file, line: line)
        case .mismatch(let file, let line, _):
            throw SSHError.changedHostKey(host: target.name, keyType: key.type, fingerprint: key.fingerprintSHA256, file: file, line: line)
        case .notFound:
            // Never pinned under accept-new: the user chose to trust this host through a CA, not on first use.
            if let refusal = certificateRefusal {
                throw SSHError.hostCertificateRefused(
                    host: target.name, fingerprint: key.fingerprintSHA256, reason: refusal.reason, file: refusal.file, line: refusal.line)
            }
            if let authority = Self.certificateLines(target, store).first(where: { $0.marker == .certAuthority }) {
                throw SSHError.noHostCertificate(
                    host: target.name, keyType: HostKey.displayType(key.type), fingerprint: key.fingerprintSHA256,
                    file: authority.file, line: authority.line)
            }
            guard policy == .acceptNew else {
                throw SSHError.unknownHostKey(host: target.name, keyType: key.type, fingerprint: key.fingerprintSHA256, knownHostsFiles: store.files)
            }
            let verdict: KnownHostsVerdict
            do {
                verdict = try await offload { try store.record(host: keyHost, port: keyPort, key: key) }
            } catch {
                throw SSHError.recordHostKey(host: target.name, file: store.writeFile ?? "-", reason: "\(error)")
            }
            switch verdict {
            case .match:
                options.hostKeyRecorded?(target.name, HostKey.displayType(key.type), key.fingerprintSHA256, store.writeFile ?? "-")
                return
            case .mismatch(let file, let line, _):
                throw SSHError.changedHostKey(host: target.name, keyType: key.type, fingerprint: key.fingerprintSHA256, file: file, line: line)
            case .revoked(let file, let line):
                throw SSHError.revokedHostKey(host: target.name, fingerprint: key.fingerprintSHA256, file: file, line: line)
            case .notFound:
                throw SSHError.recordHostKey(host: target.name, file: store.writeFile ?? "-", reason: "the key was not found after writing it")
            }
        }
    }

    // MARK: Authentication

    private func authenticate(_ session: SSHSession) async throws {
        let target = session.target
        let user = Array(target.user.utf8CString.dropLast())
        let deadline = ContinuousClock.now + options.authTimeout
        func remaining() -> Duration { max(.milliseconds(1), ContinuousClock.now.duration(to: deadline)) }

        // The methods the server offers (and "none" may already have let us in).
        let methods: String = try await session.call("authentication", timeout: remaining()) { s -> CallStep<String> in
            let list = user.withUnsafeBufferPointer { libssh2_userauth_list(s.raw, $0.baseAddress, UInt32($0.count)) }
            if let list { return .done(String(cString: list)) }
            let (code, message) = LibSSH2.lastError(s.raw)
            if code == LibSSH2.eagain { return .again }
            if libssh2_userauth_authenticated(s.raw) == 1 { return .done("") }
            return .failed(SSHError.handshake(host: target.name, reason: "asking for authentication methods: \(message)"))
        }
        if methods.isEmpty { return }
        let offered = Set(methods.split(separator: ",").map(String.init))
        var tried: [String] = []
        var rsaRefused = false

        if offered.contains("publickey") {
            // The host's IdentityAgent (a socket, or none), else the run's agent.
            let agentSocket = target.identityAgent.map { $0 == "none" ? nil : $0 }
                ?? options.agentSocket ?? ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"]
            if options.useAgent, !target.identitiesOnly, let socket = agentSocket {
                let (ok, description) = try await agentAuth(session, user: user, socket: socket, timeout: remaining())
                if let description { tried.append(description) }
                if ok { return }
            }
            for path in identityFiles(for: target) {
                let key: PrivateKey
                do {
                    key = try await keys.key(at: path)
                } catch let error as SSHError {
                    // An explicitly configured key that cannot be used is worth an error of its own.
                    if target.identityFiles.contains(path) { throw error }
                    continue
                }
                // As ssh, a certificate next to the key (KEY-cert.pub) is offered too, here first: a server that trusts
                // the CA usually does not list the key, and every refused attempt counts toward MaxAuthTries.
                var attempts: [UserCertificate?] = [nil]
                switch await keys.certificate(forKey: path) {
                case .success(let certificate): attempts.insert(certificate, at: 0)
                case .failure(let error): tried.append("\(error) (not offered)")
                case nil: break
                }
                var accepted = false
                for certificate in attempts {
                    if let certificate {
                        tried.append("publickey \(path) with certificate \(certificate.path) (\(certificate.type))")
                    } else {
                        tried.append("publickey \(path) (\(key.type.isEmpty ? "key" : key.type))")
                    }
                    let publicKey = certificate?.line ?? []
                    do {
                        accepted = try await session.call("authentication", timeout: remaining()) { s -> CallStep<Bool> in
                            let rc = user.withUnsafeBufferPointer { u in
                                key.data.withUnsafeBufferPointer { k in
                                    publicKey.withUnsafeBufferPointer { p in
                                        k.baseAddress!.withMemoryRebound(to: CChar.self, capacity: k.count) { kp in
                                            p.baseAddress.map { $0.withMemoryRebound(to: CChar.self, capacity: p.count) { pp in
                                                libssh2_userauth_publickey_frommemory(s.raw, u.baseAddress, u.count, pp, p.count, kp, k.count, nil)
                                            } } ?? libssh2_userauth_publickey_frommemory(s.raw, u.baseAddress, u.count, nil, 0, kp, k.count, nil)
                                        }
                                    }
                                }
                            }
                            if rc == LibSSH2.eagain { return .again }
                            if rc == 0 { return .done(true) }
                            if LibSSH2.isFatalToSession(rc) {
                                return .failed(SSHError.connectionLost(host: target.name, reason: "during authentication: \(LibSSH2.lastError(s.raw).message)"))
                            }
                            if let certificate, rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED, rc != LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED {
                                // Not the server's refusal: libssh2 could not use the certificate.
                                return .failed(SSHError.userCertificate(
                                    path: certificate.path, reason: "libssh2 could not log in with it: \(LibSSH2.lastError(s.raw).message) (\(rc))"))
                            }
                            return .done(false)
                        }
                    } catch SSHError.connectionLost where session.serverDisconnectMessage != nil {
                        // sshd hung up in the middle of the attempts: its words say why (MaxAuthTries, usually).
                        throw SSHError.authentication(
                            host: target.name, user: target.user, tried: tried, serverMethods: methods,
                            hint: Self.disconnectHint(session.serverDisconnectMessage ?? ""))
                    }
                    if accepted { break }
                }
                if accepted { return }
                if key.type == "ssh-rsa" { rsaRefused = true }
            }
        }
        if offered.contains("password"), let password = target.password {
            tried.append("password")
            let secret = Array(password.utf8CString.dropLast())
            let accepted: Bool = try await session.call("authentication", timeout: remaining()) { s -> CallStep<Bool> in
                let rc = user.withUnsafeBufferPointer { u in
                    secret.withUnsafeBufferPointer { p in
                        libssh2_userauth_password_ex(s.raw, u.baseAddress, UInt32(u.count), p.baseAddress, UInt32(p.count), nil)
                    }
                }
                if rc == LibSSH2.eagain { return .again }
                if rc == 0 { return .done(true) }
                if LibSSH2.isFatalToSession(rc) {
                    return .failed(SSHError.connectionLost(host: target.name, reason: "during authentication: \(LibSSH2.lastError(s.raw).message)"))
                }
                return .done(false)
            }
            if accepted { return }
        }
        if session.serverDisconnectMessage == nil, tried.count > 1 {
            // sshd refuses the attempts past MaxAuthTries and then hangs up: one more question lets libssh2 read the
            // disconnect, whose words say so.
            _ = try? await session.call("authentication", timeout: min(remaining(), .seconds(2))) { s -> CallStep<Void> in
                let list = user.withUnsafeBufferPointer { libssh2_userauth_list(s.raw, $0.baseAddress, UInt32($0.count)) }
                if list == nil, LibSSH2.lastError(s.raw).code == LibSSH2.eagain { return .again }
                return .done(())
            }
        }
        let hint = session.serverDisconnectMessage.map(Self.disconnectHint)
            ?? (rsaRefused ? Self.rsaRefusalHint(libssh2Version: Self.libssh2Version) : nil)
        throw SSHError.authentication(host: target.name, user: target.user, tried: tried, serverMethods: methods, hint: hint)
    }

    static func disconnectHint(_ message: String) -> String {
        "The server closed the connection: \"\(message)\" (sshd's MaxAuthTries counts every key offered, the agent's "
            + "included): offer the right key first, with ansible_ssh_private_key_file or IdentityFile and IdentitiesOnly yes"
    }

    /// The target's keys first, then ~/.ssh defaults (unless IdentitiesOnly), each once.
    func identityFiles(for target: ConnectionTarget) -> [String] {
        var files = target.identityFiles.map(expandTilde)
        if options.defaultIdentities, !target.identitiesOnly {
            for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
                let path = "\(options.home)/.ssh/\(name)"
                if FileManager.default.fileExists(atPath: path) { files.append(path) }
            }
        }
        var seen = Set<String>()
        return files.filter { seen.insert($0).inserted }
    }

    private func expandTilde(_ path: String) -> String {
        path.hasPrefix("~/") ? options.home + path.dropFirst() : path
    }

    /// Tries every identity of the ssh-agent, as a step of the session's loop: an answer the server has not
    /// sent yet is waited for on the socket like any other call, never by holding the loop thread (a host behind
    /// a jump host may share its loop with the tunnel that carries its bytes). The agent itself is local: its
    /// socket I/O is short and happens on the loop thread, never on the cooperative pool.
    private func agentAuth(_ session: SSHSession, user: [CChar], socket: String, timeout: Duration) async throws -> (Bool, String?) {
        let target = session.target
        let walk = AgentWalk(socket: socket)
        // libssh2_agent_userauth takes the user name as a C string (it measures it with strlen).
        let userName = user + [0]
        return try await session.call("authentication", timeout: timeout, cleanup: { walk.release() }) { s -> CallStep<(Bool, String?)> in
            if walk.agent == nil {
                if let refusal = walk.open(s.raw) { return .done((false, refusal)) }
            }
            while let current = walk.identity {
                // After EAGAIN the same identity is tried again: libssh2 keeps the half-done request.
                let rc = userName.withUnsafeBufferPointer { libssh2_agent_userauth(walk.agent, $0.baseAddress, current) }
                if rc == LibSSH2.eagain { return .again }
                if rc == 0 { return .done((true, "ssh-agent")) }
                if LibSSH2.isFatalToSession(rc) {
                    return .failed(SSHError.connectionLost(host: target.name, reason: "during agent authentication: \(LibSSH2.lastError(s.raw).message)"))
                }
                walk.next()
            }
            return .done((false, "ssh-agent (\(walk.count) key\(walk.count == 1 ? "" : "s"))"))
        }
    }
}

/// The ssh-agent connection and the identity being tried, kept across the steps of one authentication. Only
/// touched on the session's loop thread; released there when the call ends, before the session can be freed.
private final class AgentWalk {
    let socket: String
    private(set) var agent: OpaquePointer?
    private(set) var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
    private(set) var count = 0
    private var connected = false

    init(socket: String) { self.socket = socket }

    /// Connects and lists the identities; returns why nothing can be tried, or nil with the first identity set.
    func open(_ session: OpaquePointer?) -> String? {
        guard let agent = libssh2_agent_init(session) else { return "ssh-agent (cannot start)" }
        self.agent = agent
        libssh2_agent_set_identity_path(agent, socket)
        guard libssh2_agent_connect(agent) == 0 else { return "ssh-agent (not reachable)" }
        connected = true
        guard libssh2_agent_list_identities(agent) == 0 else { return "ssh-agent (no identities)" }
        step(from: nil)
        return nil
    }

    func next() { step(from: identity) }

    private func step(from previous: UnsafeMutablePointer<libssh2_agent_publickey>?) {
        var found: UnsafeMutablePointer<libssh2_agent_publickey>?
        if libssh2_agent_get_identity(agent, &found, previous) == 0, let found {
            identity = found
            count += 1
        } else {
            identity = nil
        }
    }

    func release() {
        guard let agent else { return }
        if connected { libssh2_agent_disconnect(agent) }
        libssh2_agent_free(agent)
        self.agent = nil
        identity = nil
    }
}

extension SSHSession {
    /// Drops a socket whose connect failed so the next address can be tried.
    func resetSocket() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                if self.fd >= 0 {
                    self.loop.unwatch(self.fd)
                    Glibc.close(self.fd)
                    self.fd = -1
                }
                continuation.resume()
            }
        }
    }
}
