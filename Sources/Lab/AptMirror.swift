/// Finds the Debian mirror this machine already uses, from its apt sources (one-line `.list` files and
/// deb822 `.sources` files), so the lab fetches packages from the same place and no host name is hard-coded.
public enum AptMirror {
    /// The files read, in order.
    public static func sourceFiles(root: String = "") -> [String] {
        var files = [root + "/etc/apt/sources.list"]
        let dir = root + "/etc/apt/sources.list.d"
        for name in SmallFile.list(dir) where name.hasSuffix(".list") || name.hasSuffix(".sources") {
            files.append(dir + "/" + name)
        }
        return files
    }

    /// The URI of the first `deb` source that carries the Debian archive (a suite named after a Debian release
    /// or stable/testing/unstable, not a `-security` suite).
    public static func find(root: String = "") throws -> String {
        let files = sourceFiles(root: root)
        for file in files {
            guard let text = SmallFile.read(file) else { continue }
            let entries = file.hasSuffix(".sources") ? parseDeb822(text) : parseOneLine(text)
            if let uri = entries.first(where: isDebianArchive)?.uri { return uri }
        }
        throw LabError.noMirror(searched: files)
    }

    struct Entry: Equatable {
        var uri: String
        var suites: [String]
        var components: [String]
    }

    static let debianSuites: Set<String> = [
        "bookworm", "trixie", "bullseye", "forky", "sid", "stable", "testing", "unstable", "oldstable",
    ]

    static func isDebianArchive(_ e: Entry) -> Bool {
        e.components.contains("main") && e.suites.contains { debianSuites.contains($0) }
            && (e.uri.hasPrefix("http://") || e.uri.hasPrefix("https://"))
    }

    /// `deb [options] URI SUITE COMPONENT...` lines.
    static func parseOneLine(_ text: String) -> [Entry] {
        var out: [Entry] = []
        for raw in text.split(separator: "\n") {
            var line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            // Drop `[arch=amd64 signed-by=...]` options.
            if let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]"), open < close {
                line.removeSubrange(open...close)
            }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard words.count >= 4, words[0] == "deb" else { continue }
            out.append(Entry(uri: words[1], suites: [words[2]], components: Array(words[3...])))
        }
        return out
    }

    /// deb822 stanzas: `Types:`, `URIs:`, `Suites:`, `Components:`, `Enabled:`.
    static func parseDeb822(_ text: String) -> [Entry] {
        var out: [Entry] = []
        for stanza in text.split(separator: "\n\n", omittingEmptySubsequences: true).map(String.init)
            where !stanza.isEmpty {
            var fields: [String: [String]] = [:]
            var lastKey: String?
            for raw in stanza.split(separator: "\n") {
                let line = String(raw)
                if line.hasPrefix("#") { continue }
                if line.hasPrefix(" ") || line.hasPrefix("\t") {
                    if let lastKey { fields[lastKey, default: []] += words(line) }
                    continue
                }
                guard let colon = line.firstIndex(of: ":") else { continue }
                let key = line[..<colon].lowercased()
                fields[key] = words(String(line[line.index(after: colon)...]))
                lastKey = key
            }
            if fields["enabled"]?.first?.lowercased() == "no" { continue }
            guard fields["types"]?.contains("deb") == true else { continue }
            for uri in fields["uris"] ?? [] {
                out.append(Entry(uri: uri, suites: fields["suites"] ?? [], components: fields["components"] ?? []))
            }
        }
        return out
    }

    private static func words(_ s: String) -> [String] {
        s.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }
}
