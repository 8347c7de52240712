import Foundation
import Testing

@testable import CharRNN

/// One and several steps of each optimizer equal the numpy reference of PyTorch's update rules.
struct OptimizerTests {
    static let variants: [OptimizerSettings] = [
        OptimizerSettings(kind: .sgd, learningRate: 0.1),
        OptimizerSettings(kind: .sgd, learningRate: 0.05, momentum: 0.9),
        OptimizerSettings(kind: .adagrad, learningRate: 0.1),
        OptimizerSettings(kind: .rmsprop, learningRate: 0.01, alpha: 0.95),
        OptimizerSettings(kind: .adam, learningRate: 2e-3),
        OptimizerSettings(kind: .adam, learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6),
    ]

    /// Both code paths: the portable loops and, where the CPU has AVX-512, its kernels.
    @Test(arguments: variants, VectorKernels.available ? [false, true] : [false])
    func stepsMatchReference(_ settings: OptimizerSettings, vectorKernels: Bool) throws {
        let n = 12, steps = 4
        var random = RandomGenerator(seed: 3)
        let initial = (0..<n).map { _ in Float(random.uniformDouble() * 2 - 1) }
        let gradients = (0..<steps).map { _ in (0..<n).map { _ in Float((random.uniformDouble() * 2 - 1) * 0.5) } }

        let parameters = Buffer<Float>(count: n), g = Buffer<Float>(count: n)
        for i in 0..<n { parameters.base[i] = initial[i] }
        let optimizer = Optimizer<Float>(settings: settings, parameterCount: n, vectorKernels: vectorKernels)
        var ours: [[Float]] = []
        for step in gradients {
            for i in 0..<n { g.base[i] = step[i] }
            optimizer.update(parameters: parameters, gradients: g, learningRate: settings.learningRate)
            ours.append(parameters.array)
        }

        let reference = try NumpyReference.run("optimizer", [
            "name": settings.kind.rawValue, "lr": settings.learningRate, "momentum": settings.momentum,
            "alpha": settings.alpha, "beta1": settings.beta1, "beta2": settings.beta2, "eps": settings.epsilon,
            "params": initial.map(Double.init), "grads": gradients.map { $0.map(Double.init) },
        ])
        let expected = (reference["params"] as! [Any]).map { ($0 as! [Any]).doubles }
        for (step, (a, b)) in zip(ours, expected).enumerated() {
            let worst = zip(a, b).map { abs(Double($0) - $1) / max(1, abs($1)) }.max()!
            #expect(worst <= 2e-7, "\(settings.kind) step \(step + 1): worst relative difference \(worst)")
        }
        let slots = reference["slots"] as! [String: Any]
        #expect(Set(slots.keys) == Set(settings.slotNames))
        for (name, buffer) in optimizer.slots {
            let expectedSlot = (slots[name] as! [Any]).doubles
            let worst = zip(buffer.array, expectedSlot).map { abs(Double($0) - $1) / max(1e-3, abs($1)) }.max()!
            #expect(worst <= 1e-6, "\(settings.kind) slot \(name): worst relative difference \(worst)")
        }
        #expect(optimizer.step == steps)
    }

    /// Adam's first step moves every parameter by almost exactly the learning rate against the
    /// sign of its gradient (m / sqrt(v) = g / |g| after bias correction): a check by hand.
    @Test func adamFirstStepIsSignedLearningRate() {
        let parameters = Buffer<Float>(count: 3), g = Buffer<Float>(count: 3)
        g.base[0] = 0.5
        g.base[1] = -2
        g.base[2] = 1e-3
        let optimizer = Optimizer<Float>(settings: OptimizerSettings(kind: .adam, learningRate: 0.01), parameterCount: 3)
        optimizer.update(parameters: parameters, gradients: g, learningRate: 0.01)
        #expect(abs(parameters.base[0] + 0.01) < 1e-7)
        #expect(abs(parameters.base[1] - 0.01) < 1e-7)
        #expect(abs(parameters.base[2] + 0.01) < 1e-6)
    }

    @Test func clippingByNormAndByValue() {
        let g = Buffer<Float>(count: 2)
        g.base[0] = 3
        g.base[1] = 4
        let norm = clipGradients(g, mode: .norm, threshold: 1)
        #expect(norm == 5)
        #expect(abs(g.base[0] - 0.6) < 1e-6 && abs(g.base[1] - 0.8) < 1e-6)
        g.base[0] = 7
        g.base[1] = -9
        clipGradients(g, mode: .value, threshold: 5)
        #expect(g.base[0] == 5 && g.base[1] == -5)
        g.base[0] = 0.3
        g.base[1] = 0.4
        clipGradients(g, mode: .norm, threshold: 5)
        #expect(g.base[0] == 0.3 && g.base[1] == 0.4)
    }

    @Test func learningRateScheduleDecaysAfterTheGivenEpoch() {
        let schedule = LearningRateSchedule(base: 1, decay: 0.5, decayAfter: 2)
        #expect(schedule.rate(completedEpochs: 0) == 1)
        #expect(schedule.rate(completedEpochs: 1) == 1)
        #expect(schedule.rate(completedEpochs: 2) == 0.5)
        #expect(schedule.rate(completedEpochs: 4) == 0.125)
    }
}

extension OptimizerSettings: CustomTestStringConvertible {
    public var testDescription: String { "\(kind) lr \(learningRate) momentum \(momentum) alpha \(alpha) betas \(beta1)/\(beta2)" }
}
