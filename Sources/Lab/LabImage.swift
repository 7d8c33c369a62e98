import Foundation

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

    /// Bumped whenever what goes into an image changes, so a cached image of an older recipe is rebuilt.
    public static let recipe = 4

    /// True when the build finished (the info file is written last, and the directory renamed after it) with
    /// the current recipe.
    public var isComplete: Bool {
        guard let bytes = SmallFile.readBytes(infoFile),
              let info = try? JSONDecoder().decode(ImageInfo.self, from: Data(bytes)),
              info.recipe == Self.recipe
        else { return false }
        return SmallFile.isDirectory(base + "/etc")
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
    /// `LabImage.recipe` at build time.
    public var recipe: Int
}
