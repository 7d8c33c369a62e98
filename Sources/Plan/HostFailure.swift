/// A host that could not be planned (unreachable, facts unreadable, a planning error): data for the report,
/// not a reason to stop planning the others.
public struct HostFailure: Sendable, Codable, Hashable {
    public var host: String
    /// The play, when the failure belongs to one.
    public var play: String?
    public var message: String

    public init(host: String, play: String? = nil, message: String) {
        self.host = host
        self.play = play
        self.message = message
    }
}
