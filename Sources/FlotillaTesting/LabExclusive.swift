public import Testing

/// A suite trait for suites that use the lab: there is one lab per machine (its network namespaces have
/// fixed names), so such suites, which may live in different test targets and would otherwise run in
/// parallel, run one after another. Apply it with `@Suite(.serialized, .labExclusive)`.
public struct LabExclusive: SuiteTrait, TestScoping {
    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await LabGate.shared.run(function)
    }
}

extension Trait where Self == LabExclusive {
    /// Runs the whole suite while no other lab suite runs.
    public static var labExclusive: LabExclusive { LabExclusive() }
}

/// An async mutex: waiters queue in order; nothing blocks a thread.
actor LabGate {
    static let shared = LabGate()

    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func run(_ body: @Sendable () async throws -> Void) async throws {
        await acquire()
        defer { release() }
        try await body()
    }

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
