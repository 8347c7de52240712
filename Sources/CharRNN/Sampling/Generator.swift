/// Runs a model one step at a time for generation and scoring: B independent rows (B = 1 for
/// ordinary sampling), the one-hot input as a row lookup, the products as matrix-vector (B = 1)
/// or matrix-matrix calls, and no allocation per step.
public final class Generator: @unchecked Sendable {
    public let model: Model
    public let batch: Int
    private let network: Network<Float>
    private let config: ModelConfig
    /// Per layer, [B, H]: the running state.
    private let hidden: [Buffer<Float>]
    private let cell: [Buffer<Float>]
    private let gates: Buffer<Float>
    private let recurrentGates: Buffer<Float>
    private let tanhCell: Buffer<Float>
    private let embedded: Buffer<Float>
    private let combinedBias: [Buffer<Float>]
    /// Layer 0's W_ih transposed ([V, G*H]) for one-hot models.
    private let weightIHTransposed: Buffer<Float>
    /// [B, V]
    public let logits: Buffer<Float>

    public init(model: Model, batch: Int = 1) {
        self.model = model
        self.batch = batch
        network = model.network
        let config = model.config
        self.config = config
        let h = config.hiddenSize, g = config.cell.gateCount * h
        hidden = (0..<config.layers).map { _ in Buffer(count: batch * h) }
        cell = (0..<config.layers).map { _ in Buffer(count: config.cell.hasCellState ? batch * h : 0) }
        gates = Buffer(count: batch * g)
        recurrentGates = Buffer(count: config.cell == .gru ? batch * g : 0)
        tanhCell = Buffer(count: batch * h)
        embedded = Buffer(count: batch * config.embeddingSize)
        combinedBias = (0..<config.layers).map { _ in Buffer(count: g) }
        weightIHTransposed = Buffer(count: config.usesEmbedding ? 0 : config.vocabSize * g)
        logits = Buffer(count: batch * config.vocabSize)
        refreshWeights()
    }

    /// Re-reads the derived copies of the weights (after the model was trained further).
    public func refreshWeights() {
        let p = network.parameters.base, g = config.cell.gateCount * config.hiddenSize
        for (k, layer) in network.layers.enumerated() {
            for j in 0..<g {
                combinedBias[k].base[j] = p[layer.biasIHOffset + j] + p[layer.biasHHOffset + j]
            }
        }
        if !config.usesEmbedding {
            transpose(Matrix(p + network.layers[0].weightIHOffset, rows: g, cols: config.vocabSize),
                      into: weightIHTransposed.base)
        }
    }

    /// Back to the zero state.
    public func reset() {
        for b in hidden { b.zero() }
        for b in cell { b.zero() }
    }

