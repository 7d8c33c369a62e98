/// Something in ssh_config that Flotilla parsed but does not act on as OpenSSH would, e.g. a `Match`
/// criterion it cannot evaluate (that block never applies). Data for the CLI to show.
public struct SSHConfigWarning: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}
