import Foundation

/// A file in play: absent, or its content with digest, mode and ownership.
public struct FileFact: Sendable, Codable, Hashable {
    public enum State: String, Sendable, Codable, Hashable {
        /// The file is there and its content was read.
        case present
        /// Nothing at that path.
        case absent
        /// The file is larger than the request's limit: digest and metadata only.
        case tooLarge = "too-large"
        /// Something other than a regular file (a directory, a device).
        case notRegular = "not-regular"
        /// The file exists but could not be read (the fact script ran without enough privilege).
        case unreadable
    }

    public var path: String
    public var state: State
    /// The bytes of the file when `state == .present`.
    public var content: [UInt8]?
    /// Lowercase hex SHA-256 of the content, as computed on the host.
    public var sha256: String?
    /// Octal permission bits without a leading zero, as `stat %a` prints them (`644`).
    public var mode: String?
    public var owner: String?
    public var group: String?
    public var size: Int?
    /// The symlink target when the path is a symbolic link (the other fields describe what it points to).
    public var linkTarget: String?

    public init(
        path: String, state: State, content: [UInt8]? = nil, sha256: String? = nil, mode: String? = nil,
        owner: String? = nil, group: String? = nil, size: Int? = nil, linkTarget: String? = nil
    ) {
        self.path = path
        self.state = state
        self.content = content
        self.sha256 = sha256
        self.mode = mode
        self.owner = owner
        self.group = group
        self.size = size ?? content?.count
        self.linkTarget = linkTarget
    }

    public static func absent(_ path: String) -> FileFact { FileFact(path: path, state: .absent) }

    /// The content as UTF-8 text (invalid bytes replaced), when it was read.
    public var text: String? { content.map { String(decoding: $0, as: UTF8.self) } }
    public var exists: Bool { state != .absent }
}

extension FileFact {
    private enum CodingKeys: String, CodingKey {
        case path, state, contentBase64, sha256, mode, owner, group, size, linkTarget
    }

    /// Content travels as base64 in JSON (saved plans, `flotilla facts --json`), not as an array of numbers.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(state, forKey: .state)
        try c.encodeIfPresent(content.map { Data($0).base64EncodedString() }, forKey: .contentBase64)
        try c.encodeIfPresent(sha256, forKey: .sha256)
        try c.encodeIfPresent(mode, forKey: .mode)
        try c.encodeIfPresent(owner, forKey: .owner)
        try c.encodeIfPresent(group, forKey: .group)
        try c.encodeIfPresent(size, forKey: .size)
        try c.encodeIfPresent(linkTarget, forKey: .linkTarget)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decode(String.self, forKey: .path)
        state = try c.decode(State.self, forKey: .state)
        if let b64 = try c.decodeIfPresent(String.self, forKey: .contentBase64) {
            guard let data = Data(base64Encoded: b64) else {
                throw DecodingError.dataCorruptedError(forKey: .contentBase64, in: c, debugDescription: "not base64")
            }
            content = [UInt8](data)
        } else {
            content = nil
        }
        sha256 = try c.decodeIfPresent(String.self, forKey: .sha256)
        mode = try c.decodeIfPresent(String.self, forKey: .mode)
        owner = try c.decodeIfPresent(String.self, forKey: .owner)
        group = try c.decodeIfPresent(String.self, forKey: .group)
        size = try c.decodeIfPresent(Int.self, forKey: .size)
        linkTarget = try c.decodeIfPresent(String.self, forKey: .linkTarget)
    }
}
