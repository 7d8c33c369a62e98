// JSON for people and scripts: the daemon state as `{"state": "not-running", "message": ...}`, and the
// derived values (synchronised, offset, bound, selected source...) written next to the raw data so that a
// consumer of `--json` does not have to redo chrony's arithmetic. Decoding reads the stored fields only.

extension ChronyStatus.Daemon {
    private enum Keys: String, CodingKey { case state, message, command, status }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        switch try c.decode(String.self, forKey: .state) {
        case "running": self = .running
        case "absent": self = .absent
        case "not-running": self = .notRunning(message: try c.decode(String.self, forKey: .message))
        case "failed":
            self = .failed(
                command: try c.decode(String.self, forKey: .command), status: try c.decode(String.self, forKey: .status),
                message: try c.decode(String.self, forKey: .message))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .state, in: c, debugDescription: "unknown chrony daemon state '\(other)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case .running: try c.encode("running", forKey: .state)
        case .absent: try c.encode("absent", forKey: .state)
        case .notRunning(let message):
            try c.encode("not-running", forKey: .state)
            try c.encode(message, forKey: .message)
        case .failed(let command, let status, let message):
            try c.encode("failed", forKey: .state)
            try c.encode(command, forKey: .command)
            try c.encode(status, forKey: .status)
            try c.encode(message, forKey: .message)
        }
    }
}

extension ChronyStatus {
    private enum Keys: String, CodingKey {
        case host, daemon, tracking, sources, hostTime, expectedSources, expectedAddresses
        case synchronised, clockOffset, errorBound, selectedSource, followsExpectedSource, sinceLastUpdate, notSynchronisedReason
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        self.init(
            host: try c.decode(String.self, forKey: .host),
            daemon: try c.decode(Daemon.self, forKey: .daemon),
            tracking: try c.decodeIfPresent(ChronyTracking.self, forKey: .tracking),
            sources: try c.decode([ChronySource].self, forKey: .sources),
            hostTime: try c.decodeIfPresent(Double.self, forKey: .hostTime),
            expectedSources: try c.decode([String].self, forKey: .expectedSources),
            expectedAddresses: try c.decode([String].self, forKey: .expectedAddresses))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(host, forKey: .host)
        try c.encode(daemon, forKey: .daemon)
        try c.encodeIfPresent(tracking, forKey: .tracking)
        try c.encode(sources, forKey: .sources)
        try c.encodeIfPresent(hostTime, forKey: .hostTime)
        try c.encode(expectedSources, forKey: .expectedSources)
        try c.encode(expectedAddresses, forKey: .expectedAddresses)
        try c.encode(synchronised, forKey: .synchronised)
        try c.encodeIfPresent(clockOffset, forKey: .clockOffset)
        try c.encodeIfPresent(errorBound, forKey: .errorBound)
        try c.encodeIfPresent(selectedSource?.address, forKey: .selectedSource)
        try c.encodeIfPresent(followsExpectedSource, forKey: .followsExpectedSource)
        try c.encodeIfPresent(sinceLastUpdate, forKey: .sinceLastUpdate)
        try c.encodeIfPresent(notSynchronisedReason, forKey: .notSynchronisedReason)
    }
}
