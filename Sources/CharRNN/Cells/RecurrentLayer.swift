import CKernels

/// One layer of recurrent cells unrolled over T steps of a batch of B rows, forward and backward.
///
/// Rows of every activation matrix are time-major: row t*B + b is time step t of batch row b, so
/// step t is one contiguous [B, ...] block. The work is split the way BLAS likes it:
/// - the input projection of all T steps is one GEMM (or, for one-hot input, a row lookup);
/// - each step does one recurrent GEMM and then a tight loop over contiguous gates;
/// - the backward sweep does one recurrent GEMM per step; the weight and bias gradients are a
///   few large GEMMs after the sweep (K = T*B).
///
/// The steps are split across `parts` threads in one of two ways:
/// - by batch rows, when every thread gets at least two: rows never meet inside a layer, so each
///   thread runs all T steps of its rows on its own, reading and writing only its own memory;
/// - by hidden units otherwise (batch 1 scoring of a large model): thread p owns units U_p and the
///   rows of every gate for them. Internally the gate columns are then in part-major order
///   (part, then gate, then unit): thread p's columns [G*start_p, G*end_p) hold its units' i, f,
///   g, o (or r, z, n) blocks, so its recurrent product and gate math touch one contiguous block,
///   and the threads meet at a spin barrier once per step. Copies of W_ih, W_hh and the biases in
///   that row order are made at the start of each forward pass; the weight gradients come out as
///   contiguous row blocks that go straight back to PyTorch's order.
/// With one part, or split by rows, the order is PyTorch's own and every element is computed by
/// the same operations as on one thread: the same bits. (Split by units, the backward pass adds
/// its products over the gates in part-major order, which can change the last bits.) All
/// buffers are sized by `reserve(batch:steps:)`; nothing is allocated in the time loop.
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
    /// Whether the parts split the batch rows (else the hidden units).
    private(set) var splitsRows = false
    /// Per part, its batch rows and its units (all rows, or all units, for every part).
    private var rowShares: [Range<Int>] = []
    private(set) var units: [Range<Int>] = []
    /// Per part, its rows of W_hh as the forward step's operand, and its columns as the backward
    /// step's (packed once per pass instead of once per step). Split by rows, every part packs all
    /// of W_hh: a copy of its own, packed by its own thread, stays in that core's cache.
    private var stepWeights: [PackedOperand<S>] = []
    private var carryWeights: [PackedOperand<S>] = []
    /// A block of gate rows: `count` rows starting at `permuted` in the internal order, at
    /// `original` in PyTorch's.
    typealias Block = (permuted: Int, original: Int, count: Int)
    /// The internal order's blocks (one per unit part and gate).
    private var blocks: [Block] = []
    /// Per thread, the blocks whose gradients it moves into PyTorch's order after the sweep
    /// (split by units even when the steps are split by rows).
    private var tailBlocks: [[Block]] = []

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
    /// One-hot input only: the token ids of the pass in progress.
    private var stepTokens: UnsafePointer<Int32>?
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
        split(into: 1, batch: 0)
    }

    /// Splits the steps of a batch of `batch` rows across `count` threads: by rows when each
    /// thread gets at least two (one row would be a matrix-vector product, whose sums are grouped
    /// differently), else by units (at most one thread per unit).
    func split(into count: Int, batch: Int) {
        let byRows = count > 1 && batch >= 2 * count
        let p = byRows ? count : max(1, min(count, hiddenSize))
        guard p != parts || byRows != splitsRows || units.isEmpty || rowShares.last?.upperBound != batch else { return }
        parts = p
        splitsRows = byRows
        pool = WorkerPool.pool(threads: p)
        let g = cell.gateCount, h = hiddenSize
        rowShares = (0..<p).map { byRows ? WorkerPool.share(of: batch, part: $0, of: p) : 0..<batch }
        units = (0..<p).map { byRows ? 0..<h : WorkerPool.share(of: h, part: $0, of: p) }
        stepWeights = units.map { _ in PackedOperand() }
        carryWeights = units.map { _ in PackedOperand() }
        func gateBlocks(_ u: Range<Int>) -> [Block] {  // in the part-major order
            (0..<g).map { gate in (permuted: g * u.lowerBound + gate * u.count, original: gate * h + u.lowerBound, count: u.count) }
        }
        blocks = byRows ? gateBlocks(0..<h) : units.flatMap(gateBlocks)
        tailBlocks = (0..<p).map { part in
            if !byRows { return gateBlocks(units[part]) }
            let u = WorkerPool.share(of: h, part: part, of: p)  // PyTorch's order: gate-major
            return (0..<g).map { gate in (permuted: gate * h + u.lowerBound, original: gate * h + u.lowerBound, count: u.count) }
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

        // The input projection of all T steps at once (one-hot: each step looks its rows up
        // itself, into memory it is about to use).
        let allGates = gates.matrix(rows: rowsAll, cols: g)
        if oneHotInput {
            guard tokens != nil else { preconditionFailure("one-hot layer needs tokens") }
            stepTokens = tokens
        } else {
            guard let input else { preconditionFailure("dense layer needs an input matrix") }
            gemm(input, .plain, weightIH.matrix(rows: g, cols: inputSize), .transposed, into: allGates)
        }

        BLASThreads.singleThreaded {
            pool.run { part in
                packStepWeights(part: part)
                for t in 0..<steps {
                    forwardStep(t, part: part)
                    if !splitsRows { pool.barrier() }
                }
            }
        }
        stepTokens = nil
        forwardDone = training
    }

    /// Packing pays off over the rows of a batch; one row is a matrix-vector product, which reads
    /// the weights in place.
    private var packsWeights: Bool { batch > 1 && VectorKernels.enabled }

    /// Part `part`'s rows of W_hh (the arranged copy) as op(B) = rows^T of its steps' products.
    private func packStepWeights(part: Int) {
        let u = units[part], width = cell.gateCount * u.count
        stepWeights[part].pack(
            Matrix(weightHH.base + cell.gateCount * u.lowerBound * hiddenSize, rows: width, cols: hiddenSize),
            .transposed, vectorKernels: packsWeights)
    }

    /// Part `part`'s columns of W_hh, all gate rows, as op(B) of its backward steps' products.
    private func packCarryWeights(part: Int) {
        let u = units[part]
        carryWeights[part].pack(
            Matrix(weightHH.base + u.lowerBound, rows: gateWidth, cols: u.count, stride: hiddenSize),
            .plain, vectorKernels: packsWeights)
    }

    /// Step t for the rows and units of `part`: their recurrent product and gate math.
    private func forwardStep(_ t: Int, part: Int) {
        let h = hiddenSize, g = gateWidth
        let u = units[part], first = u.lowerBound, width = cell.gateCount * u.count
        let rowShare = rowShares[part], nb = rowShare.count
        guard width > 0, nb > 0 else { return }
        let column = cell.gateCount * first
        let row = t * batch + rowShare.lowerBound, nextRow = row + batch  // of the part's first row
        let previous = hidden.matrix(rows: nb, cols: h, offset: row * h)
        let weights = stepWeights[part]
        let stepGates = Matrix(gates.base + row * g + column, rows: nb, cols: width, stride: g)
        let next = hidden.base + nextRow * h + first
        if oneHotInput, let tokens = stepTokens?.advanced(by: row) {
            for n in 0..<nb {
                stepGates.row(n).update(from: lookup.base + Int(tokens[n]) * g + column, count: width)
            }
        }
        switch cell {
        case .rnn:
            weights.multiply(previous, .plain, into: stepGates, beta: 1)
            RNNCell.forward(gates: stepGates.base, bias: biasIH.base + column, next: next,
                            batch: nb, hidden: u.count, stateStride: h, gateStride: g)
        case .lstm:
            weights.multiply(previous, .plain, into: stepGates, beta: 1)
            LSTMCell.forward(
                gates: stepGates.base, bias: biasIH.base + column,
                previousCell: cellState.base + row * h + first, nextCell: cellState.base + nextRow * h + first,
                tanhCell: tanhCell.base + row * h + first, next: next,
                batch: nb, hidden: u.count, stateStride: h, gateStride: g)
        case .gru:
            let stepRecurrent = Matrix(recurrentGates.base + row * g + column, rows: nb, cols: width, stride: g)
            weights.multiply(previous, .plain, into: stepRecurrent)
            GRUCell.forward(
                inputGates: stepGates.base, recurrentGates: stepRecurrent.base, biasIH: biasIH.base + column,
                biasHH: biasHH.base + column, previous: previous.base + first, next: next,
                batch: nb, hidden: u.count, stateStride: h, gateStride: g)
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
                packCarryWeights(part: part)
                for t in stride(from: steps - 1, through: 0, by: -1) {
                    backwardGates(t, part: part, outputGradient: outputGradient)
                    if !splitsRows { pool.barrier() }  // every part's gate gradients of step t are in
                    backwardRecurrence(t, part: part)
                }
            }
        }

        // Weight and bias gradients: one large product each over all T*B rows, in the part-major
        // row order, then added back into PyTorch's order block by block (each thread the
        // blocks of its units, and the column sums and one-hot rows of its columns).
        let allGateGradients = gateGradients.matrix(rows: rowsAll, cols: g)
        let allRecurrentGradients =
            cell == .gru ? recurrentGateGradients.matrix(rows: rowsAll, cols: g) : allGateGradients
        gemm(allRecurrentGradients, .transposed, hidden.matrix(rows: rowsAll, cols: h), .plain,
             into: weightGradient.matrix(rows: g, cols: h))
        if oneHotInput, tokens == nil { preconditionFailure("one-hot layer needs tokens") }
        pool.run { part in
            for block in tailBlocks[part] {
                let columns = block.permuted..<(block.permuted + block.count)
                addBlock(block, weightGradient.base, rowLength: h, into: gradients + weightHHOffset)
                (biasGradient.base + columns.lowerBound).update(repeating: 0, count: columns.count)
                addColumnSums(of: allGateGradients, columns: columns, into: biasGradient.base)
                addBlock(block, biasGradient.base, rowLength: 1, into: gradients + biasIHOffset)
                if cell == .gru {  // rnn and lstm: b_hh's gradient is b_ih's
                    (biasGradient.base + columns.lowerBound).update(repeating: 0, count: columns.count)
                    addColumnSums(of: allRecurrentGradients, columns: columns, into: biasGradient.base)
                }
                addBlock(block, biasGradient.base, rowLength: 1, into: gradients + biasHHOffset)
                if oneHotInput, let tokens { addLookupGradients(tokens: tokens, block: block, into: gradients) }
            }
        }
        if !oneHotInput {
            guard let input else { preconditionFailure("dense layer needs an input matrix") }
            gemm(allGateGradients, .transposed, input, .plain, into: inputWeightGradient.matrix(rows: g, cols: inputSize))
            pool.run { part in
                for block in tailBlocks[part] {
                    addBlock(block, inputWeightGradient.base, rowLength: inputSize, into: gradients + weightIHOffset)
                }
            }
            if let inputGradient {
                gemm(allGateGradients, .plain, weightIH.matrix(rows: g, cols: inputSize), .plain, into: inputGradient)
            }
        }
    }

    /// One-hot input: the gate gradients of every row added into its token's row of the lookup
    /// gradient, for the columns of `block`, and from there into W_ih's gradient.
    private func addLookupGradients(tokens: UnsafePointer<Int32>, block: Block, into gradients: UnsafeMutablePointer<S>) {
        let g = gateWidth, columns = block.permuted..<(block.permuted + block.count)
        for token in usedTokens { (lookupGradient.base + token * g + columns.lowerBound).update(repeating: 0, count: columns.count) }
        for n in 0..<(steps * batch) {
            let source = gateGradients.base + n * g
            let target = lookupGradient.base + Int(tokens[n]) * g
            for j in columns { target[j] += source[j] }
        }
        let weightGradient = gradients + weightIHOffset
        for k in 0..<block.count {
            let row = weightGradient + (block.original + k) * inputSize
            for token in usedTokens { row[token] += lookupGradient.base[token * g + block.permuted + k] }
        }
    }

    /// target (PyTorch's row order) += source (part-major row order) for the rows of `block`,
    /// rows of `rowLength`.
    private func addBlock(_ block: Block, _ source: UnsafePointer<S>, rowLength: Int, into target: UnsafeMutablePointer<S>) {
        let from = source + block.permuted * rowLength, to = target + block.original * rowLength
        for i in 0..<block.count * rowLength { to[i] += from[i] }
    }

    /// Step t's gate gradients for the rows and units of `part` (and, for GRU, the direct part
    /// z*dh of the gradient carried to the previous step).
    private func backwardGates(_ t: Int, part: Int, outputGradient: Matrix<S>) {
        let h = hiddenSize, g = gateWidth
        let u = units[part], first = u.lowerBound
        let rowShare = rowShares[part], nb = rowShare.count
        guard !u.isEmpty, nb > 0 else { return }
        let column = cell.gateCount * first
        let row = t * batch + rowShare.lowerBound, nextRow = row + batch  // of the part's first row
        let carried = rowShare.lowerBound * h + first  // in the [B, H] carried gradients
        let stepOutputGradient = outputGradient.row(row) + first
        let stepGateGradients = gateGradients.base + row * g + column
        switch cell {
        case .rnn:
            RNNCell.backward(
                outputGradient: stepOutputGradient, hiddenGradient: hiddenGradient.base + carried,
                next: hidden.base + nextRow * h + first, gateGradients: stepGateGradients,
                batch: nb, hidden: u.count, stateStride: h, gateStride: g)
        case .lstm:
            LSTMCell.backward(
                outputGradient: stepOutputGradient, hiddenGradient: hiddenGradient.base + carried,
                cellGradient: cellGradient.base + carried, gates: gates.base + row * g + column,
                previousCell: cellState.base + row * h + first, tanhCell: tanhCell.base + row * h + first,
                gateGradients: stepGateGradients, batch: nb, hidden: u.count, stateStride: h, gateStride: g)
        case .gru:
            GRUCell.backward(
                outputGradient: stepOutputGradient, hiddenGradient: hiddenGradient.base + carried,
                gates: gates.base + row * g + column, recurrentGates: recurrentGates.base + row * g + column,
                previous: hidden.base + row * h + first, inputGateGradients: stepGateGradients,
                recurrentGateGradients: recurrentGateGradients.base + row * g + column,
                batch: nb, hidden: u.count, stateStride: h, gateStride: g)
        }
    }

    /// The gradient carried to step t-1 for the rows and units of `part`: all of step t's
    /// recurrent gate gradients of those rows times W_hh's columns for those units.
    private func backwardRecurrence(_ t: Int, part: Int) {
        let h = hiddenSize, g = gateWidth
        let u = units[part]
        let rowShare = rowShares[part], nb = rowShare.count
        guard !u.isEmpty, nb > 0 else { return }
        let recurrent = cell == .gru ? recurrentGateGradients : gateGradients
        carryWeights[part].multiply(
            Matrix(recurrent.base + (t * batch + rowShare.lowerBound) * g, rows: nb, cols: g), .plain,
            into: Matrix(hiddenGradient.base + rowShare.lowerBound * h + u.lowerBound, rows: nb, cols: u.count, stride: h),
            beta: cell == .gru ? 1 : 0)
    }
}
