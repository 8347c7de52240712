import CKernels
import Foundation
import Testing

@testable import CharRNN

/// The AVX-512 kernels against independent results: the matrix product against a double-precision
/// triple loop, the optimizer loops against the portable Swift loops bit for bit. They run where
/// the CPU has AVX-512 (the programs use BLAS and the portable loops elsewhere).
@Suite(.enabled(if: VectorKernels.available, "this CPU has no AVX-512: the programs use BLAS and the portable loops"))
struct VectorKernelTests {
    /// Shapes around the kernel's blocks (6 rows, 64 columns, 256-deep slices, 512-wide panels),
    /// every combination of transposes, with row strides wider than the rows, alpha and beta.
    @Test func productsEqualADoublePrecisionLoop() {
        var random = RandomGenerator(seed: 11)
        let sizes = [1, 5, 6, 7, 16, 63, 64, 65, 129, 257, 513]
        var worst = 0.0, cases = 0, gapsTouched = 0
        for _ in 0..<120 {
            let m = sizes[random.below(sizes.count)], n = sizes[random.below(sizes.count)]
            let k = sizes[random.below(sizes.count)]
            let transA = random.below(2) == 1, transB = random.below(2) == 1
            let alpha: Float = random.below(3) == 0 ? 0.75 : 1
            let beta: Float = [0, 1, -0.5][random.below(3)]
            let lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 1, ldc = n + 5
            let a = (0..<(transA ? k : m) * lda).map { _ in Float(random.uniformDouble() * 2 - 1) }
            let b = (0..<(transB ? n : k) * ldb).map { _ in Float(random.uniformDouble() * 2 - 1) }
            // beta 0 must not read C: NaN there must not leak into the result.
            var c = (0..<m * ldc).map { _ in beta == 0 ? Float.nan : Float(random.uniformDouble() * 2 - 1) }
            let before = c
            ck_sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, &c, ldc)
            for i in 0..<m {
                for j in 0..<ldc {
                    let got = Double(c[i * ldc + j])
                    guard j < n else {  // the stride's gap is left alone
                        if got.bitPattern != Double(before[i * ldc + j]).bitPattern { gapsTouched += 1 }
                        continue
                    }
                    var sum = 0.0
                    for p in 0..<k {
                        sum += Double(transA ? a[p * lda + i] : a[i * lda + p]) * Double(transB ? b[j * ldb + p] : b[p * ldb + j])
                    }
                    let expected = Double(alpha) * sum + (beta == 0 ? 0 : Double(beta) * Double(before[i * ldc + j]))
                    worst = max(worst, abs(got - expected) / Double(k).squareRoot())
                }
            }
            cases += 1
        }
        print("ck_sgemm, \(cases) products: worst error / sqrt(k) \(worst)")
        // float32 sums of k products of numbers below 1 in size: rounding grows like sqrt(k) * 2^-24.
        #expect(worst < 2e-6)
        #expect(gapsTouched == 0, "elements between the rows of C were written")
    }

    /// A right-hand operand packed once (the recurrent weights of every step) gives the very bits
    /// of the product that packs it itself, across several K slices and column panels, with
    /// strides, both orientations of A and B, alpha and beta; and the same through
    /// `PackedOperand` (which multiplies single rows as matrix-vector products).
    @Test func packedProductsEqualTheUnpackedProduct() {
        var random = RandomGenerator(seed: 13)
        var compared = 0, differing = 0
        for (m, n, k) in [(1, 1, 1), (2, 64, 7), (5, 65, 256), (25, 512, 128), (50, 513, 257), (7, 1030, 600)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    for (alpha, beta): (Float, Float) in [(1, 0), (1, 1), (0.75, -0.5)] {
                        let lda = (transA ? m : k) + 2, ldb = (transB ? k : n) + 3, ldc = n + 1
                        let a = (0..<(transA ? k : m) * lda).map { _ in Float(random.uniformDouble() * 2 - 1) }
                        let b = (0..<(transB ? n : k) * ldb).map { _ in Float(random.uniformDouble() * 2 - 1) }
                        let start = (0..<m * ldc).map { _ in Float(random.uniformDouble() * 2 - 1) }
                        var expected = start, got = start
                        ck_sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, &expected, ldc)
                        let packed = Buffer<Float>(count: ck_packed_size(k, n))  // 64-byte aligned
                        ck_pack(transB, k, n, b, ldb, packed.base)
                        ck_sgemm_packed(transA, m, n, k, alpha, a, lda, packed.base, beta, &got, ldc)
                        compared += got.count
                        differing += zip(got, expected).filter { $0.bitPattern != $1.bitPattern }.count
                    }
                }
            }
        }
        #expect(compared > 100_000)
        #expect(differing == 0, "\(differing) of \(compared) elements differ from ck_sgemm")

        // Through PackedOperand: C += A * W^T with W [n, k], as a recurrent step uses it.
        let (m, n, k) = (9, 130, 70)
        let a = Buffer<Float>(count: m * k), w = Buffer<Float>(count: n * k)
        for i in 0..<a.count { a.base[i] = Float(random.uniformDouble() * 2 - 1) }
        for i in 0..<w.count { w.base[i] = Float(random.uniformDouble() * 2 - 1) }
        let operand = PackedOperand<Float>()
        operand.pack(w.matrix(rows: n, cols: k), .transposed, vectorKernels: true)
        for rows in [m, 1] {
            let expected = Buffer<Float>(count: rows * n), got = Buffer<Float>(count: rows * n)
            for i in 0..<got.count { got.base[i] = Float(i % 7) / 7; expected.base[i] = got.base[i] }
            gemm(a.matrix(rows: rows, cols: k), .plain, w.matrix(rows: n, cols: k), .transposed,
                 into: expected.matrix(rows: rows, cols: n), beta: 1, caller: true)
            operand.multiply(a.matrix(rows: rows, cols: k), .plain, into: got.matrix(rows: rows, cols: n), beta: 1)
            #expect(got.array.map(\.bitPattern) == expected.array.map(\.bitPattern), "\(rows) row(s)")
        }
    }

    /// Matrix-vector products (batch-1 steps and generation), both orientations, against a
    /// double-precision loop; beta 0 must not read y.
    @Test func matrixVectorProductsEqualADoublePrecisionLoop() {
        var random = RandomGenerator(seed: 12)
        var worst = 0.0
        for (m, n) in [(1, 1), (7, 9), (8, 16), (9, 17), (77, 100), (130, 257), (512, 2048)] {
            for trans in [false, true] {
                for beta: Float in [0, 1, 0.5] {
                    let lda = n + 3
                    let a = (0..<m * lda).map { _ in Float(random.uniformDouble() * 2 - 1) }
                    let x = (0..<(trans ? m : n)).map { _ in Float(random.uniformDouble() * 2 - 1) }
                    let start = (0..<(trans ? n : m)).map { _ in beta == 0 ? Float.nan : Float(random.uniformDouble()) }
                    var y = start
                    ck_sgemv(trans, m, n, 0.5, a, lda, x, beta, &y)
                    for i in 0..<y.count {
                        var sum = 0.0
                        for p in 0..<x.count { sum += Double(trans ? a[p * lda + i] : a[i * lda + p]) * Double(x[p]) }
                        let expected = 0.5 * sum + (beta == 0 ? 0 : Double(beta) * Double(start[i]))
                        worst = max(worst, abs(Double(y[i]) - expected) / Double(x.count).squareRoot())
                    }
                }
            }
        }
        print("ck_sgemv: worst error / sqrt(k) \(worst)")
        #expect(worst < 2e-6)
    }

    @Test func adamGivesThePortableLoopsBits() {
        for n in [1, 15, 16, 17, 100, 25_400] {
            var random = RandomGenerator(seed: UInt64(n))
            let start = (0..<n).map { _ in Float(random.uniformDouble() * 2 - 1) }
            let steps = (0..<3).map { _ in (0..<n).map { _ in Float((random.uniformDouble() * 2 - 1) * 0.1) } }
            var results: [[Float]] = []
            for vectorKernels in [false, true] {
                let parameters = Buffer<Float>(count: n), g = Buffer<Float>(count: n)
                parameters.base.update(from: start, count: n)
                let settings = OptimizerSettings(kind: .adam, learningRate: 2e-3)
                let optimizer = Optimizer<Float>(settings: settings, parameterCount: n, vectorKernels: vectorKernels)
                #expect(optimizer.vectorKernels == vectorKernels)
                for step in steps {
                    g.base.update(from: step, count: n)
                    optimizer.update(parameters: parameters, gradients: g, learningRate: 2e-3)
                }
                results.append(parameters.array + optimizer.slots.flatMap { $0.buffer.array })
            }
            let differing = zip(results[0], results[1]).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing == 0, "n = \(n): \(differing) of \(results[0].count) values differ")
            #expect(results[0] != start + [Float](repeating: 0, count: 2 * n), "n = \(n): nothing moved")
        }
    }

    @Test func sumOfSquaresGivesThePortableLoopsBits() {
        var random = RandomGenerator(seed: 5)
        for n in [0, 1, 7, 8, 9, 33, 25_400] {
            let values = Buffer<Float>(count: n)
            for i in 0..<n { values.base[i] = Float((random.uniformDouble() * 2 - 1) * 3) }
            let portable = sumOfSquares(values.base, count: n, vectorKernels: false)
            let vector = sumOfSquares(values.base, count: n, vectorKernels: true)
            #expect(portable.bitPattern == vector.bitPattern, "n = \(n): \(portable) vs \(vector)")
            let exact = (0..<n).reduce(0.0) { $0 + Double(values.base[$1]) * Double(values.base[$1]) }
            #expect(abs(portable - exact) <= 1e-12 * max(1, exact), "n = \(n)")
        }
    }
}

