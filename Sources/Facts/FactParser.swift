import Foundation
import FlotillaCore

/// Reads the fact script's output into `HostFacts`. Pure: text in, typed facts out.
public enum FactParser {
    static let requiredSections = [
        "os-release", "package-manager", "init", "virtualization", "capabilities", "chrony", "packages", "units", "files",
    ]

    public static func parse(stdout: String) throws(FactsError) -> HostFacts {
        let sections = try split(stdout)
        for name in requiredSections where sections[name] == nil { throw .missingSection(name) }
        func section(_ name: String) -> [Line] { sections[name] ?? [] }

        let os = try parseOSRelease(section("os-release"))
        let tools = keyValues(section("package-manager"))
        let packageManager: PackageManager =
            !(tools["apt-get"] ?? "").isEmpty ? .apt
            : !(tools["dnf"] ?? "").isEmpty ? .dnf
            : !(tools["yum"] ?? "").isEmpty ? .yum : .unknown
        let initFields = keyValues(section("init"))
        let virt = keyValues(section("virtualization"))
        let kind = (virt["virt"] ?? "").isEmpty ? "unknown" : virt["virt"]!
        let container = virt["container"] ?? ""
        let virtualization = Virtualization(kind: kind, isContainer: !container.isEmpty && container != "none")
        let capSysTime = try parseCapSysTime(section("capabilities"))
        let chrony = keyValues(section("chrony"))["version"].flatMap(parseChronyVersion)

        return HostFacts(
            os: os,
            packageManager: packageManager,
            systemdRunning: initFields["systemd"] == "running",
            packages: try parsePackages(section("packages")),
            units: try parseUnits(section("units")),
            files: try parseFiles(section("files")),
            virtualization: virtualization,
            hasCapSysTime: capSysTime,
            chronyVersion: chrony
        )
    }

    /// A line of output with its 1-based line number in the whole output, for error messages.
    struct Line {
        var number: Int
        var text: String
    }

    static func split(_ output: String) throws(FactsError) -> [String: [Line]] {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
        guard let start = lines.firstIndex(of: FactScript.header) else {
            throw .notFactOutput(firstLine: lines.first(where: { !$0.isEmpty }) ?? "")
        }
        var sections: [String: [Line]] = [:]
        var current: String?
        var ended = false
        for index in lines.indices where index > start {
            let text = lines[index]
            if text == FactScript.endMarker { ended = true; break }
            if text.hasPrefix(FactScript.sectionMarker) {
                let name = String(text.dropFirst(FactScript.sectionMarker.count))
                current = name
                sections[name, default: []] = []
                continue
            }
            guard let name = current else {
                throw .malformedLine(section: "(none)", line: index + 1, text: text, reason: "output before the first section")
            }
            sections[name, default: []].append(Line(number: index + 1, text: text))
        }
        guard ended else { throw .truncated(lastSection: current) }
        return sections
    }

    static func keyValues(_ lines: [Line]) -> [String: String] {
        var out: [String: String] = [:]
        for line in lines {
            guard let eq = line.text.firstIndex(of: "=") else { continue }
            out[String(line.text[..<eq])] = String(line.text[line.text.index(after: eq)...])
        }
        return out
    }

    static func parseOSRelease(_ lines: [Line]) throws(FactsError) -> OSRelease {
        let fields = OSRelease.fields(lines.map(\.text).joined(separator: "\n"))
        guard let id = fields["ID"], !id.isEmpty else { throw .missingSection("os-release (no ID= line)") }
        let idLike = (fields["ID_LIKE"] ?? "").split(separator: " ").map(String.init)
        return OSRelease(id: id, versionID: fields["VERSION_ID"] ?? "", idLike: idLike, prettyName: fields["PRETTY_NAME"] ?? "")
    }

    static func parseCapSysTime(_ lines: [Line]) throws(FactsError) -> Bool {
        guard let line = lines.first(where: { $0.text.hasPrefix("CapBnd:") }) else {
            throw .missingSection("capabilities (no CapBnd: line)")
        }
        let hex = line.text.dropFirst("CapBnd:".count).trimmingWhitespace()
        guard let mask = UInt64(hex, radix: 16) else {
            throw .malformedLine(section: "capabilities", line: line.number, text: line.text, reason: "CapBnd is not a hexadecimal mask")
        }
        return mask & (1 << 25) != 0
    }

    /// `chronyd (chrony) version 4.3 (+CMDMON +NTP ...)` gives `4.3`.
    static func parseChronyVersion(_ line: String) -> String? {
        let words = line.split(separator: " ")
        guard let i = words.firstIndex(of: "version"), i + 1 < words.count else { return nil }
        return String(words[i + 1])
    }

