public import FlotillaCore
/// Something Ansible accepts with a warning (an unknown key in a YAML group, for example). Loading goes
/// on; the CLI shows these on stderr.
public struct InventoryWarning: Sendable, Hashable, CustomStringConvertible {
    public var location: FileLocation?
    public var message: String

    public init(location: FileLocation?, message: String) {
        self.location = location
        self.message = message
    }

    public var description: String {
        if let location { return "\(location): warning: \(message)" }
        return "warning: \(message)"
    }
}
