import Testing

@testable import CharRNN

/// Finite-difference gradient checks of every parameter tensor and of the initial state.
///
/// Precision and tolerance: the check runs the very same generic layer code in Double. The
/// five-point stencil with step 1e-3 has a truncation error of order h^4 = 1e-12 and a rounding
/// error of order 1e-13 on these losses, so a correct gradient agrees to about 1e-9 relative
/// (elements below 1e-7 in magnitude are compared absolutely). The tolerance is 1e-6: a wrong
/// gradient (missing term, wrong gate, wrong sign, off by a factor) is off by far more than 1e-3
/// relative on some element, so it cannot pass.
struct GradientCheckTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let cell: CellKind
        let layers: Int
        let embedding: Int
        /// Threads each step is split across: by units for a batch of 2 (3 share 5 units as 1,
        /// 2, 2), by rows for a batch of 4 (2 rows each).
        let parts: Int
        let batch: Int
        var testDescription: String {
            "\(cell) \(layers) layer(s), \(embedding == 0 ? "one-hot" : "embedding \(embedding)"), \(parts) part(s) of \(batch) rows"
        }
    }

    static let cases: [Case] = CellKind.allCases.flatMap { cell in
        [(1, 0, 1, 2), (2, 0, 1, 2), (1, 3, 1, 2), (2, 3, 1, 2), (2, 0, 3, 2), (2, 3, 3, 2), (2, 0, 2, 4), (2, 3, 2, 4)].map {
            Case(cell: cell, layers: $0.0, embedding: $0.1, parts: $0.2, batch: $0.3)
        }
    }

    static let tolerance = 1e-6

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ c: Case) throws {
        let config = ModelConfig(
            cell: c.cell, layers: c.layers, hiddenSize: 5, embeddingSize: c.embedding, vocabSize: 6,
            dropout: 0)
        let batch = c.batch, steps = 4
        let network = Network<Double>(config: config)
        network.forcedParts = c.parts
        network.reserve(batch: batch, steps: steps)
        #expect(network.layers.allSatisfy { $0.parts == c.parts && $0.splitsRows == (c.batch == 4) })
        var random = RandomGenerator(seed: 7)
        // Weights larger than the default initialisation so that every nonlinearity bends.
        for i in 0..<network.parameters.count {
            network.parameters.base[i] = (random.uniformDouble() * 2 - 1) * 0.8
        }
        let initial = HiddenState<Double>(config: config, batch: batch)
        for i in 0..<initial.h.count { initial.h.base[i] = (random.uniformDouble() * 2 - 1) * 0.9 }
        if let cState = initial.c {
            for i in 0..<cState.count { cState.base[i] = (random.uniformDouble() * 2 - 1) * 0.9 }
        }
        let inputs: [Int32] = (0..<batch * steps).map { _ in Int32(random.next() % 6) }
        let targets: [Int32] = (0..<batch * steps).map { _ in Int32(random.next() % 6) }

        let state = HiddenState<Double>(config: config, batch: batch)
        func loss() -> Double {
            state.copy(from: initial)
            var unused = RandomGenerator(seed: 0)
            return network.forward(
                inputs: inputs, targets: targets, state: state, training: false, random: &unused)
        }

        state.copy(from: initial)
        network.gradients.zero()
        var unused = RandomGenerator(seed: 0)
        network.forward(inputs: inputs, targets: targets, state: state, training: true, random: &unused)
        network.backward()
        let analytic = network.gradients.array
        var initialH = [Double](), initialC = [Double]()
        for layer in network.layers {
            initialH += UnsafeBufferPointer(start: layer.hiddenGradient.base, count: batch * 5)
            if c.cell == .lstm {
                initialC += UnsafeBufferPointer(start: layer.cellGradient.base, count: batch * 5)
            }
        }

        let step = 1e-3
        func numeric(_ p: UnsafeMutablePointer<Double>) -> Double {
            let saved = p.pointee
            func at(_ k: Double) -> Double {
                p.pointee = saved + k * step
                return loss()
            }
            let derivative = (8 * (at(1) - at(-1)) - (at(2) - at(-2))) / (12 * step)
            p.pointee = saved
            return derivative
        }
        func worstRelativeError(_ analytic: [Double], _ numeric: [Double]) -> Double {
            zip(analytic, numeric).map { a, n in abs(a - n) / max(abs(a), abs(n), 1e-7) }.max() ?? 0
        }

        var report: [(String, Double)] = []
        for spec in network.table.entries {
            let numericGradient = (0..<spec.count).map { numeric(network.parameters.base + spec.offset + $0) }
            let analyticGradient = Array(analytic[spec.offset..<spec.offset + spec.count])
            #expect(analyticGradient.contains { $0 != 0 }, "\(spec.name): gradient is all zero")
            report.append((spec.name, worstRelativeError(analyticGradient, numericGradient)))
        }
        let numericH = (0..<initial.h.count).map { numeric(initial.h.base + $0) }
        report.append(("initial h", worstRelativeError(initialH, numericH)))
        if let cState = initial.c {
            let numericC = (0..<cState.count).map { numeric(cState.base + $0) }
            report.append(("initial c", worstRelativeError(initialC, numericC)))
        }

        print("gradient check \(c.testDescription):")
        for (name, error) in report {
            print("  \(name.padding(toLength: 20, withPad: " ", startingAt: 0)) worst relative error \(error)")
            #expect(error < Self.tolerance, "\(name): worst relative error \(error)")
        }
    }
}
