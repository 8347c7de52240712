/// One layer of recurrent cells unrolled over T steps of a batch of B rows, forward and backward.
///
/// Rows of every activation matrix are time-major: row t*B + b is time step t of batch row b, so
/// step t is one contiguous [B, ...] block. The work is split the way BLAS likes it:
/// - the input projection of all T steps is one GEMM (or, for one-hot input, a row lookup);
/// - each step does one recurrent GEMM and then a tight loop over contiguous gates;
/// - the backward sweep does one recurrent GEMM per step; the weight and bias gradients are a
///   few large GEMMs after the sweep (K = T*B).
///
/// The steps are split across `parts` threads by hidden units: thread p owns units U_p and the
/// rows of every gate for them. Internally the gate columns are therefore in part-major order
/// (part, then gate, then unit): thread p's columns [G*start_p, G*end_p) hold its units' i, f, g,
/// o (or r, z, n) blocks, so its recurrent product and gate math touch one contiguous block, and
/// the threads meet at a spin barrier once per step. Copies of W_ih, W_hh and the biases in that
/// row order are made at the start of each forward pass; the weight gradients come out as
/// contiguous row blocks that go straight back to PyTorch's order. With one part the order is
/// PyTorch's own. All buffers are sized by `reserve(batch:steps:)`; nothing is allocated in the
/// time loop.
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

    /// Threads a step is split across, and their pool.
    private(set) var parts = 1
    private var pool = WorkerPool.pool(threads: 1)
    /// Per part, its units.
    private(set) var units: [Range<Int>] = []
    /// Row blocks of the part-major order: `count` rows starting at `permuted` there, at
    /// `original` in PyTorch's order (one block per part and gate).
    private var blocks: [(permuted: Int, original: Int, count: Int)] = []

    private(set) var batch = 0
    private(set) var steps = 0

    /// [(T+1)*B, H]: row block 0 is the initial state, block t+1 the output of step t.
    private(set) var hidden = Buffer<S>(count: 0)
    /// [(T+1)*B, H], LSTM only: the cell state, laid out like `hidden`.
    private(set) var cellState = Buffer<S>(count: 0)
    /// [T*B, G*H] (part-major columns): pre-activations from the input (and, for rnn/lstm, the
    /// recurrent) product; the forward pass overwrites them with the activated gates.
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

    // Part-major copies of the weights, refreshed by every forward pass.
    private var weightIH: Buffer<S>  // [G*H, in] (dense input)
    private var weightHH: Buffer<S>  // [G*H, H]
    private var biasIH: Buffer<S>  // rnn/lstm: b_ih + b_hh; gru: b_ih
    private var biasHH: Buffer<S>  // gru: b_hh
    /// One-hot input only, [V, G*H]: W_ih transposed, so that a token's column is a row; and the
    /// same layout for its gradient.
    private var lookup = Buffer<S>(count: 0)
    private var lookupGradient = Buffer<S>(count: 0)
    /// One-hot input only: the distinct tokens of the current batch, the only rows of `lookup`
    /// and `lookupGradient` a pass reads (a batch of 25 characters uses few of the vocabulary).
    private var usedTokens: [Int] = []
    private var tokenUsed: [Bool] = []
    /// Part-major scratch for the weight and bias gradients before they go back in PyTorch's order.
    private var weightGradient: Buffer<S>  // [G*H, H]
    private var inputWeightGradient: Buffer<S>  // [G*H, in] (dense input)
    private var biasGradient: Buffer<S>  // [G*H]

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
        weightIH = Buffer(count: oneHotInput ? 0 : gateWidth * inputSize)
        weightHH = Buffer(count: gateWidth * hiddenSize)
        biasIH = Buffer(count: gateWidth)
        biasHH = Buffer(count: config.cell == .gru ? gateWidth : 0)
        weightGradient = Buffer(count: gateWidth * hiddenSize)
        inputWeightGradient = Buffer(count: oneHotInput ? 0 : gateWidth * inputSize)
        biasGradient = Buffer(count: gateWidth)
        if oneHotInput {
            lookup = Buffer(count: inputSize * gateWidth)
            lookupGradient = Buffer(count: inputSize * gateWidth)
            usedTokens.reserveCapacity(inputSize)
            tokenUsed = [Bool](repeating: false, count: inputSize)
        }
        split(into: 1)
    }

    /// Splits the steps across `count` threads (at most one per unit).
    func split(into count: Int) {
        let p = max(1, min(count, hiddenSize))
        guard p != parts || units.isEmpty else { return }
        parts = p
        pool = WorkerPool.pool(threads: p)
        let g = cell.gateCount, h = hiddenSize
        units = (0..<p).map { WorkerPool.share(of: h, part: $0, of: p) }
        blocks = units.flatMap { u in
            (0..<g).map { gate in (permuted: g * u.lowerBound + gate * u.count, original: gate * h + u.lowerBound, count: u.count) }
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

    /// Copies this layer's weights into the part-major order.
    private func arrangeWeights(_ parameters: UnsafeMutablePointer<S>) {
        let h = hiddenSize, g = gateWidth
        let sourceIH = parameters + weightIHOffset, sourceHH = parameters + weightHHOffset
        let sourceBiasIH = parameters + biasIHOffset, sourceBiasHH = parameters + biasHHOffset
        for block in blocks {
            (weightHH.base + block.permuted * h).update(from: sourceHH + block.original * h, count: block.count * h)
            for k in 0..<block.count {
                let from = block.original + k, to = block.permuted + k
                biasIH.base[to] = cell == .gru ? sourceBiasIH[from] : sourceBiasIH[from] + sourceBiasHH[from]
                if cell == .gru { biasHH.base[to] = sourceBiasHH[from] }
            }
            if oneHotInput {
                for k in 0..<block.count {
                    let row = sourceIH + (block.original + k) * inputSize
                    for token in usedTokens { lookup.base[token * g + block.permuted + k] = row[token] }
                }
            } else {
                (weightIH.base + block.permuted * inputSize).update(
                    from: sourceIH + block.original * inputSize, count: block.count * inputSize)
            }
        }
    }

    private func findUsedTokens(_ tokens: UnsafePointer<Int32>, count: Int) {
        for token in usedTokens { tokenUsed[token] = false }
        usedTokens.removeAll(keepingCapacity: true)
        for n in 0..<count {
            let token = Int(tokens[n])
            if !tokenUsed[token] {
                tokenUsed[token] = true
                usedTokens.append(token)
            }
        }
    }

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
        if oneHotInput, let tokens { findUsedTokens(tokens, count: rowsAll) }
        arrangeWeights(parameters)

        // The input projection of all T steps at once.
        let allGates = gates.matrix(rows: rowsAll, cols: g)
        if oneHotInput {
            guard let tokens else { preconditionFailure("one-hot layer needs tokens") }
            for n in 0..<rowsAll {
                allGates.row(n).update(from: lookup.base + Int(tokens[n]) * g, count: g)
            }
        } else {
            guard let input else { preconditionFailure("dense layer needs an input matrix") }
            gemm(input, .plain, weightIH.matrix(rows: g, cols: inputSize), .transposed, into: allGates)
        }

        BLASThreads.singleThreaded {
            pool.run { part in
                for t in 0..<steps {
                    forwardStep(t, part: part)
                    pool.barrier()
                }
            }
        }
        forwardDone = training
    }

    /// Step t for the units of `part`: their recurrent product and gate math.
    private func forwardStep(_ t: Int, part: Int) {
        let b = batch, h = hiddenSize, g = gateWidth
        let u = units[part], first = u.lowerBound, width = cell.gateCount * u.count
        guard width > 0 else { return }
        let column = cell.gateCount * first
        let previous = hidden.matrix(rows: b, cols: h, offset: t * b * h)
        let rows = Matrix(weightHH.base + column * h, rows: width, cols: h)
        let stepGates = Matrix(gates.base + t * b * g + column, rows: b, cols: width, stride: g)
        let next = hidden.base + (t + 1) * b * h + first
        switch cell {
        case .rnn:
            gemm(previous, .plain, rows, .transposed, into: stepGates, beta: 1, caller: true)
            RNNCell.forward(gates: stepGates.base, bias: biasIH.base + column, next: next,
                            batch: b, hidden: u.count, stateStride: h, gateStride: g)
        case .lstm:
            gemm(previous, .plain, rows, .transposed, into: stepGates, beta: 1, caller: true)
            LSTMCell.forward(
                gates: stepGates.base, bias: biasIH.base + column,
                previousCell: cellState.base + t * b * h + first, nextCell: cellState.base + (t + 1) * b * h + first,
                tanhCell: tanhCell.base + t * b * h + first, next: next,
                batch: b, hidden: u.count, stateStride: h, gateStride: g)
        case .gru:
            let stepRecurrent = Matrix(recurrentGates.base + t * b * g + column, rows: b, cols: width, stride: g)
            gemm(previous, .plain, rows, .transposed, into: stepRecurrent, caller: true)
            GRUCell.forward(
                inputGates: stepGates.base, recurrentGates: stepRecurrent.base, biasIH: biasIH.base + column,
                biasHH: biasHH.base + column, previous: previous.base + first, next: next,
                batch: b, hidden: u.count, stateStride: h, gateStride: g)
        }
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
        let h = hiddenSize, g = gateWidth, rowsAll = steps * batch
        hiddenGradient.zero()
        if cell == .lstm { cellGradient.zero() }
        BLASThreads.singleThreaded {
            pool.run { part in
                for t in stride(from: steps - 1, through: 0, by: -1) {
                    backwardGates(t, part: part, outputGradient: outputGradient)
                    pool.barrier()  // every part's gate gradients of step t are in
                    backwardRecurrence(t, part: part)
                }
            }
        }

        // Weight and bias gradients: one large product each over all T*B rows, in the part-major
        // row order, then added back into PyTorch's order block by block.
        let allGateGradients = gateGradients.matrix(rows: rowsAll, cols: g)
        let allRecurrentGradients =
            cell == .gru ? recurrentGateGradients.matrix(rows: rowsAll, cols: g) : allGateGradients
        gemm(allRecurrentGradients, .transposed, hidden.matrix(rows: rowsAll, cols: h), .plain,
             into: weightGradient.matrix(rows: g, cols: h))
        addBlocks(weightGradient.base, rowLength: h, into: gradients + weightHHOffset)
        biasGradient.zero()
        addColumnSums(of: allGateGradients, into: biasGradient.base)
        addBlocks(biasGradient.base, rowLength: 1, into: gradients + biasIHOffset)
        if cell == .gru {  // rnn and lstm: b_hh's gradient is b_ih's
            biasGradient.zero()
            addColumnSums(of: allRecurrentGradients, into: biasGradient.base)
        }
        addBlocks(biasGradient.base, rowLength: 1, into: gradients + biasHHOffset)
        if oneHotInput {
            guard let tokens else { preconditionFailure("one-hot layer needs tokens") }
            for token in usedTokens { (lookupGradient.base + token * g).update(repeating: 0, count: g) }
            for n in 0..<rowsAll {
                let source = allGateGradients.row(n)
                let target = lookupGradient.base + Int(tokens[n]) * g
                for j in 0..<g { target[j] += source[j] }
            }
            let weightGradient = gradients + weightIHOffset
            for block in blocks {
                for k in 0..<block.count {
                    let row = weightGradient + (block.original + k) * inputSize
                    for token in usedTokens { row[token] += lookupGradient.base[token * g + block.permuted + k] }
                }
            }
        } else {
            guard let input else { preconditionFailure("dense layer needs an input matrix") }
            gemm(allGateGradients, .transposed, input, .plain, into: inputWeightGradient.matrix(rows: g, cols: inputSize))
            addBlocks(inputWeightGradient.base, rowLength: inputSize, into: gradients + weightIHOffset)
            if let inputGradient {
                gemm(allGateGradients, .plain, weightIH.matrix(rows: g, cols: inputSize), .plain, into: inputGradient)
            }
        }
    }

    /// target (PyTorch's row order) += source (part-major row order), rows of `rowLength`.
    private func addBlocks(_ source: UnsafePointer<S>, rowLength: Int, into target: UnsafeMutablePointer<S>) {
        for block in blocks {
            let from = source + block.permuted * rowLength, to = target + block.original * rowLength
            for i in 0..<block.count * rowLength { to[i] += from[i] }
        }
    }

    /// Step t's gate gradients for the units of `part` (and, for GRU, the direct part z*dh of
    /// the gradient carried to the previous step).
    private func backwardGates(_ t: Int, part: Int, outputGradient: Matrix<S>) {
        let b = batch, h = hiddenSize, g = gateWidth
        let u = units[part], first = u.lowerBound
        guard !u.isEmpty else { return }
        let column = cell.gateCount * first
        let stepOutputGradient = outputGradient.row(t * b) + first
        let stepGateGradients = gateGradients.base + t * b * g + column
        switch cell {
        case .rnn:
            RNNCell.backward(
                outputGradient: stepOutputGradient, hiddenGradient: hiddenGradient.base + first,
                next: hidden.base + (t + 1) * b * h + first, gateGradients: stepGateGradients,
                batch: b, hidden: u.count, stateStride: h, gateStride: g)
        case .lstm:
            LSTMCell.backward(
                outputGradient: stepOutputGradient, hiddenGradient: hiddenGradient.base + first,
                cellGradient: cellGradient.base + first, gates: gates.base + t * b * g + column,
                previousCell: cellState.base + t * b * h + first, tanhCell: tanhCell.base + t * b * h + first,
                gateGradients: stepGateGradients, batch: b, hidden: u.count, stateStride: h, gateStride: g)
        case .gru:
            GRUCell.backward(
                outputGradient: stepOutputGradient, hiddenGradient: hiddenGradient.base + first,
                gates: gates.base + t * b * g + column, recurrentGates: recurrentGates.base + t * b * g + column,
                previous: hidden.base + t * b * h + first, inputGateGradients: stepGateGradients,
                recurrentGateGradients: recurrentGateGradients.base + t * b * g + column,
                batch: b, hidden: u.count, stateStride: h, gateStride: g)
        }
    }

    /// The gradient carried to step t-1 for the units of `part`: all of step t's recurrent gate
    /// gradients times W_hh's columns for those units.
    private func backwardRecurrence(_ t: Int, part: Int) {
        let b = batch, h = hiddenSize, g = gateWidth
        let u = units[part]
        guard !u.isEmpty else { return }
        let recurrent = cell == .gru ? recurrentGateGradients : gateGradients
        gemm(Matrix(recurrent.base + t * b * g, rows: b, cols: g), .plain,
             Matrix(weightHH.base + u.lowerBound, rows: g, cols: u.count, stride: h), .plain,
             into: Matrix(hiddenGradient.base + u.lowerBound, rows: b, cols: u.count, stride: h),
             beta: cell == .gru ? 1 : 0, caller: true)
    }
}
