import CKernels
import Foundation

public enum OptimizerKind: String, CaseIterable, Codable, Sendable {
    case sgd, adagrad, rmsprop, adam

    /// PyTorch's state names for the per-parameter slots.
    public func slotNames(momentum: Double) -> [String] {
        switch self {
        case .sgd: momentum != 0 ? ["momentum_buffer"] : []
        case .adagrad: ["sum"]
        case .rmsprop: ["square_avg"]
        case .adam: ["exp_avg", "exp_avg_sq"]
        }
    }

    /// PyTorch's default epsilon for the optimizer.
    public var defaultEpsilon: Double {
        switch self {
        case .adagrad: 1e-10
        default: 1e-8
        }
    }
}

/// Hyper-parameters with PyTorch's meaning and defaults.
public struct OptimizerSettings: Equatable, Codable, Sendable {
    public var kind: OptimizerKind
    public var learningRate: Double
    /// SGD momentum (0 = plain SGD).
    public var momentum: Double
    /// RMSprop smoothing constant.
    public var alpha: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double

    public init(
        kind: OptimizerKind, learningRate: Double, momentum: Double = 0, alpha: Double = 0.99,
        beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double? = nil
    ) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.alpha = alpha
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon ?? kind.defaultEpsilon
    }

    public var slotNames: [String] { kind.slotNames(momentum: momentum) }

    public func validate() throws(ConfigurationError) {
        func check(_ ok: Bool, _ message: String) throws(ConfigurationError) {
            if !ok { throw ConfigurationError(message) }
        }
        try check(learningRate > 0 && learningRate.isFinite, "the learning rate must be positive (got \(learningRate))")
        try check(momentum >= 0 && momentum < 1, "momentum must be at least 0 and below 1 (got \(momentum))")
        try check(alpha >= 0 && alpha < 1, "alpha must be at least 0 and below 1 (got \(alpha))")
        try check(beta1 >= 0 && beta1 < 1, "beta1 must be at least 0 and below 1 (got \(beta1))")
        try check(beta2 >= 0 && beta2 < 1, "beta2 must be at least 0 and below 1 (got \(beta2))")
        try check(epsilon > 0, "epsilon must be positive (got \(epsilon))")
    }
}

/// PyTorch's update rules (single-tensor code path, no weight decay), applied to the whole flat
/// parameter buffer at once. The element operations follow PyTorch's order of evaluation.
///
/// Square roots are taken of `.magnitude`: the sums of squares are never negative, so the value
/// is the same, but the compiler then knows the argument cannot be negative and emits a plain
/// vector square root instead of a call to libm's `sqrtf` (kept for its errno), which keeps the
/// loops from vectorising.
final class Optimizer<S: ModelScalar> {
    let settings: OptimizerSettings
    /// Completed steps (PyTorch's `state['step']`).
    var step: Int = 0
    /// One flat buffer per slot, laid out like the parameters.
    let slots: [(name: String, buffer: Buffer<S>)]

    /// Float Adam steps run on the AVX-512 kernel (the same operations, so the same bits).
    let vectorKernels: Bool

    init(settings: OptimizerSettings, parameterCount: Int, vectorKernels: Bool = VectorKernels.enabled) {
        self.settings = settings
        slots = settings.slotNames.map { ($0, Buffer<S>(count: parameterCount)) }
        self.vectorKernels = vectorKernels && S.self == Float.self
    }

    /// 16-element vectors of parameters from which an update is split across threads.
    static var parallelVectors: Int { 4096 }

    func slot(_ name: String) -> Buffer<S>? { slots.first { $0.name == name }?.buffer }

    func update(parameters: Buffer<S>, gradients: Buffer<S>, learningRate: Double) {
        step += 1
        let n = parameters.count
        let p = parameters.base, g = gradients.base
        switch settings.kind {
        case .sgd:
            let lr = S(learningRate)
            if let buffer = slot("momentum_buffer")?.base {
                let mu = S(settings.momentum)
                for i in 0..<n {
                    buffer[i] = buffer[i] * mu + g[i]
                    p[i] = p[i] + -lr * buffer[i]
                }
            } else {
                for i in 0..<n { p[i] = p[i] + -lr * g[i] }
            }
        case .adagrad:
            let sum = slot("sum")!.base
            let value = S(-learningRate), eps = S(settings.epsilon)
            for i in 0..<n {
                sum[i] = sum[i] + g[i] * g[i]
                p[i] = p[i] + value * g[i] / (sum[i].magnitude.squareRoot() + eps)
            }
        case .rmsprop:
            let average = slot("square_avg")!.base
            let alpha = S(settings.alpha), oneMinusAlpha = S(1 - settings.alpha)
            let value = S(-learningRate), eps = S(settings.epsilon)
            for i in 0..<n {
                average[i] = average[i] * alpha + oneMinusAlpha * g[i] * g[i]
                p[i] = p[i] + value * g[i] / (average[i].magnitude.squareRoot() + eps)
            }
        case .adam:
            let m = slot("exp_avg")!.base, v = slot("exp_avg_sq")!.base
            let t = Double(step)
            let biasCorrection1 = 1 - pow(settings.beta1, t)
            let biasCorrection2 = 1 - pow(settings.beta2, t)
            let stepSize = S(-(learningRate / biasCorrection1))
            let correction2Root = S(biasCorrection2.squareRoot())
            let weight = S(1 - settings.beta1), beta2 = S(settings.beta2)
            let oneMinusBeta2 = S(1 - settings.beta2), eps = S(settings.epsilon)
            if vectorKernels {  // the same operations, 16 at a time, on every thread
                func float(_ x: S) -> Float { Float(x) }
                WorkerPool.forEachShare(of: n / 16, minimum: Self.parallelVectors) { vectors in
                    let start = vectors.lowerBound * 16
                    let end = vectors.upperBound == n / 16 ? n : vectors.upperBound * 16
                    ck_adam(end - start, floatView(p + start), floatView(g + start), floatView(m + start),
                            floatView(v + start), float(weight), float(beta2), float(oneMinusBeta2),
                            float(stepSize), float(correction2Root), float(eps))
                }
                return
            }
            for i in 0..<n {
                m[i] = m[i] + weight * (g[i] - m[i])  // lerp with weight 1 - beta1 < 0.5
                v[i] = v[i] * beta2 + oneMinusBeta2 * g[i] * g[i]
                let denominator = v[i].magnitude.squareRoot() / correction2Root + eps
                p[i] = p[i] + stepSize * m[i] / denominator
            }
        }
    }
}
