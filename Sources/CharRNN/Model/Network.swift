/// Multiply-adds of one recurrent step below which one thread is faster than several.
let parallelStepWork = 250_000
/// Rows of a batch from which the softmax is split across threads.
let parallelSoftmaxRows = 256

/// The whole model: input encoding (one-hot lookup or embedding), stacked recurrent layers with
/// dropout between them and before the decoder, the linear decoder and the mean cross-entropy.
///
/// Parameters and gradients each live in one flat buffer laid out by the `ParameterTable`.
/// `forward` and `backward` are a pair: backward uses what the training forward kept.
final class Network<S: ModelScalar> {
    let config: ModelConfig
    let table: ParameterTable
    let parameters: Buffer<S>
    let gradients: Buffer<S>
    let layers: [RecurrentLayer<S>]

    private let encoderOffset: Int?
    private let decoderWeightOffset: Int
    private let decoderBiasOffset: Int

    private(set) var batch = 0
    private(set) var steps = 0
    /// [T*B, E]: the embedded input (embedding models only), and its gradient.
    private var embedded = Buffer<S>(count: 0)
    private var embeddedGradient = Buffer<S>(count: 0)
    /// Per layer, [T*B, H]: dropout masks (0 or 1/(1-p)) and the masked outputs (dropout only).
    private var dropoutMasks: [Buffer<S>] = []
    private var droppedOutputs: [Buffer<S>] = []
    /// Per layer, [T*B, H]: the loss gradient of the layer's (masked) output.
    private var outputGradients: [Buffer<S>] = []
    /// [T*B, V]: logits, and the softmax probabilities (their gradient after backward).
    private(set) var logits = Buffer<S>(count: 0)
    private var probabilities = Buffer<S>(count: 0)
    /// [T*B]: each row's cross-entropy, added up in order after the rows were computed in parallel.
    private var rowLosses = Buffer<Double>(count: 0)
    private var tokens = [Int32]()
    private var targets = [Int32]()
    private var usedDropout = false
    /// Tests set this to run the many-thread path whatever the machine.
    var forcedParts: Int?
    private var forwardDone = false

    convenience init(config: ModelConfig) {
        let table = ParameterTable(config: config)
        self.init(config: config, parameters: Buffer(count: table.totalCount), gradients: Buffer(count: table.totalCount))
    }

    /// A second network over the same parameters, with a workspace of its own (for evaluation
    /// beside training, or scoring beside generation). It has no gradients.
    convenience init(sharing other: Network<S>) {
        self.init(config: other.config, parameters: other.parameters, gradients: Buffer(count: 0))
    }

    private init(config: ModelConfig, parameters: Buffer<S>, gradients: Buffer<S>) {
        self.config = config
        let table = ParameterTable(config: config)
        self.table = table
        self.parameters = parameters
        self.gradients = gradients
        layers = (0..<config.layers).map { RecurrentLayer(config: config, index: $0, table: table) }
        encoderOffset = table["encoder.weight"]?.offset
        decoderWeightOffset = table.spec("decoder.weight").offset
        decoderBiasOffset = table.spec("decoder.bias").offset
    }

    /// PyTorch's default initialisation, drawn in parameter-table order: the embedding from
    /// N(0, 1); every recurrent and decoder tensor from U(-1/sqrt(H), 1/sqrt(H)) (for the decoder
    /// that is nn.Linear's kaiming-uniform bound with fan_in = H).
    func initialize(random: inout RandomGenerator) {
        let bound = 1 / Double(config.hiddenSize).squareRoot()
        for spec in table.entries {
            let p = parameters.base + spec.offset
            if spec.name == "encoder.weight" {
                for i in 0..<spec.count { p[i] = S(random.normal()) }
            } else {
                for i in 0..<spec.count { p[i] = S((2 * random.uniformDouble() - 1) * bound) }
            }
        }
    }

