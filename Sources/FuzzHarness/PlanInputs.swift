import Foundation
import Plan

enum PlanInputs {
    /// Loads a playbook as `flotilla plan` does and asks each play for the facts it needs.
    static func playbook(_ input: [UInt8]) {
        guard let book = try? Playbook.parse(yaml: String(decoding: input, as: UTF8.self), file: "fuzz.yml") else { return }
        for play in book.plays {
            _ = try? play.factRequest(vars: [:], host: "web1")
            _ = try? play.variables(for: "web1", inventory: [:])
        }
    }

    /// Reads a saved plan as `flotilla apply --plan` does, and renders it.
    static func savedPlan(_ input: [UInt8]) {
        guard let file = try? PlanFile.decode(Data(input), file: "fuzz.plan") else { return }
        _ = PlanRenderer.text(file.plans)
        _ = file.staleHosts(current: [:])
    }
}
