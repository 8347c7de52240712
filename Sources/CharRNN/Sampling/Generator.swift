/// Runs a model one step at a time for generation: B independent rows (B = 1 for ordinary
/// sampling), nothing allocated per step.
///
/// The work of a step is split across the cores by hidden units: each thread owns a contiguous
/// range of units of every layer and a copy of the weight rows of those units (all gates), laid
/// out so that one matrix-vector product of [W_ih | W_hh] with [x ; h] gives all its gates; it
/// then runs the gate math for its units. Threads meet at a spin barrier after each layer and
/// split the decoder's rows the same way. The one-hot input is a row lookup in a transposed copy
/// of W_ih. Small models run on one thread, where a barrier would cost more than it saves.
public final class Generator: @unchecked Sendable {
    public let model: Model
    public let batch: Int
    private let network: Network<Float>
    private let config: ModelConfig
    private let pool: WorkerPool
    private let parts: Int
    private var layers: [LayerPlan] = []
    private let decoderParts: [Range<Int>]
    private let decoderWeight: Buffer<Float>
    private let decoderBias: Buffer<Float>
    private var parity = 0
    private var tokenScratch: [Int32]
    private let encoderOffset: Int?
    /// [B, V]: the next-token logits after each step.
    public let logits: Buffer<Float>

    /// Below this many multiply-adds per step, one thread is faster than two.
    static let parallelWork = 150_000

    /// One layer: its input-and-state rows (twice, alternating per step), its cell state, and the
    /// threads' parts.
    struct LayerPlan {
        let inputSize: Int  // in_k, 0 for the one-hot layer 0
        let width: Int  // inputSize + H: a row is [input | h]
        let rows: [Buffer<Float>]  // two [B, width] buffers
        let cell: Buffer<Float>  // [B, width], cell state in the h columns (LSTM)
        var parts: [PartPlan]
    }

    struct PartPlan {
        let units: Range<Int>
        /// rnn/lstm: [G*u, width], rows (gate g, unit j) = [W_ih | W_hh] rows g*H + j (for the
        /// one-hot layer: W_hh rows only). gru: W_hh rows only, [3u, H].
        let weights: Buffer<Float>
        /// gru, dense input: W_ih rows [3u, in].
        let inputWeights: Buffer<Float>
        /// rnn/lstm: b_ih + b_hh of the part's rows; gru: b_ih and b_hh.
        let bias: Buffer<Float>
        let recurrentBias: Buffer<Float>
        /// One-hot layer 0: [V, G*u], row v = W_ih[rows of the part, v].
        let lookup: Buffer<Float>
        let gates: Buffer<Float>  // [B, G*u]
        let recurrentGates: Buffer<Float>  // gru: [B, 3u]
        let tanhCell: Buffer<Float>  // lstm: [B, width] (rows as wide as the state rows)
    }

    /// `threads` overrides the choice made from the model's size and `BLASThreads.current`
    /// (tests compare the one- and many-thread paths with it).
    public convenience init(model: Model, batch: Int = 1) {
        self.init(model: model, batch: batch, threads: nil)
    }

    init(model: Model, batch: Int, threads: Int?) {
        self.model = model
        self.batch = batch
        network = model.network
        let config = model.config
        self.config = config
        let h = config.hiddenSize, g = config.cell.gateCount
        var work = config.vocabSize * h
        for k in 0..<config.layers { work += g * h * (k == 0 && !config.usesEmbedding ? h : config.inputSize(ofLayer: k) + h) }
        let chosen = threads ?? (work * batch >= Self.parallelWork ? BLASThreads.current : 1)
        let parts = max(1, min(chosen, h))
        pool = WorkerPool.pool(threads: parts)
        self.parts = parts
        let v = config.vocabSize
        decoderParts = (0..<parts).map { WorkerPool.share(of: v, part: $0, of: parts) }
        decoderWeight = Buffer(count: v * h)
        decoderBias = Buffer(count: v)
        encoderOffset = model.network.table["encoder.weight"]?.offset
        tokenScratch = Array(repeating: 0, count: batch)
        logits = Buffer(count: batch * v)
        for k in 0..<config.layers {
            let inputSize = k == 0 && !config.usesEmbedding ? 0 : config.inputSize(ofLayer: k)
            let width = inputSize + h
            var partPlans: [PartPlan] = []
            for p in 0..<parts {
                let units = WorkerPool.share(of: h, part: p, of: parts)
                let u = units.count
                let gru = config.cell == .gru
                partPlans.append(PartPlan(
                    units: units,
                    weights: Buffer(count: g * u * (gru ? h : width)),
                    inputWeights: Buffer(count: gru && inputSize > 0 ? g * u * inputSize : 0),
                    bias: Buffer(count: g * u), recurrentBias: Buffer(count: gru ? g * u : 0),
                    lookup: Buffer(count: inputSize == 0 ? v * g * u : 0),
                    gates: Buffer(count: batch * g * u), recurrentGates: Buffer(count: gru ? batch * g * u : 0),
                    tanhCell: Buffer(count: batch * width)))
            }
            layers.append(LayerPlan(
                inputSize: inputSize, width: width, rows: [Buffer(count: batch * width), Buffer(count: batch * width)],
                cell: Buffer(count: config.cell.hasCellState ? batch * width : 0), parts: partPlans))
        }
        refreshWeights()
    }

