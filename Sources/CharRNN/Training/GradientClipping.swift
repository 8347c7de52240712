import CKernels

public enum ClipMode: String, CaseIterable, Codable, Sendable {
    /// Scale all gradients together so that their global 2-norm is at most the threshold
    /// (PyTorch's `clip_grad_norm_`).
    case norm
    /// Clamp every gradient element to [-threshold, threshold] (min-char-rnn's ±5).
    case value
}

/// Clips the gradients in place and returns their global 2-norm before clipping. A threshold of 0
/// turns clipping off.
@discardableResult
func clipGradients<S: ModelScalar>(_ gradients: Buffer<S>, mode: ClipMode, threshold: Double) -> Double {
    let g = gradients.base, n = gradients.count
    let norm = sumOfSquares(g, count: n).squareRoot()
    guard threshold > 0 else { return norm }
    switch mode {
    case .norm:
        // PyTorch: coefficient max_norm / (total_norm + 1e-6), clamped to at most 1.
        let coefficient = threshold / (norm + 1e-6)
        if coefficient < 1 {
            let c = S(coefficient)
            for i in 0..<n { g[i] *= c }
        }
    case .value:
        let high = S(threshold), low = -S(threshold)
        for i in 0..<n { g[i] = g[i] < low ? low : (g[i] > high ? high : g[i]) }
    }
    return norm
}

/// The sum of squares in double precision, in eight partial sums (element i in sum i % 8, the
/// tail in sum 0): independent chains the compiler can vectorise, and the grouping of the
/// AVX-512 kernel, which gives the same bits.
func sumOfSquares<S: ModelScalar>(
    _ g: UnsafeMutablePointer<S>, count n: Int, vectorKernels: Bool = VectorKernels.enabled
) -> Double {
    if S.self == Float.self, vectorKernels {
        return ck_sum_of_squares(n, floatView(g))
    }
    var partial = [Double](repeating: 0, count: 8)
    var i = 0
    partial.withUnsafeMutableBufferPointer { s in
        while i + 8 <= n {
            for k in 0..<8 {
                let x = Double(g[i + k])
                s[k] += x * x
            }
            i += 8
        }
        while i < n {
            let x = Double(g[i])
            s[0] += x * x
            i += 1
        }
    }
    return partial.reduce(0, +)
}

/// char-rnn's schedule: the learning rate is multiplied by `decay` at the end of every epoch
/// from epoch `decayAfter` on (so with 0.97 after 10, epoch 11 runs at 0.97 x the base rate).
public struct LearningRateSchedule: Equatable, Codable, Sendable {
    public var base: Double
    public var decay: Double
    public var decayAfter: Int

    public init(base: Double, decay: Double = 1, decayAfter: Int = 0) {
        self.base = base
        self.decay = decay
        self.decayAfter = decayAfter
    }

    /// The rate for a step taken after `completedEpochs` whole epochs. A closed form of the
    /// epoch count, so a resumed run gets the same bits.
    public func rate(completedEpochs: Int) -> Double {
        let first = Swift.max(decayAfter, 1)
        guard decay != 1, completedEpochs >= first else { return base }
        var rate = base
        for _ in 0..<(completedEpochs - first + 1) { rate *= decay }
        return rate
    }
}
