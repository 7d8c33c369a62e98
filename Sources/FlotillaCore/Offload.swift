import Foundation
import Synchronization

/// Dedicated threads for work that blocks (file reads, DNS, key decryption, process spawning), so that it
/// never runs on the Swift cooperative pool, whose threads (one per core) must never wait.
public final class BlockingPool: Sendable {
    /// The process-wide pool. Threads start on first use.
    public static let shared = BlockingPool(threads: 4, name: "flotilla-blocking")

    private struct State {
        var queue: [@Sendable () -> Void] = []
        var started = false
    }

    private let state = Mutex(State())
    private let condition = NSCondition()
    private let threadCount: Int
    private let name: String

    public init(threads: Int, name: String) {
        self.threadCount = max(1, threads)
        self.name = name
    }

    /// Runs `work` on one of the pool's threads and returns its result to the awaiting task.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            submit {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    /// Runs non-throwing `work` on one of the pool's threads.
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            submit { continuation.resume(returning: work()) }
        }
    }

    /// Queues `work` without waiting for it.
    public func submit(_ work: @escaping @Sendable () -> Void) {
        let mustStart = state.withLock { state -> Bool in
            state.queue.append(work)
            defer { state.started = true }
            return !state.started
        }
        if mustStart { startThreads() }
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    private func startThreads() {
        for index in 0..<threadCount {
            let thread = Thread { [self] in self.workLoop() }
            thread.name = "\(name)-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func workLoop() {
        while true {
            condition.lock()
            var job = state.withLock { $0.queue.isEmpty ? nil : $0.queue.removeFirst() }
            while job == nil {
                condition.wait()
                job = state.withLock { $0.queue.isEmpty ? nil : $0.queue.removeFirst() }
            }
            condition.unlock()
            job?()
        }
    }
}

/// Runs blocking `work` off the cooperative pool (on `BlockingPool.shared`).
public func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await BlockingPool.shared.run(work)
}