    /// Re-reads the weights into the threads' layouts (after the model was trained further).
    public func refreshWeights() {
        let p = network.parameters.base, h = config.hiddenSize, g = config.cell.gateCount, v = config.vocabSize
        for (k, layer) in network.layers.enumerated() {
            let plan = layers[k]
            let weightIH = p + layer.weightIHOffset, weightHH = p + layer.weightHHOffset
            let biasIH = p + layer.biasIHOffset, biasHH = p + layer.biasHHOffset
            let inputColumns = layer.inputSize
            for part in plan.parts {
                let u = part.units.count
                for gate in 0..<g {
                    for (offset, unit) in part.units.enumerated() {
                        let source = gate * h + unit, row = gate * u + offset
                        switch config.cell {
                        case .gru:
                            (part.weights.base + row * h).update(from: weightHH + source * h, count: h)
                            if plan.inputSize > 0 {
                                (part.inputWeights.base + row * inputColumns).update(from: weightIH + source * inputColumns, count: inputColumns)
                            }
                            part.bias.base[row] = biasIH[source]
                            part.recurrentBias.base[row] = biasHH[source]
                        case .rnn, .lstm:
                            let target = part.weights.base + row * plan.width
                            if plan.inputSize > 0 { target.update(from: weightIH + source * inputColumns, count: inputColumns) }
                            (target + plan.inputSize).update(from: weightHH + source * h, count: h)
                            part.bias.base[row] = biasIH[source] + biasHH[source]
                        }
                        if plan.inputSize == 0 {
                            for token in 0..<v { part.lookup.base[token * g * u + row] = weightIH[source * v + token] }
                        }
                    }
                }
            }
        }
        decoderWeight.base.update(from: p + network.table.spec("decoder.weight").offset, count: v * h)
        decoderBias.base.update(from: p + network.table.spec("decoder.bias").offset, count: v)
    }

    /// Back to the zero state.
    public func reset() {
        for plan in layers {
            plan.rows[0].zero()
            plan.rows[1].zero()
            plan.cell.zero()
        }
    }

    /// C[B, n] = A[B, k] * W[n, k]^T (+ C when `accumulate`), single-threaded BLAS.
    @inline(__always)
    private func product(
        _ a: UnsafePointer<Float>, lda: Int, _ w: UnsafePointer<Float>, n: Int, k: Int,
        into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        guard n > 0 && k > 0 else { return }
        if batch == 1 {
            Float.blasGemv(trans: false, m: n, n: k, alpha: 1, a: w, lda: k, x: a, incx: 1, beta: accumulate ? 1 : 0, y: c, incy: 1)
        } else {
            Float.blasGemm(transA: false, transB: true, m: batch, n: n, k: k, alpha: 1, a: a, lda: lda, b: w, ldb: k,
                           beta: accumulate ? 1 : 0, c: c, ldc: ldc)
        }
    }

    /// Feeds one token per row (`tokens` has B entries) and leaves the next-token logits in
    /// `logits` ([B, V]).
    public func step(_ tokens: UnsafePointer<Int32>) {
        let current = parity, next = 1 - parity
        if let encoderOffset {
            let e = config.embeddingSize, plan = layers[0]
            let encoder = network.parameters.base + encoderOffset
            for r in 0..<batch { (plan.rows[current].base + r * plan.width).update(from: encoder + Int(tokens[r]) * e, count: e) }
        }
        BLASThreads.singleThreaded { pool.run { stepPart($0, tokens, current: current, next: next) } }
        parity = next
    }