    /// Sizes every workspace for B rows of T steps, and splits the steps of layers whose
    /// recurrent products are large enough across `BLASThreads.current` threads.
    func reserve(batch: Int, steps: Int) {
        let h = config.hiddenSize
        let stepWork = batch * h * config.cell.gateCount * h
        let parts = forcedParts ?? (stepWork >= parallelStepWork ? BLASThreads.current : 1)
        for layer in layers { layer.split(into: parts, batch: batch) }
        guard batch != self.batch || steps != self.steps else { return }
        self.batch = batch
        self.steps = steps
        let rows = batch * steps
        for layer in layers { layer.reserve(batch: batch, steps: steps) }
        if config.usesEmbedding {
            embedded = Buffer(count: rows * config.embeddingSize)
            embeddedGradient = Buffer(count: rows * config.embeddingSize)
        }
        let withDropout = config.dropout > 0
        dropoutMasks = layers.map { _ in Buffer(count: withDropout ? rows * h : 0) }
        droppedOutputs = layers.map { _ in Buffer(count: withDropout ? rows * h : 0) }
        outputGradients = layers.map { _ in Buffer(count: rows * h) }
        logits = Buffer(count: rows * config.vocabSize)
        probabilities = Buffer(count: rows * config.vocabSize)
        rowLosses = Buffer(count: rows)
        tokens = Array(repeating: 0, count: rows)
        targets = Array(repeating: 0, count: rows)
    }

    /// The input that layer `k` sees: the previous layer's output, masked when dropout ran.
    private func layerOutput(_ k: Int) -> Matrix<S> {
        usedDropout
            ? droppedOutputs[k].matrix(rows: batch * steps, cols: config.hiddenSize)
            : layers[k].output
    }