    static func parsePackages(_ lines: [Line]) throws(FactsError) -> [String: PackageFact] {
        var out: [String: PackageFact] = [:]
        for line in lines where !line.text.isEmpty {
            let f = line.text.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4, !f[1].isEmpty else {
                throw .malformedLine(section: "packages", line: line.number, text: line.text, reason: "expected BACKEND<TAB>NAME<TAB>VERSION<TAB>STATUS")
            }
            // dpkg may print NAME:ARCH for multi-arch packages; the plan speaks of names.
            let name = f[1].split(separator: ":").first.map(String.init) ?? f[1]
            let version = f[2].isEmpty ? nil : f[2]
            let fact: PackageFact
            switch f[0] {
            case "dpkg":
                let abbrev = f[3].trimmingWhitespace()
                let status = PackageFact.status(dpkgAbbrev: abbrev)
                fact = PackageFact(name: name, status: status, version: status == .notInstalled ? nil : version, dpkgStatus: abbrev)
            case "rpm":
                fact = PackageFact(name: name, status: f[3] == "installed" ? .installed : .notInstalled, version: version)
            case "none":
                fact = PackageFact(name: name, status: .unknown)
            default:
                throw .malformedLine(section: "packages", line: line.number, text: line.text, reason: "unknown package backend '\(f[0])'")
            }
            // Several lines for one name (multi-arch, several rpm versions): keep the installed one.
            if let seen = out[name], seen.isInstalled, !fact.isInstalled { continue }
            out[name] = fact
        }
        return out
    }

    static func parseUnits(_ lines: [Line]) throws(FactsError) -> [String: UnitFact] {
        var out: [String: UnitFact] = [:]
        for (name, block) in try items(lines, marker: FactScript.unitMarker, section: "units") {
            let kv = keyValues(block)
            if let error = kv["error"] {
                var fact = UnitFact.notFound(name)
                fact.error = error
                out[name] = fact
                continue
            }
            guard let unit = UnitFact.reading(name: name, systemctlShow: kv) else {
                throw .malformedLine(section: "units", line: block.first?.number ?? 0, text: name, reason: "no LoadState for unit")
            }
            out[name] = unit
        }
        return out
    }

    static func parseFiles(_ lines: [Line]) throws(FactsError) -> [String: FileFact] {
        var out: [String: FileFact] = [:]
        for (path, block) in try items(lines, marker: FactScript.fileMarker, section: "files") {
            var fields: [String: String] = [:]
            var base64 = ""
            var inContent = false
            for line in block {
                if inContent { base64 += line.text; continue }
                if line.text == "content-base64:" { inContent = true; continue }
                guard let eq = line.text.firstIndex(of: "=") else {
                    throw .malformedLine(section: "files", line: line.number, text: line.text, reason: "expected KEY=VALUE for \(path)")
                }
                fields[String(line.text[..<eq])] = String(line.text[line.text.index(after: eq)...])
            }
            guard let stateText = fields["state"], let state = FileFact.State(rawValue: stateText) else {
                throw .malformedLine(section: "files", line: block.first?.number ?? 0, text: path, reason: "no valid state= line for file")
            }
            // A size the host printed is untrusted: digits only, and it must fit (a negative or overflowing
            // size is damage, not a file).
            var size: Int?
            if let text = fields["size"] {
                guard !text.isEmpty, text.count <= 18, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text) else {
                    throw .malformedLine(section: "files", line: block.first?.number ?? 0, text: "size=" + text, reason: "size of \(path) is not a byte count (0 to 18 digits)")
                }
                size = value
            }
            var content: [UInt8]?
            if state == .present {
                guard inContent, let data = Data(base64Encoded: base64) else {
                    throw .malformedLine(section: "files", line: block.last?.number ?? 0, text: path, reason: "file content is missing or not base64")
                }
                content = [UInt8](data)
                if let sum = fields["sha256"], Hex.encode(SHA256.hash(data)) != sum {
                    throw .malformedLine(section: "files", line: block.last?.number ?? 0, text: path, reason: "content does not match its sha256 (output damaged)")
                }
                if let size, size != data.count {
                    throw .malformedLine(section: "files", line: block.last?.number ?? 0, text: path, reason: "content has \(data.count) bytes, stat said \(size)")
                }
            }
            out[path] = FileFact(
                path: path, state: state, content: content, sha256: fields["sha256"], mode: fields["mode"],
                owner: fields["owner"], group: fields["group"], size: size,
                linkTarget: fields["link"]
            )
        }
        return out
    }

    /// Splits a section into items that each start with a marker line (`@@flotilla:unit NAME`).
    static func items(_ lines: [Line], marker: String, section: String) throws(FactsError) -> [(String, [Line])] {
        var out: [(String, [Line])] = []
        for line in lines {
            if line.text.hasPrefix(marker) {
                out.append((String(line.text.dropFirst(marker.count)), []))
            } else if out.isEmpty {
                if line.text.isEmpty { continue }
                throw .malformedLine(section: section, line: line.number, text: line.text, reason: "line before the first item")
            } else {
                out[out.count - 1].1.append(line)
            }
        }
        return out
    }
}
