/// What happened on one host of a fleet-wide operation. A failure is data here, never an error that
/// unwinds the rest of the fleet.
public enum HostResult<Value: Sendable>: Sendable {
    /// The work finished (the work itself decides what "failed" means for its value).
    case success(Value)
    /// No connection: unreachable, refused host key, authentication failed.
    case unreachable(any Error)
    /// Connected, but the work threw (the connection dropped, a command could not be sent).
    case failed(any Error)

    public var value: Value? {
        if case .success(let value) = self { return value }
        return nil
    }

    public var error: (any Error)? {
        switch self {
        case .success: nil
        case .unreachable(let error), .failed(let error): error
        }
    }
}

/// Runs work on many hosts at once, at most `forks` at a time, one connection per host.
public enum Fleet {
    /// Connects to every target, runs `work` over the connection, closes it, and returns the results in
    /// the targets' order. `finished` is called as each host finishes (for progress and streaming output).
    /// Cancelling the calling task cancels every host's work and closes its connection.
    public static func run<Value: Sendable>(
        _ targets: [ConnectionTarget],
        transport: any Transport,
        forks: Int,
        finished: (@Sendable (_ index: Int, _ result: HostResult<Value>) -> Void)? = nil,
        work: @escaping @Sendable (_ connection: any Connection) async throws -> Value
    ) async -> [HostResult<Value>] {
        await map(targets.indices, forks: forks, finished: finished) { index in
            let connection: any Connection
            do {
                connection = try await transport.connect(targets[index])
            } catch {
                return .unreachable(error)
            }
            do {
                let value = try await work(connection)
                await connection.close()
                return .success(value)
            } catch {
                await connection.close()
                return .failed(error)
            }
        }
    }

    /// Maps `items` with at most `width` tasks in flight, keeping the input order in the result.
    public static func map<Item: Sendable, Value: Sendable>(
        _ items: some Collection<Item>,
        forks width: Int,
        finished: (@Sendable (_ index: Int, _ value: Value) -> Void)? = nil,
        _ transform: @escaping @Sendable (Item) async -> Value
    ) async -> [Value] {
        let items = Array(items)
        guard !items.isEmpty else { return [] }
        return await withTaskGroup(of: (Int, Value).self) { group in
            var results = [Value?](repeating: nil, count: items.count)
            var next = 0
            func launch() {
                let index = next
                let item = items[index]
                next += 1
                group.addTask { (index, await transform(item)) }
            }
            while next < min(max(1, width), items.count) { launch() }
            while let (index, value) = await group.next() {
                results[index] = value
                finished?(index, value)
                if next < items.count { launch() }
            }
            return results.map { $0! }
        }
    }
}
