import COpenBLAS
import Foundation

/// How many threads the matrix products use.
///
/// OpenBLAS itself always runs on one thread: products large enough to gain from more are split
/// by rows (or columns) across our own worker threads (`gemm`), and the recurrent steps are
/// split across them by hidden units. OpenBLAS's own threads would otherwise keep spinning for a
/// while after every threaded product and take the cores our workers need between them.
public enum BLASThreads {
    /// One thread until `set` is called.
    nonisolated(unsafe) static var configured = 1
    /// Products of fewer multiply-adds run on the calling thread: splitting costs more.
    nonisolated(unsafe) static var parallelThreshold =
        Int(ProcessInfo.processInfo.environment["CHARRNN_BLAS_PARALLEL_THRESHOLD"] ?? "") ?? 1 << 20
    private static let singleThreadedBLAS: Void = { openblas_set_num_threads(1) }()

    public static func set(_ count: Int) {
        _ = singleThreadedBLAS
        configured = max(1, count)
    }

    public static var current: Int { configured }

    /// Makes sure OpenBLAS runs on the calling thread only (once per process).
    @inline(__always)
    static func prepare() { _ = singleThreadedBLAS }

    /// Runs `body`, whose products are made on the calling thread (kept for the call sites that
    /// run inside our own worker threads).
    @inline(__always)
    static func singleThreaded(_ body: () -> Void) {
        prepare()
        body()
    }
}
