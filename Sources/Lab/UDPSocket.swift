#if canImport(Glibc)
import Glibc
#endif

/// A minimal blocking IPv4 UDP socket for the NTP client and responder (used only on dedicated threads).
struct UDPSocket: ~Copyable {
    let fd: Int32

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LabError.systemCall(name: "socket", subject: "udp", errno: errno) }
    }

    deinit { close(fd) }

    static func address(_ ip: String, _ port: UInt16) throws -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, ip, &addr.sin_addr) == 1 else {
            throw LabError.systemCall(name: "inet_pton", subject: ip, errno: EINVAL)
        }
        return addr
    }

    func bind(_ ip: String, _ port: UInt16) throws {
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = try Self.address(ip, port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw LabError.systemCall(name: "bind", subject: "\(ip):\(port)", errno: errno) }
    }

    /// The local port (after binding to port 0).
    var localPort: UInt16 {
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return UInt16(bigEndian: addr.sin_port)
    }

    func send(_ bytes: [UInt8], to addr: sockaddr_in) throws {
        var addr = addr
        let n = bytes.withUnsafeBytes { buf in
            withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buf.baseAddress, buf.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard n == bytes.count else { throw LabError.systemCall(name: "sendto", subject: "udp", errno: errno) }
    }

    /// Waits up to `timeout` seconds for a datagram; nil on timeout.
    func receive(timeout: Double) throws -> (bytes: [UInt8], from: sockaddr_in)? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let rc = poll(&pfd, 1, Int32(max(0, timeout * 1000)))
        if rc == 0 { return nil }
        if rc < 0 {
            if errno == EINTR { return nil }
            throw LabError.systemCall(name: "poll", subject: "udp", errno: errno)
        }
        var buffer = [UInt8](repeating: 0, count: 1024)
        var from = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let n = buffer.withUnsafeMutableBytes { buf in
            withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, buf.baseAddress, buf.count, 0, $0, &len) }
            }
        }
        guard n >= 0 else {
            if errno == EINTR || errno == EAGAIN { return nil }
            throw LabError.systemCall(name: "recvfrom", subject: "udp", errno: errno)
        }
        return (Array(buffer[0..<n]), from)
    }
}
