/// What systemd says about one unit, in full: a masked unit is not merely "disabled".
public struct UnitFact: Sendable, Codable, Hashable {
    /// `LoadState`.
    public enum LoadState: Sendable, Hashable, RawRepresentable, Codable {
        case loaded, notFound, masked, badSetting, error, stub, merged
        case other(String)
        public init?(rawValue: String) {
            switch rawValue {
            case "loaded": self = .loaded
            case "not-found", "": self = .notFound
            case "masked": self = .masked
            case "bad-setting": self = .badSetting
            case "error": self = .error
            case "stub": self = .stub
            case "merged": self = .merged
            default: self = .other(rawValue)
            }
        }
        public var rawValue: String {
            switch self {
            case .loaded: "loaded"
            case .notFound: "not-found"
            case .masked: "masked"
            case .badSetting: "bad-setting"
            case .error: "error"
            case .stub: "stub"
            case .merged: "merged"
            case .other(let s): s
            }
        }
    }

    /// `UnitFileState`: whether and how the unit is enabled. Empty in systemd's output means no unit file.
    public enum FileState: Sendable, Hashable, RawRepresentable, Codable {
        case enabled, enabledRuntime, linked, linkedRuntime, alias, masked, maskedRuntime
        case staticUnit, disabled, indirect, generated, transient, bad, notFound
        case other(String)
        public init?(rawValue: String) {
            switch rawValue {
            case "enabled": self = .enabled
            case "enabled-runtime": self = .enabledRuntime
            case "linked": self = .linked
            case "linked-runtime": self = .linkedRuntime
            case "alias": self = .alias
            case "masked": self = .masked
            case "masked-runtime": self = .maskedRuntime
            case "static": self = .staticUnit
            case "disabled": self = .disabled
            case "indirect": self = .indirect
            case "generated": self = .generated
            case "transient": self = .transient
            case "bad": self = .bad
            case "", "not-found": self = .notFound
            default: self = .other(rawValue)
            }
        }
        public var rawValue: String {
            switch self {
            case .enabled: "enabled"
            case .enabledRuntime: "enabled-runtime"
            case .linked: "linked"
            case .linkedRuntime: "linked-runtime"
            case .alias: "alias"
            case .masked: "masked"
            case .maskedRuntime: "masked-runtime"
            case .staticUnit: "static"
            case .disabled: "disabled"
            case .indirect: "indirect"
            case .generated: "generated"
            case .transient: "transient"
            case .bad: "bad"
            case .notFound: "not-found"
            case .other(let s): s
            }
        }
        /// Started at boot by an install link of its own (or of the unit it aliases).
        public var isEnabled: Bool { self == .enabled || self == .enabledRuntime || self == .alias }
        public var isMasked: Bool { self == .masked || self == .maskedRuntime }
    }

    /// `ActiveState`.
    public enum ActiveState: Sendable, Hashable, RawRepresentable, Codable {
        case active, reloading, inactive, failed, activating, deactivating, maintenance, refreshing
        case other(String)
        public init?(rawValue: String) {
            switch rawValue {
            case "active": self = .active
            case "reloading": self = .reloading
            case "inactive", "": self = .inactive
            case "failed": self = .failed
            case "activating": self = .activating
            case "deactivating": self = .deactivating
            case "maintenance": self = .maintenance
            case "refreshing": self = .refreshing
            default: self = .other(rawValue)
            }
        }
        public var rawValue: String {
            switch self {
            case .active: "active"
            case .reloading: "reloading"
            case .inactive: "inactive"
            case .failed: "failed"
            case .activating: "activating"
            case .deactivating: "deactivating"
            case .maintenance: "maintenance"
            case .refreshing: "refreshing"
            case .other(let s): s
            }
        }
        /// Running or about to be: a stop would have work to do.
        public var isRunning: Bool { self == .active || self == .reloading || self == .activating || self == .refreshing }
    }

