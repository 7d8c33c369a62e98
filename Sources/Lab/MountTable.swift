/// This machine's mount table (/proc/mounts).
enum MountTable {
    /// Mount points at or below `dir`, deepest first.
    static func mountPoints(under dir: String) -> [String] {
        guard let text = SmallFile.read("/proc/self/mounts", limit: 8 << 20) else { return [] }
        let prefix = dir.hasSuffix("/") ? dir : dir + "/"
        var out: [String] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 2 else { continue }
            let point = unescape(String(fields[1]))
            if point == dir || point.hasPrefix(prefix) { out.append(point) }
        }
        return out.sorted { $0.count > $1.count }
    }

    static func isMounted(_ path: String) -> Bool { mountPoints(under: path).contains(path) }

    /// /proc/mounts escapes space, tab, newline and backslash as octal.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count,
               let v = UInt8(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
