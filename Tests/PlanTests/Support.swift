import Facts
import Foundation
import Plan

/// Paths of the repository's files, found from this source file (the fact fixtures live with FactsTests,
/// the shipped playbooks in Playbooks/).
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func facts(_ name: String) throws -> HostFacts {
        let url = root.appendingPathComponent("Tests/FactsTests/Fixtures/\(name).txt")
        return try FactParser.parse(stdout: String(contentsOf: url, encoding: .utf8))
    }

    static func playbook(_ name: String) throws -> Playbook {
        try Playbook.load(path: root.appendingPathComponent("Playbooks/\(name)").path)
    }
}

/// The lab inventory's variables (the lab writes them; the values below are the ones it uses).
let labVars: [String: String] = [
    "vpc_subnet": "10.88.0.0/24",
    "timemaster_address": "10.88.0.10",
    "time_upstream": "169.254.169.123",
]

extension HostPlan {
    var resources: [String] { changes.map { "\($0.action.symbol) \($0.resource)" } }
    func change(_ resource: String) -> Change? { changes.first { $0.resource == resource } }
    /// Every step of the plan, in order.
    var steps: [Step] { changes.flatMap(\.steps) }
    /// The content the plan writes to `path`, if it writes it.
    func written(_ path: String) -> String? {
        for step in steps.reversed() {
            if case .writeFile(let p, let content, _, _, _, _) = step, p == path { return content }
        }
        return nil
    }
}

/// What a host looks like after a successful apply of `plan`, built from the plan's own writes and the
/// states the playbook asks for: used to check that a second plan is empty.
func convergedFacts(_ facts: HostFacts, after plan: HostPlan, chronyUnit: String, removed: [String]) -> HostFacts {
    var f = facts
    for name in removed { f.packages[name] = .absent(name) }
    f.packages["chrony"] = PackageFact(name: "chrony", status: .installed, version: "4.3-2+deb12u1", dpkgStatus: "ii")
    f.units["systemd-timesyncd.service"] = UnitFact(name: "systemd-timesyncd.service", loadState: .masked, fileState: .masked, activeState: .inactive, fragmentPath: "/dev/null")
    f.units[chronyUnit] = UnitFact(name: chronyUnit, loadState: .loaded, fileState: .enabled, activeState: .active, subState: "running", conditionResult: true)
    for step in plan.steps {
        switch step {
        case .writeFile(let path, let content, let mode, let owner, let group, _):
            f.files[path] = FileFact(path: path, state: .present, content: Array(content.utf8), mode: String(mode.drop { $0 == "0" }), owner: owner, group: group)
        case .removeFile(let path, _):
            f.files[path] = .absent(path)
        default:
            break
        }
    }
    return f
}

/// Facts as the fact script would report them for `request`: whatever `facts` does not mention is absent.
func gathered(_ facts: HostFacts, for request: FactRequest) -> HostFacts {
    var f = facts
    for p in request.packages where f.packages[p] == nil { f.packages[p] = .absent(p) }
    for u in request.units where f.units[u] == nil { f.units[u] = .notFound(u) }
    for path in request.files where f.files[path] == nil { f.files[path] = .absent(path) }
    return f
}
