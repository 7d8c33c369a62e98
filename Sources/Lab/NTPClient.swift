/// Asks an NTP server for the time once: a real SNTP exchange over UDP, optionally from inside a lab
/// network namespace. Used by `lab up` to check the lab's time server and by the tests to check faults.
public enum NTPClient {
    public static func query(
        server: String, port: UInt16 = 123, netns: String? = nil, timeout: Double = 2
    ) async throws -> NTPSample {
        try await NamespaceThread.run(netns: netns, name: "flotilla-ntp-client") {
            try queryBlocking(server: server, port: port, timeout: timeout)
        }
    }

    /// The blocking exchange; call it only on a dedicated thread.
    public static func queryBlocking(server: String, port: UInt16 = 123, timeout: Double = 2) throws -> NTPSample {
        let socket = try UDPSocket()
        let destination = try UDPSocket.address(server, port)
        let t1 = NTPTimestamp.now()
        try socket.send(NTPPacket.clientRequest(transmit: t1).encoded(), to: destination)
        let deadline = NamespaceThread.now() + timeout
        while true {
            let left = deadline - NamespaceThread.now()
            guard left > 0, let (bytes, _) = try socket.receive(timeout: left) else {
                throw LabError.timeServerSilent(address: "\(server):\(port)", reason: "no answer in \(timeout) s")
            }
            let t4 = NTPTimestamp.now()
            guard let reply = try? NTPPacket(parsing: bytes), reply.mode == NTPPacket.Mode.server.rawValue,
                  reply.originTime == t1
            else { continue }  // not the answer to our request
            guard reply.stratum != 0, reply.leap != 3 else {
                throw LabError.timeServerSilent(
                    address: "\(server):\(port)", reason: "unsynchronised (stratum \(reply.stratum), leap \(reply.leap))")
            }
            return NTPSample(reply: reply, t1: t1.unixTime, t4: t4.unixTime)
        }
    }
}
