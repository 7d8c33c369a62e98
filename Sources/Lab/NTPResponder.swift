#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// A tiny NTPv4 server whose clock is this machine's clock plus a fixed offset. `lab fault HOST skew S`
/// runs one inside the host's network namespace, answering for 169.254.169.123, so the host's time
/// daemon sees an upstream that is off by S seconds.
public final class NTPResponder: Sendable {
    public let offset: Double
    public let address: String
    /// The bound UDP port (useful when constructed with port 0).
    public let port: UInt16
    private let stopped = Atomic<Bool>(false)
    private let socketBox: Mutex<UDPSocketHolder?>

    /// Binds the UDP socket now (so errors surface before serving).
    public init(address: String, port: UInt16 = 123, offset: Double) throws {
        let socket = try UDPSocket()
        try socket.bind(address, port)
        self.offset = offset
        self.address = address
        self.port = socket.localPort
        self.socketBox = Mutex(UDPSocketHolder(socket))
    }

    /// Serves until `stop()`; blocking: call it on a dedicated thread (or a process's main thread).
    public func serve() throws {
        let referenceID = NTPPacket.referenceID(ipv4: "10.88.0.2")
        while !stopped.load(ordering: .relaxed) {
            let received: (bytes: [UInt8], from: sockaddr_in)? = try socketBox.withLock { holder in
                guard let holder else { return nil }
                return try holder.socket.receive(timeout: 0.2)
            }
            guard let (bytes, from) = received else { continue }
            let receive = NTPTimestamp.now(offset: offset)
            guard let request = try? NTPPacket(parsing: bytes), request.mode == NTPPacket.Mode.client.rawValue else {
                continue
            }
            let reply = NTPPacket.serverReply(
                to: request, receive: receive, transmit: NTPTimestamp.now(offset: offset), referenceID: referenceID)
            try? socketBox.withLock { holder in try holder?.socket.send(reply.encoded(), to: from) }
        }
        socketBox.withLock { $0 = nil }
    }

    /// Starts serving on a dedicated thread.
    public func start() {
        let thread = Thread { [self] in try? self.serve() }
        thread.name = "flotilla-ntp-responder"
        thread.start()
    }

    /// Asks the serving loop to end (within 0.2 s).
    public func stop() { stopped.store(true, ordering: .relaxed) }
}

/// Owns the responder's socket so it is closed exactly once.
final class UDPSocketHolder {
    let socket: UDPSocket
    init(_ socket: consuming UDPSocket) { self.socket = socket }
}

extension NTPResponder {
    /// Binds a responder's socket from inside network namespace `netns` (nil: this process's namespace).
    public static func bound(address: String, port: UInt16 = 123, offset: Double, netns: String?) async throws -> NTPResponder {
        try await NamespaceThread.run(netns: netns, name: "flotilla-ntp-bind") {
            try NTPResponder(address: address, port: port, offset: offset)
        }
    }
}
