import FlotillaCore
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The known_hosts files of one run, read once, answering host-key questions synchronously from any
/// thread (the SSH event-loop threads call it between libssh2 steps), and recording keys learned under
/// accept-new safely against other threads and other processes.
public final class KnownHostsStore: Sendable {
    /// Every file read, in lookup order (the write file included), with `~` expanded.
    public let files: [String]
    /// Where `record` appends, with `~` expanded; nil when the store is read-only.
    public let writeFile: String?
    /// Whether `record` writes hashed host names (`|1|salt|hmac`), like OpenSSH's `HashKnownHosts yes`.
    public let hashNewEntries: Bool

    private let state: Mutex<State>
    private let cursor: Mutex<WriteCursor>

    /// Reads `files` (missing ones are fine; unreadable ones become warnings) and, when it is not among
    /// them, `writeFile` too. `home` replaces `$HOME` for `~` expansion (tests).
    public init(files: [String], writeFile: String?, hashNewEntries: Bool = false, home: String? = nil) {
        let home = home ?? LocalFiles.homeDirectory()
        var paths = [String]()
        for file in files.map({ LocalFiles.expandTilde($0, home: home) }) where !paths.contains(file) {
            paths.append(file)
        }
        let write = writeFile.map { LocalFiles.expandTilde($0, home: home) }
        if let write, !paths.contains(write) { paths.append(write) }
        self.files = paths
        self.writeFile = write
        self.hashNewEntries = hashNewEntries

        var index = KnownHostsIndex()
        var cursor = WriteCursor()
        for path in paths {
            switch LocalFiles.read(path) {
            case .contents(let bytes):
                let parsed = KnownHostsParser.parse(text: bytes, file: path)
                parsed.entries.forEach { index.add($0) }
                index.warnings += parsed.warnings
                if path == write {
                    var st = stat()
                    if stat(path, &st) == 0 {
                        cursor.identity = FileIdentity(st)
                        cursor.consume(bytes)
                    }
                }
            case .missing:
                break
            case .failed(let code):
                index.warnings.append(KnownHostsWarning(file: path, line: 0, reason: SystemError.text(code)))
            }
        }
        self.state = Mutex(State(index: index))
        self.cursor = Mutex(cursor)
    }

    /// OpenSSH's default `GlobalKnownHostsFile`.
    public static let defaultGlobalFiles = ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"]

    /// The usual set for a user: the system's files (`globalFiles`, read only), `~/.ssh/known_hosts` and
    /// `~/.ssh/known_hosts2`, plus `extraFiles`. New keys go to `writeFile`, else the first extra file, else
    /// `~/.ssh/known_hosts` (as `ConnectionTarget.knownHostsFiles` documents).
    public static func forUser(
        extraFiles: [String] = [], globalFiles: [String] = defaultGlobalFiles, writeFile: String? = nil,
        hashNewEntries: Bool = false, home: String? = nil
    ) -> KnownHostsStore {
        KnownHostsStore(
            files: globalFiles + ["~/.ssh/known_hosts", "~/.ssh/known_hosts2"] + extraFiles,
            writeFile: writeFile ?? extraFiles.first ?? "~/.ssh/known_hosts",
            hashNewEntries: hashNewEntries,
            home: home
        )
    }

    /// Lines that were skipped, and files that could not be read.
    public var warnings: [KnownHostsWarning] { state.withLock { $0.index.warnings } }

    /// All key lines read or recorded so far, in file order.
    public var entries: [KnownHostsEntry] { state.withLock { $0.index.entries } }

    /// What the files say about `key` for `host` on `port` (`host` as in the target address; for a port
    /// other than 22 the `[host]:port` form is looked up, as OpenSSH does). Revocation wins over
    /// everything, then a matching line, then a same-type line with another key.
    public func check(host: String, port: Int, key: HostKey) -> KnownHostsVerdict {
        let name = KnownHostsEntry.lookupName(host: host, port: port)
        let (index, positions) = lookup(name)
        return index.verdict(positions: positions, key: key)
    }

    /// The key types known for the host, in file order without repeats, so the session can ask the
    /// server for a key known_hosts can vouch for (see `HostKey.algorithms(forKeyType:)`).
    public func knownKeyTypes(host: String, port: Int) -> [String] {
        let name = KnownHostsEntry.lookupName(host: host, port: port)
        let (index, positions) = lookup(name)
        return index.keyTypes(positions: positions)
    }

    /// Every line whose host field applies to the host on the port (revoked and cert-authority lines
    /// included), in file order: what `ssh-keygen -F` lists.
    public func entries(host: String, port: Int) -> [KnownHostsEntry] {
        let (index, positions) = lookup(KnownHostsEntry.lookupName(host: host, port: port))
        return positions.map { index.entries[$0] }
    }

    /// Every line whose host field applies to `lookupName` (`host` or `[host]:port`), in file order.
    public func entries(lookupName: String) -> [KnownHostsEntry] {
        let (index, positions) = lookup(lookupName)
        return positions.map { index.entries[$0] }
    }

