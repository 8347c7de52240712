import CKernels

/// The right-hand operand op(B) of a product repeated many times with the same B: the recurrent
/// weights, used by every time step of a pass. With our AVX-512 kernels it is packed once into
/// the kernel's panel layout, so that a step does not repack it (about a sixth of a step's
/// product time); the result has the same bits as the unpacked product. Elsewhere (Double, or
/// OpenBLAS) it keeps the view and the products run as usual.
final class PackedOperand<S: ModelScalar> {
    private var matrix: Matrix<S>?
    private var operand = Operand.plain
    private var storage = Buffer<Float>(count: 0)
    private var packed = false
    /// Rows and columns of op(B).
    private var rows = 0, cols = 0

    /// Takes op(b) as the operand; b must not change until the next `pack`.
    func pack(_ b: Matrix<S>, _ op: Operand, vectorKernels: Bool = VectorKernels.enabled) {
        matrix = b
        operand = op
        (rows, cols) = op == .plain ? (b.rows, b.cols) : (b.cols, b.rows)
        packed = S.self == Float.self && vectorKernels
        guard packed else { return }
        let size = ck_packed_size(rows, cols)
        if storage.count < size { storage = Buffer(count: size) }
        ck_pack(op == .transposed, rows, cols, floatView(b.base), b.stride, storage.base)
    }

    /// C = op(A) * op(B) + beta * C on the calling thread.
    func multiply(_ a: Matrix<S>, _ opA: Operand, into c: Matrix<S>, beta: S = 0) {
        let (m, k) = opA == .plain ? (a.rows, a.cols) : (a.cols, a.rows)
        guard let matrix else { preconditionFailure("multiply before pack") }
        // One row is a matrix-vector product, which reads B in place.
        guard packed, m > 1 else {
            gemm(a, opA, matrix, operand, into: c, beta: beta, caller: true)
            return
        }
        precondition(
            k == rows && m == c.rows && cols == c.cols,
            "gemm shapes: op(A) \(m)x\(k), op(B) \(rows)x\(cols), C \(c.rows)x\(c.cols)")
        ck_sgemm_packed(
            opA == .transposed, m, cols, k, 1, floatView(a.base), a.stride, storage.base,
            Float(beta), floatView(c.base), c.stride)
    }
}
