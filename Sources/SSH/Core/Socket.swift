import CLibSSH2
import FlotillaCore
import Foundation

/// A resolved socket address.
struct SocketAddress: Sendable, CustomStringConvertible {
    let family: Int32
    let storage: [UInt8]

    var description: String {
        storage.withUnsafeBytes { raw -> String in
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            if family == AF_INET {
                var a = raw.load(as: sockaddr_in.self).sin_addr
                inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count))
            } else {
                var a = raw.load(as: sockaddr_in6.self).sin6_addr
                inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count))
            }
            return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Parses a numeric IPv4 or IPv6 address without DNS.
    static func numeric(_ host: String, port: Int) -> SocketAddress? {
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port).bigEndian)
            return SocketAddress(family: AF_INET, storage: withUnsafeBytes(of: v4) { Array($0) })
        }
        var v6 = sockaddr_in6()
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if inet_pton(AF_INET6, bare, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port).bigEndian)
            return SocketAddress(family: AF_INET6, storage: withUnsafeBytes(of: v6) { Array($0) })
        }
        return nil
    }

    /// Resolves `host` with getaddrinfo on the blocking pool, never on the cooperative pool.
    static func resolve(_ host: String, port: Int, targetName: String) async throws -> [SocketAddress] {
        if let numeric = numeric(host, port: port) { return [numeric] }
        return try await offload {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            hints.ai_family = AF_UNSPEC
            var list: UnsafeMutablePointer<addrinfo>?
            let rc = getaddrinfo(host, String(port), &hints, &list)
            guard rc == 0, let first = list else {
                throw SSHError.resolve(host: targetName, address: host, reason: String(cString: gai_strerror(rc)))
            }
            defer { freeaddrinfo(list) }
            var result: [SocketAddress] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let entry = cursor {
                if let addr = entry.pointee.ai_addr, entry.pointee.ai_family == AF_INET || entry.pointee.ai_family == AF_INET6 {
                    let bytes = Array(UnsafeRawBufferPointer(start: addr, count: Int(entry.pointee.ai_addrlen)))
                    result.append(SocketAddress(family: entry.pointee.ai_family, storage: bytes))
                }
                cursor = entry.pointee.ai_next
            }
            if result.isEmpty {
                throw SSHError.resolve(host: targetName, address: host, reason: "no IPv4 or IPv6 address")
            }
            return result
        }
    }
}

/// Creates sockets, optionally inside a named network namespace (`/run/netns/NAME`): a socket keeps the
/// namespace it was created in, so only its creation needs a thread that entered the namespace.
final class SocketFactory: Sendable {
    private let namespacePool: BlockingPool?
    let namespace: String?

    init(namespace: String?) {
        self.namespace = namespace
        if let namespace {
            let pool = BlockingPool(threads: 1, name: "flotilla-netns")
            // The pool's single thread enters the namespace once, before any socket is made on it.
            pool.submit {
                let fd = open("/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
                if fd >= 0 {
                    setns(fd, FLOTILLA_CLONE_NEWNET)
                    close(fd)
                }
            }
            namespacePool = pool
        } else {
            namespacePool = nil
        }
    }

    /// A non-blocking, close-on-exec TCP socket with keepalive and no Nagle delay.
    func makeSocket(family: Int32) async throws -> Int32 {
        if let namespacePool, let namespace {
            return try await namespacePool.run { try Self.rawSocket(family: family, namespace: namespace) }
        }
        return try Self.rawSocket(family: family, namespace: nil)
    }

    private static func rawSocket(family: Int32, namespace: String?) throws -> Int32 {
        if let namespace {
            // Check that this thread is really inside the namespace (setns needs root).
            var own = stat(), wanted = stat()
            guard stat("/proc/thread-self/ns/net", &own) == 0, stat("/run/netns/\(namespace)", &wanted) == 0,
                  own.st_ino == wanted.st_ino
            else {
                throw SSHError.connect(
                    host: "-", address: "-", port: 0,
                    reason: "cannot enter network namespace \(namespace) (does /run/netns/\(namespace) exist, and are you root?)")
            }
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw SSHError.connect(host: "-", address: "-", port: 0, reason: String(cString: strerror(errno)))
        }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var idle: Int32 = 30, interval: Int32 = 10, count: Int32 = 4
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &interval, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, &count, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }
}

/// Raises the soft open-files limit to the hard limit, so that a thousand sessions fit.
public func raiseOpenFileLimit() {
    var limit = rlimit()
    if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
