#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small blocking file helpers for the SSH module's local files (config, known_hosts). They are meant
/// for the session threads and for startup, never for the cooperative pool.
package enum LocalFiles {
    /// The outcome of reading a whole file.
    package enum ReadResult: Sendable {
        case contents([UInt8])
        case missing
        case failed(errno: Int32)
    }

    /// Reads a whole file. A missing file (or a missing directory on the way) is `.missing`.
    package static func read(_ path: String) -> ReadResult {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            return e == ENOENT || e == ENOTDIR ? .missing : .failed(errno: e)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return .failed(errno: errno) }
        if (st.st_mode & S_IFMT) == S_IFDIR { return .failed(errno: EISDIR) }
        switch readRange(fd: fd, from: 0) {
        case .success(let bytes): return .contents(bytes)
        case .failure(let error): return .failed(errno: error.errno)
        }
    }

    package struct Errno: Error, Sendable { package var errno: Int32 }

    /// Reads from `offset` to the end of an open file with `pread`.
    package static func readRange(fd: Int32, from offset: Int) -> Result<[UInt8], Errno> {
        var out = [UInt8]()
        var position = offset
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(position)) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(Errno(errno: errno))
            }
            if n == 0 { return .success(out) }
            out.append(contentsOf: chunk[0..<n])
            position += n
        }
    }

    /// The user's home directory: `$HOME`, else the password database.
    package static func homeDirectory() -> String {
        if let home = getenv("HOME"), home.pointee != 0 { return String(cString: home) }
        return passwdEntry()?.home ?? "/"
    }

    /// The local user name (OpenSSH `%u`): the password database entry of the real uid, else `$USER`.
    package static func userName() -> String {
        if let name = passwdEntry()?.name { return name }
        if let user = getenv("USER") { return String(cString: user) }
        return String(getuid())
    }

    /// The local host name (OpenSSH `%l`).
    package static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `~` or `~/...` with the given home directory; other paths unchanged.
    package static func expandTilde(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") {
            return home.hasSuffix("/") ? home + path.dropFirst(2) : home + path.dropFirst(1)
        }
        return path
    }

    /// The directory part of a path (`/a/b/c` -> `/a/b`), `.` when there is none.
    package static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Creates `path` and any missing parents with `mode` (0700 for ~/.ssh). Existing ones are left alone.
    package static func makeDirectories(_ path: String, mode: UInt32) -> Int32? {
        var st = stat()
        if stat(path, &st) == 0 { return nil }
        let parent = directory(of: path)
        if parent != path, parent != ".", parent != "/" {
            if let e = makeDirectories(parent, mode: mode) { return e }
        }
        if mkdir(path, mode_t(mode)) != 0, errno != EEXIST { return errno }
        return nil
    }

    private static func passwdEntry() -> (name: String, home: String)? {
        var buffer = [CChar](repeating: 0, count: 16 << 10)
        return buffer.withUnsafeMutableBufferPointer { buf -> (name: String, home: String)? in
            var pwd = passwd()
            var result: UnsafeMutablePointer<passwd>?
            guard getpwuid_r(getuid(), &pwd, buf.baseAddress!, buf.count, &result) == 0, result != nil else {
                return nil
            }
            return (String(cString: pwd.pw_name), String(cString: pwd.pw_dir))
        }
    }
}

/// `strerror` text for an errno value.
package enum SystemError {
    package static func text(_ code: Int32) -> String {
        guard let message = strerror(code) else { return "errno \(code)" }
        return String(cString: message) + " (errno \(code))"
    }
}

extension LocalFiles {
    /// The real user id.
    package static func uid() -> UInt32 { UInt32(getuid()) }

    /// The process environment as a dictionary.
    package static func environment() -> [String: String] {
        var result = [String: String]()
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                result[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            pointer += 1
        }
        return result
    }
}