extension VectorKernelTests {
    /// The gate activations and the softmax's exponential on 16 lanes give FastMath's bits: across the range, at the branch
    /// points (|x| = 0.625, the clamps at -87 and 88) and for zeros and infinities; NaN stays NaN.
    @Test func activationsGiveFastMathsBits() {
        var random = RandomGenerator(seed: 8)
        var inputs: [Float] = [0, -0, 0.625, -0.625, Float(0.625).nextUp, Float(-0.625).nextDown, -87, 88, -88, 89, 1e-30, -1e-40,
                               .infinity, -.infinity, .nan, .greatestFiniteMagnitude, -.leastNormalMagnitude]
        for scale in [0.01, 1, 10, 100] {
            inputs += (0..<4000).map { _ in Float((random.uniformDouble() * 2 - 1) * scale) }
        }
        var logistic = inputs, tanh = [Float](repeating: 0, count: inputs.count), exp = tanh
        ck_logistic(logistic.count, &logistic)
        ck_tanh(inputs.count, inputs, &tanh)
        ck_exp(inputs.count, inputs, &exp)
        var differing: [Float] = []
        // NaN in, NaN out (its sign bit may differ, as SSE and AVX-512 pass NaN operands on differently).
        func same(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || a.isNaN && b.isNaN }
        for (j, x) in inputs.enumerated() {
            if !same(logistic[j], FastMath.sigmoid(x)) || !same(tanh[j], FastMath.tanh(x)) || !same(exp[j], FastMath.exp(x)) {
                differing.append(x)
            }
        }
        #expect(differing.isEmpty, "\(differing.count) inputs differ, first \(differing.prefix(5))")
        #expect(tanh[0] == 0 && logistic[0] == 0.5 && tanh[14].isNaN && logistic[14].isNaN)
    }
}

