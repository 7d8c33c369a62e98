public import FlotillaCore
/// One task of a play: a generic resource, an optional name, and the handlers it notifies when it changes.
public struct TaskSpec: Sendable, Codable, Hashable {
    public var name: String?
    public var resource: ResourceSpec
    /// Handler names to run once at the end of the play when this task changed something.
    public var notify: [String]
    public var position: FileLocation

    public init(name: String? = nil, resource: ResourceSpec, notify: [String] = [], position: FileLocation) {
        self.name = name
        self.resource = resource
        self.notify = notify
        self.position = position
    }
}

/// The generic resources Flotilla knows.
public enum ResourceSpec: Sendable, Codable, Hashable {
    case package(PackageSpec)
    case unit(UnitSpec)
    case file(FileSpec)
    case line(LineSpec)
}

/// Packages present, absent (removed, configuration kept) or purged; apt or dnf/yum from the facts.
public struct PackageSpec: Sendable, Codable, Hashable {
    public enum State: String, Sendable, Codable, Hashable { case present, absent, purged }
    public var names: [Template]
    public var state: State
    public init(names: [Template], state: State = .present) {
        self.names = names
        self.state = state
    }
}

/// A systemd unit: masked or not, enabled or not, running or stopped, and drop-in files.
public struct UnitSpec: Sendable, Codable, Hashable {
    public enum State: String, Sendable, Codable, Hashable { case running, stopped, restarted }
    public struct DropIn: Sendable, Codable, Hashable {
        public var name: String
        public var content: Template
        public init(name: String, content: Template) {
            self.name = name
            self.content = content
        }
    }
    public var name: Template
    public var masked: Bool?
    public var enabled: Bool?
    public var state: State?
    public var dropins: [DropIn]
    public init(name: Template, masked: Bool? = nil, enabled: Bool? = nil, state: State? = nil, dropins: [DropIn] = []) {
        self.name = name
        self.masked = masked
        self.enabled = enabled
        self.state = state
        self.dropins = dropins
    }
}

/// A whole file: content, mode and ownership; or absent.
public struct FileSpec: Sendable, Codable, Hashable {
    public var path: Template
    public var content: Template?
    public var mode: String
    public var owner: String
    public var group: String
    public var absent: Bool
    public init(path: Template, content: Template?, mode: String = "0644", owner: String = "root", group: String = "root", absent: Bool = false) {
        self.path = path
        self.content = content
        self.mode = mode
        self.owner = owner
        self.group = group
        self.absent = absent
    }
}

/// One line in a file, found by a regular expression, placed before or after another line, or removed.
public struct LineSpec: Sendable, Codable, Hashable {
    /// Where a new line goes when no line matches `regexp`.
    public enum Anchor: Sendable, Codable, Hashable {
        case beginning, end
        /// Before the first line matching the pattern (or at the end if none does).
        case before(String)
        /// After the last line matching the pattern (or at the end if none does).
        case after(String)
    }
    public var path: Template
    public var regexp: String?
    public var line: Template?
    public var anchor: Anchor
    public var present: Bool
    /// Create the file with the line when it does not exist (otherwise that is an error, as apply would fail).
    public var create: Bool
    public var mode: String
    public init(path: Template, regexp: String?, line: Template?, anchor: Anchor = .end, present: Bool = true, create: Bool = false, mode: String = "0644") {
        self.path = path
        self.regexp = regexp
        self.line = line
        self.anchor = anchor
        self.present = present
        self.create = create
        self.mode = mode
    }
}

/// A handler: restart or reload a unit once, at the end of the play, if a task that notifies it changed.
public struct HandlerSpec: Sendable, Codable, Hashable {
    public enum Action: String, Sendable, Codable, Hashable { case restart, reload }
    public var name: String
    public var unit: Template
    public var action: Action
    public var position: FileLocation
    public init(name: String, unit: Template, action: Action = .restart, position: FileLocation) {
        self.name = name
        self.unit = unit
        self.action = action
        self.position = position
    }
}
