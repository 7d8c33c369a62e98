#if canImport(Glibc)
import Glibc
#endif

/// Waits until a host's sshd answers: a TCP connection to port 22 that yields an `SSH-` banner,
/// made from inside the lab's VPC namespace.
enum SSHBannerProbe {
    /// Polls `address:22` until the banner arrives or `timeout` seconds pass. Returns the seconds it took.
    static func wait(address: String, host: String, netns: String, timeout: Double) async throws -> Double {
        try await NamespaceThread.run(netns: netns, name: "flotilla-ssh-probe") {
            let start = NamespaceThread.now()
            while NamespaceThread.now() - start < timeout {
                if probeOnce(address: address, timeout: 1.0) { return NamespaceThread.now() - start }
                usleep(150_000)
            }
            throw LabError.sshTimeout(host: host, address: address, seconds: Int(timeout))
        }
    }

    /// One attempt: non-blocking connect, then wait for the banner. Blocking (poll): dedicated threads only.
    static func probeOnce(address: String, port: UInt16 = 22, timeout: Double) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard var addr = try? UDPSocket.address(address, port) else { return false }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0 && errno != EINPROGRESS { return false }
        let deadline = NamespaceThread.now() + timeout
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var banner: [UInt8] = []
        while banner.count < 4 {
            let left = deadline - NamespaceThread.now()
            if left <= 0 { return false }
            pfd.revents = 0
            let n = poll(&pfd, 1, Int32(left * 1000) + 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            var buffer = [UInt8](repeating: 0, count: 256)
            let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if got <= 0 {
                if got < 0 && (errno == EAGAIN || errno == EINTR) { continue }
                return false
            }
            banner += buffer[0..<got]
        }
        return banner.starts(with: Array("SSH-".utf8))
    }
}