    /// One thread's share of a step: its units of every layer (the threads meet after each layer),
    /// then its rows of the decoder.
    private func stepPart(_ thread: Int, _ tokens: UnsafePointer<Int32>, current: Int, next: Int) {
        let h = config.hiddenSize, g = config.cell.gateCount, v = config.vocabSize, b = batch
        for k in 0..<layers.count {
            if k > 0 { pool.barrier() }  // a no-op for a one-thread pool
            guard thread < parts else { continue }
            let plan = layers[k], part = plan.parts[thread]
            let u = part.units.count, first = part.units.lowerBound
            let rows = plan.rows[current].base, newRows = plan.rows[next].base
            let gates = part.gates.base
            if plan.inputSize == 0 {
                for r in 0..<b { (gates + r * g * u).update(from: part.lookup.base + Int(tokens[r]) * g * u, count: g * u) }
            }
            switch config.cell {
            case .rnn, .lstm:
                if plan.inputSize == 0 {
                    product(rows, lda: plan.width, part.weights.base, n: g * u, k: h, into: gates, ldc: g * u, accumulate: true)
                } else {
                    product(rows, lda: plan.width, part.weights.base, n: g * u, k: plan.width, into: gates, ldc: g * u, accumulate: false)
                }
                if config.cell == .rnn {
                    RNNCell.forward(gates: gates, bias: part.bias.base, next: newRows + plan.inputSize + first,
                                    batch: b, hidden: u, stateStride: plan.width, gateStride: g * u)
                } else {
                    let c = plan.cell.base + plan.inputSize + first
                    LSTMCell.forward(gates: gates, bias: part.bias.base, previousCell: c, nextCell: c,
                                     tanhCell: part.tanhCell.base, next: newRows + plan.inputSize + first,
                                     batch: b, hidden: u, stateStride: plan.width, gateStride: g * u)
                }
            case .gru:
                if plan.inputSize > 0 {
                    product(rows, lda: plan.width, part.inputWeights.base, n: g * u, k: plan.inputSize, into: gates, ldc: g * u, accumulate: false)
                }
                product(rows + plan.inputSize, lda: plan.width, part.weights.base, n: g * u, k: h,
                        into: part.recurrentGates.base, ldc: g * u, accumulate: false)
                GRUCell.forward(inputGates: gates, recurrentGates: part.recurrentGates.base, biasIH: part.bias.base,
                                biasHH: part.recurrentBias.base, previous: rows + plan.inputSize + first,
                                next: newRows + plan.inputSize + first, batch: b, hidden: u, stateStride: plan.width,
                            gateStride: g * u)
            }
            if k + 1 < layers.count {
                // This layer's new h is the next layer's input in this step.
                let target = layers[k + 1].rows[current].base, targetWidth = layers[k + 1].width
                for r in 0..<b {
                    (target + r * targetWidth + first).update(from: newRows + r * plan.width + plan.inputSize + first, count: u)
                }
            }
        }
        pool.barrier()
        guard thread < parts else { return }
        let top = layers[layers.count - 1]
        let vocabulary = decoderParts[thread]
        let out = logits.base + vocabulary.lowerBound
        for r in 0..<b { (out + r * v).update(from: decoderBias.base + vocabulary.lowerBound, count: vocabulary.count) }
        product(top.rows[next].base + top.inputSize, lda: top.width, decoderWeight.base + vocabulary.lowerBound * h,
                n: vocabulary.count, k: h, into: out, ldc: v, accumulate: true)
    }

    /// Batch-1 convenience: feeds one token, returns the logits.
    @discardableResult
    public func step(_ token: Int32) -> UnsafeBufferPointer<Float> {
        tokenScratch[0] = token
        tokenScratch.withUnsafeBufferPointer { step($0.baseAddress!) }
        return UnsafeBufferPointer(start: logits.base, count: config.vocabSize)
    }

    /// Row r's logits.
    public func logits(row r: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: logits.base + r * config.vocabSize, count: config.vocabSize)
    }

    private func hiddenRow(_ k: Int, _ r: Int) -> UnsafeMutablePointer<Float> {
        layers[k].rows[parity].base + r * layers[k].width + layers[k].inputSize
    }

    private func cellRow(_ k: Int, _ r: Int) -> UnsafeMutablePointer<Float> {
        layers[k].cell.base + r * layers[k].width + layers[k].inputSize
    }

    /// Sets every row's state to row `row` of `other` (a generator of the same model), for
    /// starting many samples from one primed state.
    public func broadcastState(from other: Generator, row: Int = 0) {
        let h = config.hiddenSize
        for k in 0..<config.layers {
            for r in 0..<batch {
                hiddenRow(k, r).update(from: other.hiddenRow(k, row), count: h)
                if config.cell.hasCellState { cellRow(k, r).update(from: other.cellRow(k, row), count: h) }
            }
        }
    }

    /// Row r takes the state of row `sources[r]` (beam search keeps the states of the survivors).
    public func reorderRows(_ sources: [Int]) {
        precondition(sources.count == batch, "one source row per row")
        let h = config.hiddenSize
        for k in 0..<config.layers {
            let savedH = (0..<batch).map { Array(UnsafeBufferPointer(start: hiddenRow(k, $0), count: h)) }
            let savedC = config.cell.hasCellState ? (0..<batch).map { Array(UnsafeBufferPointer(start: cellRow(k, $0), count: h)) } : []
            for (r, source) in sources.enumerated() {
                hiddenRow(k, r).update(from: savedH[source], count: h)
                if config.cell.hasCellState { cellRow(k, r).update(from: savedC[source], count: h) }
            }
        }
    }

    /// Layer `layer`'s current hidden state h (and, for an LSTM, cell state c) of row `row`.
    public func state(layer: Int, row: Int = 0) -> (h: [Float], c: [Float]?) {
        let h = config.hiddenSize
        let hidden = Array(UnsafeBufferPointer(start: hiddenRow(layer, row), count: h))
        let cellState = config.cell.hasCellState ? Array(UnsafeBufferPointer(start: cellRow(layer, row), count: h)) : nil
        return (hidden, cellState)
    }
}