    /// Feeds one token per row (`tokens` has B entries) and leaves the next-token logits in
    /// `logits` ([B, V]).
    public func step(_ tokens: UnsafePointer<Int32>) {
        let p = network.parameters.base
        let b = batch, h = config.hiddenSize, g = config.cell.gateCount * h, v = config.vocabSize
        let gateMatrix = gates.matrix(rows: b, cols: g)
        for (k, layer) in network.layers.enumerated() {
            let weightIH = Matrix(p + layer.weightIHOffset, rows: g, cols: layer.inputSize)
            let weightHH = Matrix(p + layer.weightHHOffset, rows: g, cols: h)
            let state = hidden[k].matrix(rows: b, cols: h)
            if k == 0 && !config.usesEmbedding {
                for r in 0..<b {
                    gateMatrix.row(r).update(from: weightIHTransposed.base + Int(tokens[r]) * g, count: g)
                }
            } else {
                let input: Matrix<Float>
                if k == 0 {
                    let e = config.embeddingSize
                    let encoder = p + network.table.spec("encoder.weight").offset
                    for r in 0..<b { (embedded.base + r * e).update(from: encoder + Int(tokens[r]) * e, count: e) }
                    input = embedded.matrix(rows: b, cols: e)
                } else {
                    input = hidden[k - 1].matrix(rows: b, cols: h)
                }
                gemm(input, .plain, weightIH, .transposed, into: gateMatrix)
            }
            switch config.cell {
            case .rnn:
                gemm(state, .plain, weightHH, .transposed, into: gateMatrix, beta: 1)
                RNNCell.forward(gates: gates.base, bias: combinedBias[k].base, next: state.base, batch: b, hidden: h)
            case .lstm:
                gemm(state, .plain, weightHH, .transposed, into: gateMatrix, beta: 1)
                LSTMCell.forward(
                    gates: gates.base, bias: combinedBias[k].base, previousCell: cell[k].base,
                    nextCell: cell[k].base, tanhCell: tanhCell.base, next: state.base, batch: b, hidden: h)
            case .gru:
                let recurrent = recurrentGates.matrix(rows: b, cols: g)
                gemm(state, .plain, weightHH, .transposed, into: recurrent)
                GRUCell.forward(
                    inputGates: gates.base, recurrentGates: recurrent.base, biasIH: p + layer.biasIHOffset,
                    biasHH: p + layer.biasHHOffset, previous: state.base, next: state.base, batch: b, hidden: h)
            }
        }
        let top = hidden[config.layers - 1].matrix(rows: b, cols: h)
        let decoderWeight = Matrix(p + network.table.spec("decoder.weight").offset, rows: v, cols: h)
        let out = logits.matrix(rows: b, cols: v)
        let bias = p + network.table.spec("decoder.bias").offset
        for r in 0..<b { out.row(r).update(from: bias, count: v) }
        gemm(top, .plain, decoderWeight, .transposed, into: out, beta: 1)
    }

    /// Batch-1 convenience: feeds one token, returns the logits.
    @discardableResult
    public func step(_ token: Int32) -> UnsafeBufferPointer<Float> {
        var t = token
        step(&t)
        return UnsafeBufferPointer(start: logits.base, count: config.vocabSize)
    }

    /// Sets every row's state to row `row` of `other` (a generator of the same model), for
    /// starting many samples from one primed state.
    public func broadcastState(from other: Generator, row: Int = 0) {
        let h = config.hiddenSize
        for k in 0..<config.layers {
            for r in 0..<batch {
                (hidden[k].base + r * h).update(from: other.hidden[k].base + row * h, count: h)
                if config.cell.hasCellState {
                    (cell[k].base + r * h).update(from: other.cell[k].base + row * h, count: h)
                }
            }
        }
    }

    /// Row r takes the state of row `sources[r]` (beam search keeps the states of the survivors).
    public func reorderRows(_ sources: [Int]) {
        precondition(sources.count == batch, "one source row per row")
        let h = config.hiddenSize
        for k in 0..<config.layers {
            let copiedH = hidden[k].array
            for (r, source) in sources.enumerated() {
                (hidden[k].base + r * h).update(from: Array(copiedH[source * h..<(source + 1) * h]), count: h)
            }
            if config.cell.hasCellState {
                let copiedC = cell[k].array
                for (r, source) in sources.enumerated() {
                    (cell[k].base + r * h).update(from: Array(copiedC[source * h..<(source + 1) * h]), count: h)
                }
            }
        }
    }

    /// Layer `layer`'s current hidden state h (and, for an LSTM, cell state c) of row `row`.
    public func state(layer: Int, row: Int = 0) -> (h: [Float], c: [Float]?) {
        let h = config.hiddenSize
        let hidden = Array(UnsafeBufferPointer(start: self.hidden[layer].base + row * h, count: h))
        let cellState = config.cell.hasCellState
            ? Array(UnsafeBufferPointer(start: cell[layer].base + row * h, count: h)) : nil
        return (hidden, cellState)
    }

    /// Row r's logits.
    public func logits(row r: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: logits.base + r * config.vocabSize, count: config.vocabSize)
    }
}
