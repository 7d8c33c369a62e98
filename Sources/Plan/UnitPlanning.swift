import FlotillaCore
import Facts

/// What a unit should look like; nil fields are left as they are.
struct UnitGoal {
    var masked: Bool?
    var enabled: Bool?
    var state: UnitSpec.State?
}

extension PlanBuilder {
    /// Brings a unit to a goal. A unit that a package installed earlier in this plan is planned "after X is
    /// installed"; masking works whether or not the unit exists (systemd links it to /dev/null).
    @discardableResult
    mutating func ensureUnit(_ name: String, _ goal: UnitGoal, reason: String, at position: FileLocation) throws(PlanError) -> Bool {
        let u = unit(name)
        let id = "unit[\(name)]"
        if goal.masked == true {
            guard !u.isMasked else { return false }
            var steps: [Step] = []
            if u.exists && u.activeState.isRunning { steps.append(.systemctl(verb: .stop, unit: name)) }
            if u.exists && u.fileState.isEnabled { steps.append(.systemctl(verb: .disable, unit: name)) }
            steps.append(.systemctl(verb: .mask, unit: name))
            changes.append(Change(
                action: u.exists ? .update : .create, resource: id, before: Describe.unit(u), after: "masked, inactive",
                reason: reason, steps: steps))
            units[name] = UnitFact(name: name, loadState: .masked, fileState: .masked, activeState: .inactive, subState: "dead", fragmentPath: "/dev/null")
            return true
        }
        let origin = unitOrigin[name]
        var afterInstall = origin.map { "after \($0) is installed: " } ?? ""
        if !u.exists && !u.isMasked && origin == nil {
            if let error = u.error {
                throw .cannotPlan(position, host: host, resource: id, reason: "systemctl could not describe the unit (\(error))")
            }
            guard !installed.isEmpty else {
                throw .cannotPlan(position, host: host, resource: id, reason: "systemd has no unit \(name) on this host and nothing before it in the play installs it")
            }
            afterInstall = "after \(Describe.list(installed)) \(installed.count == 1 ? "is" : "are") installed (systemd does not know \(name) yet): "
        }
        let wantsUp = goal.enabled == true || goal.state == .running || goal.state == .restarted
        var steps: [Step] = []
        var next = u.exists ? u : UnitFact(name: name, loadState: .loaded, fileState: .disabled, activeState: .inactive)
        if u.isMasked && (goal.masked == false || wantsUp) {
            steps.append(.systemctl(verb: .unmask, unit: name))
            next.loadState = .loaded
            // What the unit file state is under the mask is not known; enabling again is harmless.
            next.fileState = .disabled
        }
        let enableable = ![UnitFact.FileState.staticUnit, .indirect, .generated, .transient].contains(next.fileState)
        if goal.enabled == true && enableable && !next.fileState.isEnabled {
            steps.append(.systemctl(verb: .enable, unit: name))
            next.fileState = .enabled
        } else if goal.enabled == false && next.fileState.isEnabled {
            steps.append(.systemctl(verb: .disable, unit: name))
            next.fileState = .disabled
        }
        switch goal.state {
        case .running where !next.activeState.isRunning:
            steps.append(.systemctl(verb: .start, unit: name))
            next.activeState = .active
            next.subState = "running"
            next.conditionResult = nil
            satisfyHandlers(of: name)
        case .stopped where next.activeState.isRunning:
            steps.append(.systemctl(verb: .stop, unit: name))
            next.activeState = .inactive
            next.subState = "dead"
        case .restarted:
            steps.append(.systemctl(verb: .restart, unit: name))
            next.activeState = .active
            next.subState = "running"
            satisfyHandlers(of: name)
        default:
            break
        }
        guard !steps.isEmpty else { return false }
        changes.append(Change(
            action: u.exists || u.isMasked ? .update : .create, resource: id,
            before: origin != nil ? "not installed before this plan" : Describe.unit(u),
            after: Describe.unit(next), reason: afterInstall + reason, steps: steps))
        units[name] = next
        return true
    }
}
