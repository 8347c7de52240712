/// Owned, zero-initialised, 64-byte aligned storage. Buffers are allocated once per model or
/// workspace and never inside the time loop.
public final class Buffer<Scalar: ModelScalar>: @unchecked Sendable {
    public let count: Int
    public let base: UnsafeMutablePointer<Scalar>

    public init(count: Int) {
        precondition(count >= 0, "negative buffer size")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Scalar>.stride, alignment: 64)
        base = raw.bindMemory(to: Scalar.self, capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }

    public func zero() { base.update(repeating: 0, count: count) }

    public func copy(from other: Buffer<Scalar>) {
        precondition(other.count == count, "buffer sizes differ: \(other.count) vs \(count)")
        base.update(from: other.base, count: count)
    }

    public var array: [Scalar] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// A rows x cols row-major view starting `offset` elements in.
    public func matrix(rows: Int, cols: Int, offset: Int = 0) -> Matrix<Scalar> {
        precondition(offset >= 0 && offset + rows * cols <= count, "view outside buffer")
        return Matrix(base + offset, rows: rows, cols: cols)
    }
}

/// A non-owning row-major matrix view: `rows` x `cols`, consecutive rows `stride` elements apart.
public struct Matrix<Scalar: ModelScalar> {
    public let base: UnsafeMutablePointer<Scalar>
    public let rows: Int
    public let cols: Int
    public let stride: Int

    @inlinable
    public init(_ base: UnsafeMutablePointer<Scalar>, rows: Int, cols: Int, stride: Int? = nil) {
        self.base = base
        self.rows = rows
        self.cols = cols
        self.stride = stride ?? cols
    }

    @inlinable public var count: Int { rows * cols }

    @inlinable
    public func row(_ r: Int) -> UnsafeMutablePointer<Scalar> { base + r * stride }

    /// Rows [start, start + count) as a view of their own.
    @inlinable
    public func rows(_ start: Int, count: Int) -> Matrix {
        Matrix(base + start * stride, rows: count, cols: cols, stride: stride)
    }

    @inlinable
    public subscript(r: Int, c: Int) -> Scalar {
        get { base[r * stride + c] }
        nonmutating set { base[r * stride + c] = newValue }
    }
}

public enum Operand { case plain, transposed }

/// C = alpha * op(A) * op(B) + beta * C, with the shapes checked before BLAS sees them.
///
/// Products of at least `BLASThreads.parallelThreshold` multiply-adds are split across
/// `BLASThreads.current` worker threads: by rows of C when it has enough of them, else by
/// columns; each thread calls single-threaded BLAS on its block. `caller`: the product runs on the
/// calling thread (inside our own worker threads).
func gemm<S: ModelScalar>(
    _ a: Matrix<S>, _ opA: Operand, _ b: Matrix<S>, _ opB: Operand, into c: Matrix<S>,
    alpha: S = 1, beta: S = 0, caller: Bool = false
) {
    let (m, k) = opA == .plain ? (a.rows, a.cols) : (a.cols, a.rows)
    let (kb, n) = opB == .plain ? (b.rows, b.cols) : (b.cols, b.rows)
    precondition(
        k == kb && m == c.rows && n == c.cols,
        "gemm shapes: op(A) \(m)x\(k), op(B) \(kb)x\(n), C \(c.rows)x\(c.cols)")
    if m == 0 || n == 0 { return }
    if k == 0 {
        if beta != 1 { scaleRows(c, by: beta) }
        return
    }
    BLASThreads.prepare()
    let threads = BLASThreads.current
    guard !caller, threads > 1, m * n * k >= BLASThreads.parallelThreshold else {
        blockProduct(a, opA, b, opB, into: c, alpha: alpha, beta: beta)
        return
    }
    let byRows = m >= 8 * threads
    WorkerPool.pool(threads: threads).run { part in
        if byRows {
            let rows = WorkerPool.share(of: m, part: part, of: threads)
            guard !rows.isEmpty else { return }
            let aPart = opA == .plain
                ? a.rows(rows.lowerBound, count: rows.count)
                : Matrix(a.base + rows.lowerBound, rows: a.rows, cols: rows.count, stride: a.stride)
            blockProduct(aPart, opA, b, opB, into: c.rows(rows.lowerBound, count: rows.count), alpha: alpha, beta: beta)
        } else {
            let columns = WorkerPool.share(of: n, part: part, of: threads)
            guard !columns.isEmpty else { return }
            let bPart = opB == .plain
                ? Matrix(b.base + columns.lowerBound, rows: b.rows, cols: columns.count, stride: b.stride)
                : b.rows(columns.lowerBound, count: columns.count)
            let cPart = Matrix(c.base + columns.lowerBound, rows: c.rows, cols: columns.count, stride: c.stride)
            blockProduct(a, opA, bPart, opB, into: cPart, alpha: alpha, beta: beta)
        }
    }
}

/// One BLAS call on the calling thread (a matrix-vector product for a single row).
@inline(__always)
private func blockProduct<S: ModelScalar>(
    _ a: Matrix<S>, _ opA: Operand, _ b: Matrix<S>, _ opB: Operand, into c: Matrix<S>, alpha: S, beta: S
) {
    let (m, k) = opA == .plain ? (a.rows, a.cols) : (a.cols, a.rows)
    let n = c.cols
    if m == 1 {
        // A single row (batch-1 steps): a matrix-vector product is the cheaper BLAS call.
        S.blasGemv(
            trans: opB == .plain, m: b.rows, n: b.cols, alpha: alpha, a: b.base, lda: b.stride,
            x: a.base, incx: opA == .plain ? 1 : a.stride, beta: beta, y: c.base, incy: 1)
    } else {
        S.blasGemm(
            transA: opA == .transposed, transB: opB == .transposed, m: m, n: n, k: k,
            alpha: alpha, a: a.base, lda: a.stride, b: b.base, ldb: b.stride, beta: beta,
            c: c.base, ldc: c.stride)
    }
}

@inline(__always)
func scaleRows<S: ModelScalar>(_ c: Matrix<S>, by factor: S) {
    for r in 0..<c.rows {
        let p = c.row(r)
        for j in 0..<c.cols { p[j] = factor == 0 ? 0 : p[j] * factor }
    }
}

/// Adds the column sums of `a` (rows x cols) into `sums` (cols), for `columns` (default: all).
@inline(__always)
func addColumnSums<S: ModelScalar>(of a: Matrix<S>, columns: Range<Int>? = nil, into sums: UnsafeMutablePointer<S>) {
    let columns = columns ?? 0..<a.cols
    for r in 0..<a.rows {
        let p = a.row(r)
        for j in columns { sums[j] += p[j] }
    }
}