    /// The name asked for.
    public var name: String
    /// `Id`: the unit's real name (asking for an alias such as chronyd.service on Debian gives chrony.service).
    public var id: String
    /// `Names`: the unit's name and its aliases.
    public var names: [String]
    public var loadState: LoadState
    public var fileState: FileState
    /// `UnitFilePreset`, when systemd reports one.
    public var preset: String?
    public var activeState: ActiveState
    /// `SubState`: `running`, `dead`, `exited`, `failed`, ...
    public var subState: String
    /// `ConditionResult`: false when a start condition (ConditionCapability=, ConditionVirtualization=) failed;
    /// nil when the conditions were never checked (`ConditionTimestamp` empty).
    public var conditionResult: Bool?
    /// `FragmentPath`: the unit file (or /dev/null when masked); nil when there is none.
    public var fragmentPath: String?
    /// `DropInPaths`: the drop-in files that apply, in order.
    public var dropInPaths: [String]
    /// Set when systemctl could not answer (no systemd running, systemctl missing); the states are then unknown.
    public var error: String?

    public init(
        name: String, id: String? = nil, names: [String]? = nil, loadState: LoadState, fileState: FileState,
        preset: String? = nil, activeState: ActiveState, subState: String = "dead", conditionResult: Bool? = nil,
        fragmentPath: String? = nil, dropInPaths: [String] = [], error: String? = nil
    ) {
        self.name = name
        self.id = id ?? name
        self.names = names ?? [name]
        self.loadState = loadState
        self.fileState = fileState
        self.preset = preset
        self.activeState = activeState
        self.subState = subState
        self.conditionResult = conditionResult
        self.fragmentPath = fragmentPath
        self.dropInPaths = dropInPaths
        self.error = error
    }

    /// The one reading of a unit's `systemctl show -p Id,Names,LoadState,...` properties, for `plan`'s facts
    /// and `audit`'s daemon probe alike, so the two can never describe one host differently. Nil without a
    /// `LoadState` (not systemctl's output). An unknown LoadState is kept as written; `ConditionResult` counts
    /// only when `ConditionTimestamp` says the conditions were checked (it is empty or `n/a` otherwise, and
    /// systemd then says "no" for a unit that was merely never started).
    public static func reading(name: String, systemctlShow kv: [String: String]) -> UnitFact? {
        guard let load = kv["LoadState"] else { return nil }
        let checked = kv["ConditionTimestamp"].map { !$0.isEmpty && $0 != "n/a" } ?? true
        let condition: Bool? = switch (checked, kv["ConditionResult"]) {
        case (true, "yes"): true
        case (true, "no"): false
        default: nil
        }
        return UnitFact(
            name: name,
            id: kv["Id"].flatMap { $0.isEmpty ? nil : $0 },
            names: kv["Names"].flatMap { $0.isEmpty ? nil : $0.split(separator: " ").map(String.init) },
            loadState: LoadState(rawValue: load) ?? .other(load),
            fileState: FileState(rawValue: kv["UnitFileState"] ?? "") ?? .notFound,
            preset: kv["UnitFilePreset"].flatMap { $0.isEmpty ? nil : $0 },
            activeState: ActiveState(rawValue: kv["ActiveState"] ?? "") ?? .inactive,
            subState: kv["SubState"] ?? "",
            conditionResult: condition,
            fragmentPath: kv["FragmentPath"].flatMap { $0.isEmpty ? nil : $0 },
            dropInPaths: (kv["DropInPaths"] ?? "").split(separator: " ").map(String.init))
    }

    /// The facts of a unit systemd does not know.
    public static func notFound(_ name: String) -> UnitFact {
        UnitFact(name: name, loadState: .notFound, fileState: .notFound, activeState: .inactive)
    }

    public var exists: Bool { loadState != .notFound }
    public var isMasked: Bool { loadState == .masked || fileState.isMasked }
}