    /// Records a key accepted under accept-new: appends `host type base64` (or `[host]:port ...`) to the
    /// write file and remembers it for later checks in this run.
    ///
    /// Threads of this process are serialized by a lock, other processes by `flock(LOCK_EX)` on the
    /// file. Under the lock the file's new lines are read first, so a key that another process or
    /// store has recorded meanwhile is not appended twice: then the verdict of that re-check is
    /// returned instead, which is `.mismatch` or `.revoked` when the file now says something else
    /// (the caller must refuse the key then). The file is only ever appended to, with one `write`
    /// per line, created with mode 0600 (and its directory with 0700) when missing.
    /// - Returns: `.match` with the line that now vouches for the key, or the re-check's other verdict.
    @discardableResult
    public func record(host: String, port: Int, key: HostKey) throws(SSHConfigError) -> KnownHostsVerdict {
        guard let path = writeFile else { throw .noKnownHostsWriteFile(host: host) }
        let name = KnownHostsEntry.lookupName(host: host, port: port)
        let hashed = hashNewEntries
        return try cursor.withLock { (cursor: inout WriteCursor) throws(SSHConfigError) -> KnownHostsVerdict in
            func failure(_ operation: String, _ code: Int32) -> SSHConfigError {
                .knownHostsWrite(file: path, operation: operation, errno: code)
            }
            if let code = LocalFiles.makeDirectories(LocalFiles.directory(of: path), mode: 0o700) {
                throw failure("mkdir", code)
            }
            let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw failure("open", errno) }
            defer { close(fd) }  // also releases the flock
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else { throw failure("flock", errno) }
            }
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw failure("fstat", errno) }
            let identity = FileIdentity(st)
            if cursor.identity != identity || Int(st.st_size) < cursor.offset {
                // Replaced or truncated by someone else: forget what we knew of it and read it anew.
                cursor = WriteCursor()
                cursor.identity = identity
            }
            let tail: [UInt8]
            switch LocalFiles.readRange(fd: fd, from: cursor.offset) {
            case .success(let bytes): tail = bytes
            case .failure(let error): throw failure("read", error.errno)
            }
            let parsed = KnownHostsParser.parse(text: tail, file: path, firstLine: cursor.lines + 1, firstOffset: cursor.offset)
            let needsNewline = !tail.isEmpty && tail.last != UInt8(ascii: "\n")
            let consumedLines = cursor.lines
            cursor.consume(tail)
            let verdict = state.withLock { state in
                // Lines after the last complete one read so far are provisional (a partial last line, or
                // the line this store appended last time): drop them and take the file's word for them.
                let removed = state.index.remove(file: path, afterLine: consumedLines)
                parsed.entries.forEach { state.index.add($0) }
                state.index.warnings += parsed.warnings
                if removed || !parsed.entries.isEmpty { state.changed() }
                return state.index.verdict(positions: state.index.matching(name), key: key)
            }
            guard verdict == .notFound else { return verdict }

            let hosts: KnownHostsEntry.Hosts
            if hashed {
                var generator = SystemRandomNumberGenerator()
                let salt = (0..<SHA1.digestSize).map { _ in UInt8.random(in: 0...255, using: &generator) }
                hosts = .hashed(salt: salt, hmac: HMAC.sha1(key: salt, message: Array(name.utf8)))
            } else {
                hosts = .patterns([name])
            }
            let lineNumber = cursor.lines + (needsNewline ? 2 : 1)
            let entry = KnownHostsEntry(hosts: hosts, key: key, file: path, line: lineNumber)
            let bytes = Array(((needsNewline ? "\n" : "") + entry.text + "\n").utf8)
            var written = 0
            while written < bytes.count {
                let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure("write", errno)
                }
                written += n
            }
            // The cursor stays before the new line: a writer that does not lock (ssh itself) may have
            // appended meanwhile, so the next record reads the file's end again instead of assuming.
            state.withLock { state in
                state.index.add(entry)
                state.changed()
            }
            return .match(file: path, line: lineNumber)
        }
    }
}

extension KnownHostsStore {
    /// The entries and the matching positions for a lookup name. Matching runs on a copy of the index
    /// (copy-on-write: no real copying) outside the lock; results are cached per name, because a
    /// session asks twice (key types, then the key) and hashed lines cost an HMAC each.
    private func lookup(_ name: String) -> (KnownHostsIndex, [Int]) {
        let (index, generation, cached) = state.withLock { ($0.index, $0.generation, $0.cache[name]) }
        if let cached { return (index, cached) }
        let positions = index.matching(name)
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.cache.count >= State.cacheLimit { state.cache.removeAll(keepingCapacity: true) }
            state.cache[name] = positions
        }
        return (index, positions)
    }
}

/// What the store's lock protects.
private struct State: Sendable {
    static let cacheLimit = 16384

    var index: KnownHostsIndex
    /// Bumped on every change of `index`; cached positions belong to one generation.
    var generation = 0
    var cache = [String: [Int]]()

    mutating func changed() {
        generation += 1
        cache.removeAll(keepingCapacity: true)
    }
}

/// Device and inode: tells whether the write file was replaced since it was read.
private struct FileIdentity: Sendable, Equatable {
    var device: UInt64
    var inode: UInt64

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}

/// How much of the write file this store has read: complete lines only.
private struct WriteCursor: Sendable {
    var identity: FileIdentity?
    /// Bytes up to and including the last newline read.
    var offset = 0
    /// Complete lines read.
    var lines = 0

    mutating func consume(_ bytes: [UInt8]) {
        guard let last = bytes.lastIndex(of: UInt8(ascii: "\n")) else { return }
        offset += last + 1
        lines += bytes[...last].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }
}