    /// Runs the batch (time-major token ids, row t*B + b) from `state`, leaves the final state in
    /// `state`, and returns the mean cross-entropy in nats. In training mode dropout is drawn
    /// from `random` and everything backward needs is kept.
    @discardableResult
    func forward(
        inputs: UnsafePointer<Int32>, targets targetIDs: UnsafePointer<Int32>,
        state: HiddenState<S>, training: Bool, random: inout RandomGenerator
    ) -> Double {
        precondition(batch > 0 && state.batch == batch, "reserve(batch:steps:) first")
        let rows = batch * steps, h = config.hiddenSize, v = config.vocabSize
        tokens.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: inputs, count: rows) }
        self.targets.withUnsafeMutableBufferPointer {
            $0.baseAddress!.update(from: targetIDs, count: rows)
        }
        usedDropout = training && config.dropout > 0
        let keep = 1 - config.dropout
        let scale = S(1 / keep)

        if let encoderOffset {
            let e = config.embeddingSize
            for n in 0..<rows {
                (embedded.base + n * e).update(
                    from: parameters.base + encoderOffset + Int(inputs[n]) * e, count: e)
            }
        }
        tokens.withUnsafeBufferPointer { tokenIDs in
            for (k, layer) in layers.enumerated() {
                let input: Matrix<S>? =
                    k > 0
                    ? layerOutput(k - 1)
                    : (config.usesEmbedding
                        ? embedded.matrix(rows: rows, cols: config.embeddingSize) : nil)
                layer.forward(
                    tokens: tokenIDs.baseAddress, input: input, initialH: state.hidden(layer: k),
                    initialC: state.cell(layer: k), parameters: parameters.base, training: training)
                state.hidden(layer: k).update(from: layer.finalHidden, count: batch * h)
                if let c = state.cell(layer: k) { c.update(from: layer.finalCell, count: batch * h) }
                if usedDropout {
                    let mask = dropoutMasks[k].base, out = droppedOutputs[k].base
                    let raw = layer.output.base
                    for i in 0..<rows * h {
                        mask[i] = random.uniformDouble() < config.dropout ? 0 : scale
                        out[i] = raw[i] * mask[i]
                    }
                }
            }
        }

        let top = layerOutput(layers.count - 1)
        let logitMatrix = logits.matrix(rows: rows, cols: v)
        let decoderWeight = Matrix(parameters.base + decoderWeightOffset, rows: v, cols: h)
        gemm(top, .plain, decoderWeight, .transposed, into: logitMatrix)
        let bias = parameters.base + decoderBiasOffset
        let rowLosses = rowLosses.base, probabilities = probabilities.base
        WorkerPool.forEachShare(of: rows, minimum: parallelSoftmaxRows) { share in
            for n in share {
                let z = logitMatrix.row(n), p = probabilities + n * v
                var maximum = -S.infinity
                for j in 0..<v {
                    z[j] += bias[j]
                    maximum = Swift.max(maximum, z[j])
                }
                for j in 0..<v { p[j] = z[j] - maximum }
                S.exponential(p, into: p, count: v)
                var sum: S = 0
                for j in 0..<v { sum += p[j] }
                let inverse = 1 / sum
                for j in 0..<v { p[j] *= inverse }
                rowLosses[n] = Double(S.logarithm(sum) + maximum - z[Int(targetIDs[n])])
            }
        }
        var total = 0.0  // in row order, whatever the split
        for n in 0..<rows { total += rowLosses[n] }
        forwardDone = training
        return total / Double(rows)
    }

    /// Backpropagates the mean cross-entropy of the last training forward; adds (+=) into
    /// `gradients`. Afterwards each layer's `hiddenGradient` (and `cellGradient`) holds the
    /// gradient of the initial state.
    func backward() {
        precondition(forwardDone, "backward called without a training forward pass")
        forwardDone = false
        let rows = batch * steps, h = config.hiddenSize, v = config.vocabSize
        let g = probabilities.matrix(rows: rows, cols: v)
        let inverseRows = S(1) / S(rows)
        for n in 0..<rows {
            let p = g.row(n)
            p[Int(targets[n])] -= 1
            for j in 0..<v { p[j] *= inverseRows }
        }
        let top = layerOutput(layers.count - 1)
        gemm(g, .transposed, top, .plain,
             into: Matrix(gradients.base + decoderWeightOffset, rows: v, cols: h), beta: 1)
        addColumnSums(of: g, into: gradients.base + decoderBiasOffset)
        let decoderWeight = Matrix(parameters.base + decoderWeightOffset, rows: v, cols: h)
        gemm(g, .plain, decoderWeight, .plain,
             into: outputGradients[layers.count - 1].matrix(rows: rows, cols: h))

        tokens.withUnsafeBufferPointer { tokenIDs in
            for k in stride(from: layers.count - 1, through: 0, by: -1) {
                let outputGradient = outputGradients[k].matrix(rows: rows, cols: h)
                if usedDropout {
                    let mask = dropoutMasks[k].base
                    for i in 0..<rows * h { outputGradient.base[i] *= mask[i] }
                }
                let input: Matrix<S>?
                let inputGradient: Matrix<S>?
                if k > 0 {
                    input = layerOutput(k - 1)
                    inputGradient = outputGradients[k - 1].matrix(rows: rows, cols: h)
                } else if config.usesEmbedding {
                    input = embedded.matrix(rows: rows, cols: config.embeddingSize)
                    inputGradient = embeddedGradient.matrix(rows: rows, cols: config.embeddingSize)
                } else {
                    input = nil
                    inputGradient = nil
                }
                layers[k].backward(
                    outputGradient: outputGradient, tokens: tokenIDs.baseAddress, input: input,
                    parameters: parameters.base, gradients: gradients.base,
                    inputGradient: inputGradient)
            }
        }
        if let encoderOffset {
            let e = config.embeddingSize
            for n in 0..<rows {
                let target = gradients.base + encoderOffset + Int(tokens[n]) * e
                let source = embeddedGradient.base + n * e
                for j in 0..<e { target[j] += source[j] }
            }
        }
    }
}