extension VectorKernelTests {
    /// The fused LSTM backward row gives the three Swift loops' bits, for widths around 16.
    @Test func lstmBackwardGivesThePortableLoopsBits() {
        var random = RandomGenerator(seed: 21)
        for h in [1, 15, 16, 17, 40] {
            let batch = 3, stateStride = h + 2, gateStride = 4 * h + 3
            func values(_ count: Int, _ range: ClosedRange<Double>) -> [Float] {
                (0..<count).map { _ in Float(range.lowerBound + random.uniformDouble() * (range.upperBound - range.lowerBound)) }
            }
            let outputGradient = values(batch * stateStride, -1...1), carried = values(batch * stateStride, -1...1)
            let gates = values(batch * gateStride, 0...1), previousCell = values(batch * stateStride, -2...2)
            let tanhCell = values(batch * stateStride, -1...1), cellStart = values(batch * stateStride, -1...1)
            var results: [[Float]] = []
            for vectorKernels in [false, true] {
                var cell = cellStart, gateGradients = [Float](repeating: 0, count: batch * gateStride)
                LSTMCell.backward(
                    outputGradient: outputGradient, hiddenGradient: carried, cellGradient: &cell, gates: gates,
                    previousCell: previousCell, tanhCell: tanhCell, gateGradients: &gateGradients, batch: batch,
                    hidden: h, stateStride: stateStride, gateStride: gateStride, vectorKernels: vectorKernels)
                results.append(cell + gateGradients)
            }
            let differing = zip(results[0], results[1]).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing == 0, "h = \(h): \(differing) of \(results[0].count) values differ")
            #expect(results[0] != cellStart + [Float](repeating: 0, count: batch * gateStride), "h = \(h): nothing computed")
        }
    }
}

