/// Where the lab keeps everything on disk. `FLOTILLA_LAB_DIR` replaces the root `/var/lib/flotilla`
/// (the lab then lives in `$FLOTILLA_LAB_DIR/lab` and images in `$FLOTILLA_LAB_DIR/images`).
public struct LabPaths: Sendable, Hashable {
    public var root: String

    public init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    /// The paths for this process: `FLOTILLA_LAB_DIR` when set, else `/var/lib/flotilla`.
    public static func standard(environment: [String: String]) -> LabPaths {
        if let dir = environment["FLOTILLA_LAB_DIR"], !dir.isEmpty { return LabPaths(root: dir) }
        return LabPaths(root: "/var/lib/flotilla")
    }

    public var labDir: String { root + "/lab" }
    public var imagesDir: String { root + "/images" }
    public var stateFile: String { labDir + "/state.json" }
    public var lockFile: String { root + "/lab.lock" }
    public var inventoryFile: String { labDir + "/inventory.yml" }
    public var knownHostsFile: String { labDir + "/known_hosts" }
    public var privateKey: String { labDir + "/id_ed25519" }
    public var operatorPasswordFile: String { labDir + "/operator_password" }
    public var logsDir: String { labDir + "/logs" }
    public var hostsDir: String { labDir + "/hosts" }
    public var timeServerDir: String { labDir + "/ntp" }

    public func imageDir(_ distro: Distro) -> String { imagesDir + "/" + distro.rawValue }
    public func hostDir(_ name: String) -> String { hostsDir + "/" + name }
    public func log(_ name: String) -> String { logsDir + "/" + name + ".log" }
}
