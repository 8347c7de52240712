/// One layer of recurrent cells unrolled over T steps of a batch of B rows, forward and backward.
///
/// Rows of every activation matrix are time-major: row t*B + b is time step t of batch row b, so
/// step t is one contiguous [B, ...] block. The work is split the way BLAS likes it:
/// - the input projection of all T steps is one GEMM (or, for one-hot input, a row lookup);
/// - each step does one recurrent GEMM and then a tight loop over contiguous gates;
/// - the backward sweep does one recurrent GEMM per step; the weight and bias gradients are a
///   few large GEMMs after the sweep (K = T*B).
/// All buffers are sized by `reserve(batch:steps:)`; nothing is allocated in the time loop.
final class RecurrentLayer<S: ModelScalar> {
    let cell: CellKind
    let index: Int
    let inputSize: Int
    let hiddenSize: Int
    let gateWidth: Int
    let oneHotInput: Bool

    // Offsets of this layer's tensors in the flat parameter (and gradient) buffer.
    let weightIHOffset: Int
    let weightHHOffset: Int
    let biasIHOffset: Int
    let biasHHOffset: Int

    private(set) var batch = 0
    private(set) var steps = 0

    /// [(T+1)*B, H]: row block 0 is the initial state, block t+1 the output of step t.
    private(set) var hidden = Buffer<S>(count: 0)
    /// [(T+1)*B, H], LSTM only: the cell state, laid out like `hidden`.
    private(set) var cellState = Buffer<S>(count: 0)
    /// [T*B, G*H]: pre-activations from the input (and, for rnn/lstm, the recurrent) product;
    /// the forward pass overwrites them with the activated gates that backward needs.
    private var gates = Buffer<S>(count: 0)
    /// GRU only, [T*B, 3H]: W_hh h + b_hh of each step (its n block is kept for backward).
    private var recurrentGates = Buffer<S>(count: 0)
    /// LSTM only, [T*B, H]: tanh(c_t), kept for backward.
    private var tanhCell = Buffer<S>(count: 0)
    /// [T*B, G*H]: gradients of the input-side pre-activations (rnn/lstm: also the recurrent side).
    private var gateGradients = Buffer<S>(count: 0)
    /// GRU only, [T*B, 3H]: gradients of the recurrent-side pre-activations.
    private var recurrentGateGradients = Buffer<S>(count: 0)
    /// [B, H]: gradient flowing into the previous step's h (and c); after the sweep, into the
    /// initial state.
    private(set) var hiddenGradient = Buffer<S>(count: 0)
    private(set) var cellGradient = Buffer<S>(count: 0)
    /// [G*H]: b_ih + b_hh (rnn, lstm), gathered once per forward pass.
    private var combinedBias: Buffer<S>
    /// One-hot input only, [V, G*H]: W_ih transposed so that a token's column is a contiguous row;
    /// and the same layout for its gradient.
    private var weightIHTransposed = Buffer<S>(count: 0)
    private var weightIHTransposedGradient = Buffer<S>(count: 0)

    /// Set by forward in training mode, cleared by backward: a backward without its forward is a
    /// programming error.
    private var forwardDone = false

    init(config: ModelConfig, index: Int, table: ParameterTable) {
        cell = config.cell
        self.index = index
        inputSize = config.inputSize(ofLayer: index)
        hiddenSize = config.hiddenSize
        gateWidth = config.cell.gateCount * config.hiddenSize
        oneHotInput = index == 0 && !config.usesEmbedding
        (weightIHOffset, weightHHOffset, biasIHOffset, biasHHOffset) = table.layerOffsets(index)
        combinedBias = Buffer(count: gateWidth)
        if oneHotInput {
            weightIHTransposed = Buffer(count: inputSize * gateWidth)
            weightIHTransposedGradient = Buffer(count: inputSize * gateWidth)
        }
    }

    /// Sizes the workspace for B rows and T steps (a no-op when unchanged).
    func reserve(batch: Int, steps: Int) {
        guard batch != self.batch || steps != self.steps else { return }
        self.batch = batch
        self.steps = steps
        let h = hiddenSize
        hidden = Buffer(count: (steps + 1) * batch * h)
        gates = Buffer(count: steps * batch * gateWidth)
        gateGradients = Buffer(count: steps * batch * gateWidth)
        hiddenGradient = Buffer(count: batch * h)
        switch cell {
        case .rnn:
            break
        case .lstm:
            cellState = Buffer(count: (steps + 1) * batch * h)
            tanhCell = Buffer(count: steps * batch * h)
            cellGradient = Buffer(count: batch * h)
        case .gru:
            recurrentGates = Buffer(count: steps * batch * gateWidth)
            recurrentGateGradients = Buffer(count: steps * batch * gateWidth)
        }
    }