extension VectorKernelTests {
    /// The fused LSTM forward row gives the portable passes' bits, also with the cell state
    /// updated in place (as generation does).
    @Test(arguments: [false, true])
    func lstmForwardGivesThePortableLoopsBits(inPlace: Bool) {
        var random = RandomGenerator(seed: 22)
        for h in [1, 15, 16, 17, 40] {
            let batch = 3, stateStride = h + 2, gateStride = 4 * h + 3
            func values(_ count: Int, _ scale: Double) -> [Float] {
                (0..<count).map { _ in Float((random.uniformDouble() * 2 - 1) * scale) }
            }
            let gatesStart = values(batch * gateStride, 6), bias = values(4 * h, 1)
            let previousCell = values(batch * stateStride, 2)
            var results: [[Float]] = []
            for vectorKernels in [false, true] {
                var gates = gatesStart, cell = inPlace ? previousCell : [Float](repeating: 0, count: batch * stateStride)
                var tanhCell = [Float](repeating: 0, count: batch * stateStride), next = tanhCell
                if inPlace {
                    cell.withUnsafeMutableBufferPointer { c in
                        LSTMCell.forward(
                            gates: &gates, bias: bias, previousCell: c.baseAddress!, nextCell: c.baseAddress!,
                            tanhCell: &tanhCell, next: &next, batch: batch, hidden: h, stateStride: stateStride,
                            gateStride: gateStride, vectorKernels: vectorKernels)
                    }
                } else {
                    LSTMCell.forward(
                        gates: &gates, bias: bias, previousCell: previousCell, nextCell: &cell, tanhCell: &tanhCell,
                        next: &next, batch: batch, hidden: h, stateStride: stateStride, gateStride: gateStride,
                        vectorKernels: vectorKernels)
                }
                results.append(gates + cell + tanhCell + next)
            }
            let differing = zip(results[0], results[1]).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing == 0, "h = \(h): \(differing) of \(results[0].count) values differ")
            #expect(results[0].contains { $0 != 0 } && results[0] != results[0].map { _ in results[0][0] })
        }
    }
}

extension RandomGenerator {
    fileprivate mutating func below(_ count: Int) -> Int { Int(next() % UInt64(count)) }
}
