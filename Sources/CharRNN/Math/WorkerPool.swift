import Foundation
import Synchronization

/// Runs one job on `threadCount` threads at once, the caller being thread 0, with barriers inside
/// the job. Waiting spins, so a round trip costs well under a microsecond; that is what makes it
/// worth splitting one time step of a small model across cores, where BLAS's own threads (which
/// park and wake per call) lose more than they gain. Idle workers park after a short spin so
/// they do not steal cores from BLAS between jobs. Pools live as long as the process (their
/// threads keep them), and there is one per thread count.
final class WorkerPool: @unchecked Sendable {
    let threadCount: Int
    private let started = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let barrierCount = Atomic<Int>(0)
    private let barrierGeneration = Atomic<Int>(0)
    private let parked = Atomic<Int>(0)
    private nonisolated(unsafe) var job: ((Int) -> Void)?
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    /// Spins of an idle worker before it parks (tens of microseconds).
    private static let idleSpins = 20_000
    /// Spins of a waiting thread before it starts yielding its core: when the machine is busier
    /// than our threads, the thread we wait for may need this core to make progress.
    private static let patientSpins = 2_000

    /// Spins until `done()`, yielding the core once the wait is no longer short.
    @inline(__always)
    private static func wait(until done: () -> Bool) {
        var spins = 0
        while !done() {
            spins += 1
            if spins > patientSpins { sched_yield() }
        }
    }

    init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        for index in 1..<self.threadCount {
            let thread = Thread { self.work(index) }
            thread.name = "charrnn-worker-\(index)"
            thread.start()
        }
    }

    /// The process's pool of `threads` threads, made on first use.
    nonisolated(unsafe) private static var pools: [Int: WorkerPool] = [:]
    private static let poolsLock = NSLock()
    static func pool(threads: Int) -> WorkerPool {
        poolsLock.lock()
        defer { poolsLock.unlock() }
        if let pool = pools[threads] { return pool }
        let pool = WorkerPool(threadCount: threads)
        pools[threads] = pool
        return pool
    }

    private func work(_ index: Int) {
        var seen = 0
        while true {
            var spins = 0
            while started.load(ordering: .acquiring) == seen {
                spins += 1
                if spins > Self.patientSpins { sched_yield() }
                if spins > Self.idleSpins {
                    pthread_mutex_lock(&mutex)
                    parked.add(1, ordering: .sequentiallyConsistent)
                    while started.load(ordering: .sequentiallyConsistent) == seen {
                        pthread_cond_wait(&condition, &mutex)
                    }
                    parked.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(&mutex)
                    spins = 0
                }
            }
            seen = started.load(ordering: .acquiring)
            job?(index)
            finished.add(1, ordering: .releasing)
        }
    }

    /// One job at a time: callers on different threads take turns.
    private let exclusive = NSLock()

    /// Runs `body(thread)` on every thread and returns when all are done.
    func run(_ body: (Int) -> Void) {
        if threadCount == 1 {
            body(0)
            return
        }
        exclusive.lock()
        defer { exclusive.unlock() }
        withoutActuallyEscaping(body) { escaping in
            job = escaping
            finished.store(0, ordering: .relaxed)
            started.add(1, ordering: .sequentiallyConsistent)
            if parked.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(&mutex)
                pthread_cond_broadcast(&condition)
                pthread_mutex_unlock(&mutex)
            }
            escaping(0)
            Self.wait { finished.load(ordering: .acquiring) >= threadCount - 1 }
            job = nil
        }
    }

    /// Inside a job: waits until every thread has reached the barrier.
    func barrier() {
        guard threadCount > 1 else { return }
        let generation = barrierGeneration.load(ordering: .acquiring)
        if barrierCount.add(1, ordering: .acquiringAndReleasing).newValue == threadCount {
            barrierCount.store(0, ordering: .relaxed)
            barrierGeneration.add(1, ordering: .releasing)
        } else {
            Self.wait { barrierGeneration.load(ordering: .acquiring) != generation }
        }
    }

    /// Runs `body` over contiguous shares of `0..<count`, one per thread of `BLASThreads.current`,
    /// or over all of it on the caller when `count` is below `minimum` (where splitting costs
    /// more than it saves). For element loops whose elements are independent: the split does
    /// not change any result. Not from inside a job.
    static func forEachShare(of count: Int, minimum: Int, _ body: (Range<Int>) -> Void) {
        let threads = BLASThreads.current
        guard threads > 1, count >= minimum else {
            body(0..<count)
            return
        }
        pool(threads: threads).run { part in
            let range = share(of: count, part: part, of: threads)
            if !range.isEmpty { body(range) }
        }
    }

    /// The part of `0..<count` that thread `index` of `parts` handles (contiguous, balanced).
    static func share(of count: Int, part index: Int, of parts: Int) -> Range<Int> {
        (count * index / parts)..<(count * (index + 1) / parts)
    }
}
