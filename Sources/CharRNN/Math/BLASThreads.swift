import COpenBLAS
import Foundation

/// The number of threads OpenBLAS uses for its products.
///
/// Small products (a batch-1 step, a 50 x 128 x 512 recurrent step) lose more to waking and
/// waiting for a second thread than they gain, so products below `parallelThreshold`
/// multiply-adds run on one thread.
public enum BLASThreads {
    /// One thread until `set` is called (OpenBLAS is told so before the first product, as its own
    /// default is every core).
    nonisolated(unsafe) static var configured = 1
    private static let applyDefault: Void = { openblas_set_num_threads(1) }()
    nonisolated(unsafe) static var parallelThreshold =
        Int(ProcessInfo.processInfo.environment["CHARRNN_BLAS_PARALLEL_THRESHOLD"] ?? "") ?? 1 << 20

    public static func set(_ count: Int) {
        _ = applyDefault
        configured = max(1, count)
        openblas_set_num_threads(Int32(configured))
    }

    public static var current: Int { configured }

    /// Runs `body` with OpenBLAS on one thread (for products made on several threads of our own).
    @inline(__always)
    static func singleThreaded(_ body: () -> Void) {
        _ = applyDefault
        if configured > 1 {
            openblas_set_num_threads(1)
            body()
            openblas_set_num_threads(Int32(configured))
        } else {
            body()
        }
    }

    /// Runs a product of `work` multiply-adds with the thread count that suits its size.
    @inline(__always)
    static func run(work: Int, _ body: () -> Void) {
        _ = applyDefault
        if configured > 1 && work < parallelThreshold {
            openblas_set_num_threads(1)
            body()
            openblas_set_num_threads(Int32(configured))
        } else {
            body()
        }
    }
}
