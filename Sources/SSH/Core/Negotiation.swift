import CLibSSH2
import FlotillaCore
import Glibc

/// What the two sides of a handshake offer, to say why one failed: the server's banner (an SSH-1 server fails at
/// once, not after the handshake timeout) and, when the key exchange fails, both sides' algorithm lists.
enum Negotiation {
    /// The categories of a KEXINIT that must each have an algorithm in common.
    static let categories: [(name: String, method: Int32, index: Int)] = [
        ("key exchange", LIBSSH2_METHOD_KEX, 0),
        ("host key", LIBSSH2_METHOD_HOSTKEY, 1),
        ("cipher", LIBSSH2_METHOD_CRYPT_CS, 2),
        ("MAC", LIBSSH2_METHOD_MAC_CS, 4),
    ]

    /// An `SSH-1.x` banner, other than `SSH-1.99` (which speaks protocol 2 too).
    static func isProtocol1(_ banner: String) -> Bool {
        banner.hasPrefix("SSH-1.") && !banner.hasPrefix("SSH-1.99-")
    }

    /// What libssh2 offers for each category (loop thread, with the session's pointer).
    static func ours(_ raw: OpaquePointer) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for category in categories {
            var algs: UnsafeMutablePointer<UnsafePointer<CChar>?>?
            let count = libssh2_session_supported_algs(raw, category.method, &algs)
            guard count > 0, let algs else { continue }
            result[category.name] = (0..<Int(count)).compactMap { algs[$0].map { String(cString: $0) } }
            libssh2_free(raw, algs)
        }
        return result
    }

    /// The server's KEXINIT name-lists, from a connection of its own on `fd` (a fresh socket): connect, our banner
    /// out, its KEXINIT in. Blocking, each step bounded by `seconds`: run it on the blocking pool. nil when the
    /// server does not answer that way.
    static func serverOffer(fd: Int32, address: SocketAddress, seconds: Int) -> [String: [String]]? {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = address.storage.withUnsafeBytes {
            Glibc.connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
        }
        guard connected == 0 else { return nil }
        let banner = Array("SSH-2.0-Flotilla_probe\r\n".utf8)
        guard send(fd, banner, banner.count, Int32(MSG_NOSIGNAL)) == banner.count else { return nil }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        // The banner line(s), then one binary packet.
        while data.count < 65536 {
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { return nil }
            data += chunk[0..<n]
            guard let bannerEnd = bannerEnd(data) else { continue }
            let packet = Array(data[bannerEnd...])
            guard packet.count >= 5 else { continue }
            let length = Int(packet[0]) << 24 | Int(packet[1]) << 16 | Int(packet[2]) << 8 | Int(packet[3])
            guard length < 35000 else { return nil }
            guard packet.count >= 4 + length else { continue }
            let padding = Int(packet[4])
            guard length > padding + 1 else { return nil }
            return parseKexinit(Array(packet[5..<(4 + length - padding)]))
        }
        return nil
    }

    /// The index just past the `SSH-` banner line, once it has all arrived.
    private static func bannerEnd(_ data: [UInt8]) -> Int? {
        var start = 0
        for i in data.indices where data[i] == UInt8(ascii: "\n") {
            if data[start..<i].starts(with: Array("SSH-".utf8)) { return i + 1 }
            start = i + 1
        }
        return nil
    }

    /// SSH_MSG_KEXINIT: byte 20, 16 bytes of cookie, then name-lists (uint32 length, comma-separated).
    static func parseKexinit(_ payload: [UInt8]) -> [String: [String]]? {
        guard payload.first == 20, payload.count > 17 else { return nil }
        var offset = 17
        var lists: [[String]] = []
        for _ in 0..<10 {
            guard offset + 4 <= payload.count else { return nil }
            let length = Int(payload[offset]) << 24 | Int(payload[offset + 1]) << 16 | Int(payload[offset + 2]) << 8 | Int(payload[offset + 3])
            offset += 4
            guard offset + length <= payload.count else { return nil }
            let text = String(decoding: payload[offset..<(offset + length)], as: UTF8.self)
            lists.append(text.isEmpty ? [] : text.split(separator: ",").map(String.init))
            offset += length
        }
        var result: [String: [String]] = [:]
        for category in categories { result[category.name] = lists[category.index] }
        return result
    }

    /// "no common key exchange algorithm: the server offers A, B; Flotilla (libssh2 1.10.0) offers C, D", for every
    /// category without an algorithm in common; nil when each has one.
    static func mismatch(server: [String: [String]], ours: [String: [String]]) -> String? {
        let version = String(cString: libssh2_version(0))
        var parts: [String] = []
        for category in categories {
            let theirs = server[category.name] ?? [], mine = ours[category.name] ?? []
            // The server's host key list may name certificate types and new algorithms libssh2 lacks.
            if !theirs.isEmpty, !mine.isEmpty, Set(theirs).isDisjoint(with: mine) {
                parts.append("no common \(category.name) algorithm: the server offers \(theirs.joined(separator: ", ")); "
                    + "Flotilla (libssh2 \(version)) offers \(mine.joined(separator: ", "))")
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}
