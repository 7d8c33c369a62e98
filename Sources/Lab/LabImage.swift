/// A built image on disk: the debootstrap base and one overlay layer per starting state.
public struct LabImage: Sendable, Hashable {
    public var distro: Distro
    public var dir: String

    public var base: String { dir + "/base" }
    public var infoFile: String { dir + "/image.json" }
    public func layer(_ state: StartingState) -> String { dir + "/layers/" + state.rawValue }

    /// `lowerdir=` for a host in `state`, top layer first.
    public func lowerDirs(_ state: StartingState) -> [String] {
        state.layerScript == nil ? [base] : [layer(state), base]
    }

    /// True when the build finished (the info file is written last, and the directory renamed after it).
    public var isComplete: Bool {
        SmallFile.exists(infoFile) && SmallFile.isDirectory(base + "/etc")
            && StartingState.allCases.allSatisfy { lowerDirs($0).allSatisfy(SmallFile.isDirectory) }
    }
}

/// What `image.json` records about a build.
public struct ImageInfo: Sendable, Codable, Hashable {
    public var distro: Distro
    public var mirror: String
    public var builtAt: Double
    public var buildSeconds: Double
    public var packages: [String]
}
