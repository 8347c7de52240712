import CKernels
import COpenBLAS
import Foundation

/// The floating-point types the model core computes in: `Float` for training and generation,
/// `Double` for finite-difference gradient checks. The same generic layer code runs for both, so
/// the gradients proven in double precision are the gradients used in single precision.
public protocol ModelScalar: BinaryFloatingPoint, Sendable
where Self.RawSignificand: FixedWidthInteger {
    /// C = alpha * op(A) * op(B) + beta * C on row-major matrices. The corresponding C function is
    /// `cblas_sgemm` / `cblas_dgemm` (Float: `ck_sgemm` where our AVX-512 kernels are enabled).
    static func blasGemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// y = alpha * op(A) * x + beta * y on a row-major matrix. The corresponding C function is
    /// `cblas_sgemv` / `cblas_dgemv` (Float: `ck_sgemv` where our AVX-512 kernels are enabled).
    static func blasGemv(
        trans: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        x: UnsafePointer<Self>, incx: Int, beta: Self, y: UnsafeMutablePointer<Self>, incy: Int)

    /// x[j] = logistic(x[j]), y[j] = tanh(x[j]) and y[j] = e^x[j] (x may be y) for j < count: the
    /// gate loops' activations and the softmax's exponentials. Float uses the AVX-512 kernels
    /// where they are enabled, which give the same bits.
    static func logistic(_ x: UnsafeMutablePointer<Self>, count: Int)
    static func hyperbolicTangent(_ x: UnsafePointer<Self>, into y: UnsafeMutablePointer<Self>, count: Int)
    static func exponential(_ x: UnsafePointer<Self>, into y: UnsafeMutablePointer<Self>, count: Int)

    static func exponential(_ x: Self) -> Self
    static func logarithm(_ x: Self) -> Self
    static func hyperbolicTangent(_ x: Self) -> Self
    static func logistic(_ x: Self) -> Self
}

extension Float: ModelScalar {
    public static func blasGemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if VectorKernels.enabled {
            ck_sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    public static func blasGemv(
        trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, incx: Int, beta: Float, y: UnsafeMutablePointer<Float>, incy: Int
    ) {
        if VectorKernels.enabled, incx == 1, incy == 1 {
            ck_sgemv(trans, m, n, alpha, a, lda, x, beta, y)
            return
        }
        cblas_sgemv(
            CblasRowMajor, trans ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a,
            Int32(lda), x, Int32(incx), beta, y, Int32(incy))
    }

    public static func logistic(_ x: UnsafeMutablePointer<Float>, count: Int) {
        if VectorKernels.enabled { return ck_logistic(count, x) }
        for j in 0..<count { x[j] = FastMath.sigmoid(x[j]) }
    }

    public static func hyperbolicTangent(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        if VectorKernels.enabled { return ck_tanh(count, x, y) }
        for j in 0..<count { y[j] = FastMath.tanh(x[j]) }
    }

    public static func exponential(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        if VectorKernels.enabled { return ck_exp(count, x, y) }
        for j in 0..<count { y[j] = FastMath.exp(x[j]) }
    }

    @inlinable @inline(__always)
    public static func exponential(_ x: Float) -> Float { FastMath.exp(x) }
    @inlinable @inline(__always)
    public static func logarithm(_ x: Float) -> Float { Foundation.log(x) }
    @inlinable @inline(__always)
    public static func hyperbolicTangent(_ x: Float) -> Float { FastMath.tanh(x) }
    @inlinable @inline(__always)
    public static func logistic(_ x: Float) -> Float { FastMath.sigmoid(x) }
}

extension Double: ModelScalar {
    @inlinable
    public static func blasGemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    @inlinable
    public static func blasGemv(
        trans: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        x: UnsafePointer<Double>, incx: Int, beta: Double, y: UnsafeMutablePointer<Double>, incy: Int
    ) {
        cblas_dgemv(
            CblasRowMajor, trans ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), alpha, a,
            Int32(lda), x, Int32(incx), beta, y, Int32(incy))
    }

    public static func logistic(_ x: UnsafeMutablePointer<Double>, count: Int) {
        for j in 0..<count { x[j] = logistic(x[j]) }
    }

    public static func hyperbolicTangent(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, count: Int) {
        for j in 0..<count { y[j] = hyperbolicTangent(x[j]) }
    }

    public static func exponential(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>, count: Int) {
        for j in 0..<count { y[j] = exponential(x[j]) }
    }

    // Double precision is for gradient checks: exact libm functions, speed does not matter.
    @inlinable public static func exponential(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable public static func logarithm(_ x: Double) -> Double { Foundation.log(x) }
    @inlinable public static func hyperbolicTangent(_ x: Double) -> Double { Foundation.tanh(x) }
    @inlinable public static func logistic(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
}
