import COpenBLAS
import Foundation

/// The number of threads OpenBLAS uses for its products.
///
/// Small products (a batch-1 step, a 50 x 128 x 512 recurrent step) lose more to waking and
/// waiting for a second thread than they gain, so products below `parallelThreshold`
/// multiply-adds run on one thread; so do products made on our own worker threads. OpenBLAS is
/// told only when the count it should use changes, so that loops of small products (generation)
/// never pay for switching.
public enum BLASThreads {
    /// One thread until `set` is called (OpenBLAS's own default would be every core).
    nonisolated(unsafe) static var configured = 1
    /// What OpenBLAS was last told (0: not yet).
    nonisolated(unsafe) private static var applied = 0
    nonisolated(unsafe) static var parallelThreshold =
        Int(ProcessInfo.processInfo.environment["CHARRNN_BLAS_PARALLEL_THRESHOLD"] ?? "") ?? 1 << 20

    public static func set(_ count: Int) {
        configured = max(1, count)
        use(configured)
    }

    public static var current: Int { configured }

    @inline(__always)
    private static func use(_ threads: Int) {
        if applied != threads {
            openblas_set_num_threads(Int32(threads))
            applied = threads
        }
    }

    /// Runs `body` with OpenBLAS on one thread (for products made on several threads of our own).
    @inline(__always)
    static func singleThreaded(_ body: () -> Void) {
        use(1)
        body()
    }

    /// Runs a product of `work` multiply-adds with the thread count that suits its size.
    @inline(__always)
    static func run(work: Int, _ body: () -> Void) {
        use(work < parallelThreshold ? 1 : configured)
        body()
    }
}
