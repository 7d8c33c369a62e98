import CLibSSH2
import Foundation
import Synchronization

/// One dedicated thread running an epoll loop. Every libssh2 call of a session happens on its loop's thread,
/// so nothing blocking ever reaches the Swift cooperative pool.
///
/// Sockets are registered one-shot: a session re-arms exactly the directions libssh2 asks for after each
/// step, so an always-writable socket never spins the loop.
final class EventLoop: @unchecked Sendable {
    /// Something the loop calls back when its file descriptor is ready or its timer is due. Confined to the loop.
    typealias Handler = (UInt32) -> Void

    private let epollFD: Int32
    private let wakeFD: Int32
    private let inboxLock = NSLock()
    private var inbox: [() -> Void] = []
    private let index: Int
    /// The buffer every read on this loop's thread goes through.
    let readBuffer = ReadBuffer()

    // Loop-thread state.
    private var handlers: [Int32: Handler] = [:]
    private var timers = TimerHeap()
    private var threadID: pthread_t?

    init(index: Int) {
        self.index = index
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(epollFD >= 0 && wakeFD >= 0, "epoll/eventfd unavailable: errno \(errno)")
        var event = flotilla_epoll_event(EPOLLIN.rawValue, UInt64(UInt32(bitPattern: wakeFD)))
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
        let thread = Thread { [self] in self.run() }
        thread.name = "flotilla-ssh-\(index)"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// True on this loop's own thread.
    var inLoop: Bool {
        guard let threadID else { return false }
        return pthread_equal(threadID, pthread_self()) != 0
    }

    /// Runs `work` on the loop thread, soon. Safe from any thread.
    func execute(_ work: @escaping () -> Void) {
        inboxLock.lock()
        inbox.append(work)
        let wasEmpty = inbox.count == 1
        inboxLock.unlock()
        if wasEmpty {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
    }

    // MARK: Loop-thread API

    /// Watches `fd` for `events` (EPOLLIN / EPOLLOUT), one shot. Loop thread only.
    func watch(_ fd: Int32, events: UInt32, handler: @escaping Handler) {
        assert(inLoop)
        let oneShot = events | EPOLLONESHOT.rawValue | EPOLLRDHUP.rawValue
        var event = flotilla_epoll_event(oneShot, UInt64(UInt32(bitPattern: fd)))
        handlers[fd] = handler
        // MOD first (the usual re-arm); ADD when the kernel no longer knows the descriptor (first use, or a
        // number reused after a close, which removes it from epoll by itself).
        if epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event) != 0, errno == ENOENT {
            epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
        }
    }

    /// Stops watching `fd`. Call before closing it. Loop thread only.
    func unwatch(_ fd: Int32) {
        assert(inLoop)
        if handlers.removeValue(forKey: fd) != nil {
            epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
        }
    }

    /// Calls `action` on the loop thread at `deadline` unless cancelled first. Loop thread only.
    @discardableResult
    func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping () -> Void) -> TimerID {
        assert(inLoop)
        return timers.insert(deadline: deadline, action: action)
    }

    func cancel(_ timer: TimerID?) {
        assert(inLoop)
        if let timer { timers.cancel(timer) }
    }

    // MARK: The loop

    private func run() {
        threadID = pthread_self()
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        while true {
            let timeout = timers.millisecondsUntilNext(now: .now)
            let count = epoll_wait(epollFD, events, Int32(capacity), timeout)
            if count < 0 {
                if errno == EINTR { continue }
                preconditionFailure("epoll_wait failed: errno \(errno)")
            }
            for i in 0..<Int(count) {
                let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: flotilla_epoll_token(events + i)))
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                    continue
                }
                handlers[fd]?(events[i].events)
            }
            for action in timers.popDue(now: .now) { action() }
            inboxLock.lock()
            let work = inbox
            inbox.removeAll(keepingCapacity: true)
            inboxLock.unlock()
            for job in work { job() }
        }
    }
}

/// Identifies a scheduled timer so it can be cancelled.
struct TimerID: Hashable {
    fileprivate let value: UInt64
}

/// A min-heap of deadlines. Cancelled timers are dropped lazily when they reach the top.
struct TimerHeap {
    private var heap: [(deadline: ContinuousClock.Instant, id: UInt64)] = []
    private var actions: [UInt64: () -> Void] = [:]
    private var nextID: UInt64 = 0

    mutating func insert(deadline: ContinuousClock.Instant, action: @escaping () -> Void) -> TimerID {
        nextID += 1
        actions[nextID] = action
        heap.append((deadline, nextID))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent].deadline <= heap[child].deadline { break }
            heap.swapAt(parent, child)
            child = parent
        }
        return TimerID(value: nextID)
    }

    mutating func cancel(_ id: TimerID) {
        actions[id.value] = nil
    }

    mutating func millisecondsUntilNext(now: ContinuousClock.Instant) -> Int32 {
        while let top = heap.first, actions[top.id] == nil { popTop() }
        guard let top = heap.first else { return -1 }
        let remaining = now.duration(to: top.deadline)
        if remaining <= .zero { return 0 }
        let ms = remaining.seconds * 1000
        return Int32(min(ms.rounded(.up), 60_000))
    }

    /// Removes the timers that are due and returns their actions, to be run outside this mutating access
    /// (an action may schedule or cancel timers).
    mutating func popDue(now: ContinuousClock.Instant) -> [() -> Void] {
        var due: [() -> Void] = []
        while let top = heap.first, top.deadline <= now {
            popTop()
            if let action = actions.removeValue(forKey: top.id) { due.append(action) }
        }
        return due
    }

    private mutating func popTop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

/// The loops sessions are spread over, one per core by default, started on first use.
final class EventLoopGroup: Sendable {
    static let shared = EventLoopGroup(count: max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4)))

    private let loops: [EventLoop]
    private let next = Atomic<Int>(0)

    init(count: Int) {
        LibSSH2.initializeOnce()
        loops = (0..<count).map { EventLoop(index: $0) }
    }

    func nextLoop() -> EventLoop {
        let n = next.add(1, ordering: .relaxed).oldValue
        return loops[n % loops.count]
    }
}
