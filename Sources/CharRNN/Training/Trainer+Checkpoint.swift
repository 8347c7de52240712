extension Trainer {
    /// A complete snapshot: weights, optimizer slots, hidden state, sequencer position, random
    /// generator and progress. Training resumed from it continues bit for bit.
    public func checkpoint(createdBy: String) -> Checkpoint {
        let source = corpusOptions
        let data = DataProvenance(
            trainingPaths: source?.trainingPaths ?? corpus.trainingFiles,
            validationPaths: source?.validationPaths ?? corpus.validationFiles,
            validationFraction: source?.validationFraction ?? 0,
            trainingLength: Int64(corpus.training.count), trainingFingerprint: corpus.trainingFingerprint,
            validationLength: Int64(corpus.validation?.count ?? 0), validationFingerprint: corpus.validationFingerprint)
        var slots: [String: [Float]] = [:]
        for (name, buffer) in optimizer.slots { slots[name] = buffer.array }
        let state = TrainingState(
            options: options, data: data, progress: progress, optimizerStep: Int64(optimizer.step),
            learningRate: learningRate, optimizerSlots: slots, hidden: self.state.h.array,
            cell: self.state.c?.array, random: random.state)
        return Checkpoint(
            createdBy: createdBy, createdUTC: Checkpoint.timestamp(), config: model.config,
            vocabulary: corpus.vocabulary, parameters: model.flatParameters, training: state)
    }

    /// Continues the training a checkpoint recorded, on the same text. `options` must equal the
    /// checkpoint's except for `epochs` and `maxIterations`, which may grow.
    public convenience init(resuming checkpoint: Checkpoint, path: String, corpus: Corpus, options: TrainingOptions) throws {
        guard let saved = checkpoint.training else { throw CheckpointError.notResumable(path: path) }
        var expected = saved.options
        expected.epochs = options.epochs
        expected.maxIterations = options.maxIterations
        expected.evalEvery = options.evalEvery
        guard expected == options else {
            throw ConfigurationError("\(path): the training options differ from the checkpoint's")
        }
        let data = saved.data
        guard corpus.vocabulary.codepoints == checkpoint.vocabulary.codepoints else {
            throw ConfigurationError("\(path): the text must be encoded with the checkpoint's vocabulary")
        }
        func describe(_ length: Int64, _ fingerprint: UInt64) -> String {
            "\(length) tokens, \(DataProvenance.format(fingerprint))"
        }
        guard Int64(corpus.training.count) == data.trainingLength, corpus.trainingFingerprint == data.trainingFingerprint else {
            throw ConfigurationError(
                "\(path): the training text differs from the one this checkpoint was trained on (now \(describe(Int64(corpus.training.count), corpus.trainingFingerprint)); then \(describe(data.trainingLength, data.trainingFingerprint))); resume needs the same text, or use --init-from to fine-tune on new text")
        }
        guard Int64(corpus.validation?.count ?? 0) == data.validationLength, corpus.validationFingerprint == data.validationFingerprint else {
            throw ConfigurationError(
                "\(path): the validation text differs from the one this checkpoint was trained with (now \(describe(Int64(corpus.validation?.count ?? 0), corpus.validationFingerprint)); then \(describe(data.validationLength, data.validationFingerprint)))")
        }
        guard let random = RandomGenerator(state: saved.random) else {
            throw CheckpointError.invalid(path: path, object: "/train/rng", problem: "not a generator state")
        }
        let model = try checkpoint.makeModel()
        try self.init(model: model, corpus: corpus, options: options, random: random)
        try sequencer.seek(epoch: saved.progress.epoch, batchIndex: saved.progress.batchIndex)
        progress = saved.progress
        optimizer.step = Int(saved.optimizerStep)
        for (name, buffer) in optimizer.slots {
            guard let values = saved.optimizerSlots[name], values.count == buffer.count else {
                throw CheckpointError.invalid(path: path, object: "/optimizer/\(name)", problem: "missing or of the wrong size")
            }
            buffer.base.update(from: values, count: values.count)
        }
        state.h.base.update(from: saved.hidden, count: state.h.count)
        if let c = state.c {
            guard let savedCell = saved.cell else {
                throw CheckpointError.invalid(path: path, object: "/train/hidden/c", problem: "missing")
            }
            c.base.update(from: savedCell, count: c.count)
        }
    }
}
