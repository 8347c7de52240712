import CKernels
import Foundation

/// Whether float matrix products and the optimizer's loops run on our own AVX-512 kernels
/// (`Sources/CKernels`) instead of OpenBLAS and the portable Swift loops.
///
/// Chosen once per process from the CPU: the package is built for baseline x86-64 so that it runs
/// anywhere, and OpenBLAS may be told to use narrower kernels than the CPU has (its
/// `OPENBLAS_CORETYPE`). `CHARRNN_KERNELS=blas` in the environment turns ours off, to compare.
/// Double precision (the gradient checks) always uses BLAS and the portable loops.
public enum VectorKernels {
    public static let enabled: Bool =
        ck_avx512_available() && ProcessInfo.processInfo.environment["CHARRNN_KERNELS"] != "blas"

    /// What `enabled` would be without the environment's choice: whether this CPU can run them.
    public static var available: Bool { ck_avx512_available() }

    /// A short name of the product and loop code in use, for benchmark logs.
    public static var name: String { enabled ? "avx512" : "openblas" }
}

/// The same memory as Float, for the kernels (callers check `S.self == Float.self` first).
@inline(__always)
func floatView<S: ModelScalar>(_ p: UnsafePointer<S>) -> UnsafePointer<Float> {
    UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
}

@inline(__always)
func floatView<S: ModelScalar>(_ p: UnsafeMutablePointer<S>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}
