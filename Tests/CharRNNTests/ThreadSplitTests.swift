import Testing

@testable import CharRNN

/// Splitting a layer's steps across threads must not change the numbers. Split by batch rows,
/// training (loss, every gradient, the carried state and the initial state's gradient) gives the
/// same bits as one thread with our kernels, whose products do not depend on how many rows they
/// get (OpenBLAS may group a product's sums differently for fewer rows: there, the same values to
/// rounding). Split by units (batches too small to share), the forward pass gives the same bits.
struct ThreadSplitTests {
    struct Outcome {
        var values: [Float]  // loss, gradients, final state, initial state's gradient

        /// Elements whose bits differ, and the largest difference relative to the largest value.
        func compared(to other: Outcome) -> (differing: Int, relative: Double) {
            let scale = Double(values.map(\.magnitude).max() ?? 1)
            var differing = 0, worst = 0.0
            for (a, b) in zip(values, other.values) where a.bitPattern != b.bitPattern {
                differing += 1
                worst = max(worst, Double((a - b).magnitude) / scale)
            }
            return (differing, worst)
        }
    }

    static func run(_ config: ModelConfig, batch: Int, parts: Int, training: Bool) -> (Outcome, splitsRows: Bool) {
        let steps = 5
        let network = Network<Float>(config: config)
        network.forcedParts = parts
        var random = RandomGenerator(seed: 21)
        network.initialize(random: &random)
        network.reserve(batch: batch, steps: steps)
        let state = HiddenState<Float>(config: config, batch: batch)
        for i in 0..<state.h.count { state.h.base[i] = Float(random.uniformDouble() - 0.5) }
        let inputs = (0..<batch * steps).map { _ in Int32(random.next() % UInt64(config.vocabSize)) }
        let targets = (0..<batch * steps).map { _ in Int32(random.next() % UInt64(config.vocabSize)) }
        network.gradients.zero()
        let loss = network.forward(inputs: inputs, targets: targets, state: state, training: training, random: &random)
        var values = [Float(loss)] + state.h.array + (state.c?.array ?? [])
        if training {
            network.backward()
            values += network.gradients.array
            for layer in network.layers {
                values += UnsafeBufferPointer(start: layer.hiddenGradient.base, count: batch * config.hiddenSize)
            }
        }
        return (Outcome(values: values), network.layers[0].splitsRows)
    }

    @Test(arguments: CellKind.allCases)
    func splittingDoesNotChangeTheResult(_ cell: CellKind) {
        for embedding in [0, 7] {
            let config = ModelConfig(
                cell: cell, layers: 2, hiddenSize: 24, embeddingSize: embedding, vocabSize: 11, dropout: 0)
            let name = "\(cell), embedding \(embedding)"
            let (one, _) = Self.run(config, batch: 6, parts: 1, training: true)
            #expect(one.values.dropFirst().contains { $0 != 0 })
            for parts in [2, 3] {
                let (split, byRows) = Self.run(config, batch: 6, parts: parts, training: true)
                #expect(byRows, "6 rows are enough for \(parts) threads to split the batch")
                let (differing, relative) = split.compared(to: one)
                if VectorKernels.enabled {
                    #expect(differing == 0, "\(name), rows split across \(parts): \(differing) of \(one.values.count) values differ")
                } else {
                    #expect(relative < 1e-5, "\(name), rows split across \(parts): off by \(relative)")
                }
            }
            // One row cannot be shared: split by units, the forward pass is still exact.
            let (single, _) = Self.run(config, batch: 1, parts: 1, training: false)
            let (byUnits, byRows) = Self.run(config, batch: 1, parts: 3, training: false)
            #expect(!byRows)
            let (differing, _) = byUnits.compared(to: single)
            #expect(differing == 0, "\(name), units split across 3: \(differing) of \(single.values.count) values differ")
        }
    }
}