    /// The outputs h_0 ... h_{T-1} as one [T*B, H] matrix.
    var output: Matrix<S> { hidden.matrix(rows: steps * batch, cols: hiddenSize, offset: batch * hiddenSize) }

    /// The state after the last step, [B, H].
    var finalHidden: UnsafeMutablePointer<S> { hidden.base + steps * batch * hiddenSize }
    var finalCell: UnsafeMutablePointer<S> { cellState.base + steps * batch * hiddenSize }

    // MARK: Forward

    /// Runs T steps from the initial state (`initialH`, `initialC`: [B, H]). The input is either
    /// token ids (one-hot layer 0) or a dense [T*B, in] matrix.
    func forward(
        tokens: UnsafePointer<Int32>?, input: Matrix<S>?, initialH: UnsafePointer<S>,
        initialC: UnsafePointer<S>?, parameters: UnsafeMutablePointer<S>, training: Bool
    ) {
        let b = batch, h = hiddenSize, g = gateWidth, rowsAll = steps * batch
        hidden.base.update(from: initialH, count: b * h)
        if cell == .lstm, let initialC { cellState.base.update(from: initialC, count: b * h) }

        let weightIH = Matrix(parameters + weightIHOffset, rows: g, cols: inputSize)
        let weightHH = Matrix(parameters + weightHHOffset, rows: g, cols: h)
        let biasIH = parameters + biasIHOffset
        let biasHH = parameters + biasHHOffset
        if cell != .gru {
            for j in 0..<g { combinedBias.base[j] = biasIH[j] + biasHH[j] }
        }

        // The input projection of all T steps at once.
        let allGates = gates.matrix(rows: rowsAll, cols: g)
        if oneHotInput {
            guard let tokens else { preconditionFailure("one-hot layer needs tokens") }
            transpose(weightIH, into: weightIHTransposed.base)
            for n in 0..<rowsAll {
                allGates.row(n).update(from: weightIHTransposed.base + Int(tokens[n]) * g, count: g)
            }
        } else {
            guard let input else { preconditionFailure("dense layer needs an input matrix") }
            gemm(input, .plain, weightIH, .transposed, into: allGates)
        }

        for t in 0..<steps {
            let previous = hidden.matrix(rows: b, cols: h, offset: t * b * h)
            let stepGates = allGates.rows(t * b, count: b)
            switch cell {
            case .rnn:
                gemm(previous, .plain, weightHH, .transposed, into: stepGates, beta: 1)
                RNNCell.forward(
                    gates: stepGates.base, bias: combinedBias.base,
                    next: hidden.base + (t + 1) * b * h, batch: b, hidden: h, stateStride: h)
            case .lstm:
                gemm(previous, .plain, weightHH, .transposed, into: stepGates, beta: 1)
                LSTMCell.forward(
                    gates: stepGates.base, bias: combinedBias.base,
                    previousCell: cellState.base + t * b * h, nextCell: cellState.base + (t + 1) * b * h,
                    tanhCell: tanhCell.base + t * b * h, next: hidden.base + (t + 1) * b * h,
                    batch: b, hidden: h, stateStride: h)
            case .gru:
                let stepRecurrent = recurrentGates.matrix(rows: b, cols: g, offset: t * b * g)
                gemm(previous, .plain, weightHH, .transposed, into: stepRecurrent)
                GRUCell.forward(
                    inputGates: stepGates.base, recurrentGates: stepRecurrent.base,
                    biasIH: biasIH, biasHH: biasHH, previous: previous.base,
                    next: hidden.base + (t + 1) * b * h, batch: b, hidden: h, stateStride: h)
            }
        }
        forwardDone = training
    }

    // MARK: Backward

    /// Backpropagates `outputGradient` ([T*B, H], the loss gradient of h_0 ... h_{T-1}) through the
    /// T steps. Accumulates (+=) into this layer's slice of `gradients`; writes the input's gradient
    /// into `inputGradient` ([T*B, in], dense input only) when given. Afterwards
    /// `hiddenGradient`/`cellGradient` hold the gradient of the initial state.
    func backward(
        outputGradient: Matrix<S>, tokens: UnsafePointer<Int32>?, input: Matrix<S>?,
        parameters: UnsafeMutablePointer<S>, gradients: UnsafeMutablePointer<S>,
        inputGradient: Matrix<S>?
    ) {
        precondition(forwardDone, "backward called without a training forward pass")
        forwardDone = false
        let b = batch, h = hiddenSize, g = gateWidth, rowsAll = steps * batch
        let weightIH = Matrix(parameters + weightIHOffset, rows: g, cols: inputSize)
        let weightHH = Matrix(parameters + weightHHOffset, rows: g, cols: h)
        let allGateGradients = gateGradients.matrix(rows: rowsAll, cols: g)
        // rnn and lstm share one pre-activation for both products; gru keeps them apart.
        let allRecurrentGradients =
            cell == .gru ? recurrentGateGradients.matrix(rows: rowsAll, cols: g) : allGateGradients

        hiddenGradient.zero()
        if cell == .lstm { cellGradient.zero() }
        for t in stride(from: steps - 1, through: 0, by: -1) {
            let stepOutputGradient = outputGradient.row(t * b)
            let stepGateGradients = allGateGradients.rows(t * b, count: b)
            switch cell {
            case .rnn:
                RNNCell.backward(
                    outputGradient: stepOutputGradient, hiddenGradient: hiddenGradient.base,
                    next: hidden.base + (t + 1) * b * h, gateGradients: stepGateGradients.base,
                    batch: b, hidden: h)
                gemm(stepGateGradients, .plain, weightHH, .plain,
                     into: hiddenGradient.matrix(rows: b, cols: h))
            case .lstm:
                LSTMCell.backward(
                    outputGradient: stepOutputGradient, hiddenGradient: hiddenGradient.base,
                    cellGradient: cellGradient.base, gates: gates.base + t * b * g,
                    previousCell: cellState.base + t * b * h, tanhCell: tanhCell.base + t * b * h,
                    gateGradients: stepGateGradients.base, batch: b, hidden: h)
                gemm(stepGateGradients, .plain, weightHH, .plain,
                     into: hiddenGradient.matrix(rows: b, cols: h))
            case .gru:
                let stepRecurrentGradients = allRecurrentGradients.rows(t * b, count: b)
                GRUCell.backward(
                    outputGradient: stepOutputGradient, hiddenGradient: hiddenGradient.base,
                    gates: gates.base + t * b * g, recurrentGates: recurrentGates.base + t * b * g,
                    previous: hidden.base + t * b * h, inputGateGradients: stepGateGradients.base,
                    recurrentGateGradients: stepRecurrentGradients.base, batch: b, hidden: h)
                gemm(stepRecurrentGradients, .plain, weightHH, .plain,
                     into: hiddenGradient.matrix(rows: b, cols: h), beta: 1)
            }
        }

        // Weight and bias gradients: a few large products over all T*B rows.
        let previousStates = hidden.matrix(rows: rowsAll, cols: h)
        gemm(allRecurrentGradients, .transposed, previousStates, .plain,
             into: Matrix(gradients + weightHHOffset, rows: g, cols: h), beta: 1)
        addColumnSums(of: allGateGradients, into: gradients + biasIHOffset)
        addColumnSums(of: allRecurrentGradients, into: gradients + biasHHOffset)
        if oneHotInput {
            guard let tokens else { preconditionFailure("one-hot layer needs tokens") }
            let transposedGradient = weightIHTransposedGradient.base
            weightIHTransposedGradient.zero()
            for n in 0..<rowsAll {
                let source = allGateGradients.row(n)
                let target = transposedGradient + Int(tokens[n]) * g
                for j in 0..<g { target[j] += source[j] }
            }
            addTransposed(
                Matrix(transposedGradient, rows: inputSize, cols: g),
                into: Matrix(gradients + weightIHOffset, rows: g, cols: inputSize))
        } else {
            guard let input else { preconditionFailure("dense layer needs an input matrix") }
            gemm(allGateGradients, .transposed, input, .plain,
                 into: Matrix(gradients + weightIHOffset, rows: g, cols: inputSize), beta: 1)
            if let inputGradient {
                gemm(allGateGradients, .plain, weightIH, .plain, into: inputGradient)
            }
        }
    }
}

/// out[c, r] = a[r, c] for a rows x cols matrix into a contiguous cols x rows buffer.
func transpose<S: ModelScalar>(_ a: Matrix<S>, into out: UnsafeMutablePointer<S>) {
    let blockSize = 32
    for r0 in stride(from: 0, to: a.rows, by: blockSize) {
        for c0 in stride(from: 0, to: a.cols, by: blockSize) {
            for r in r0..<min(r0 + blockSize, a.rows) {
                let row = a.row(r)
                for c in c0..<min(c0 + blockSize, a.cols) { out[c * a.rows + r] = row[c] }
            }
        }
    }
}

/// b += transpose(a).
func addTransposed<S: ModelScalar>(_ a: Matrix<S>, into b: Matrix<S>) {
    precondition(a.rows == b.cols && a.cols == b.rows, "addTransposed shapes")
    for r in 0..<b.rows {
        let row = b.row(r)
        for c in 0..<b.cols { row[c] += a.base[c * a.stride + r] }
    }
}
