import Foundation

extension Checkpoint {
    /// Writes the checkpoint to `path` (replacing any file there). Use `save(to:)` for the
    /// crash-safe procedure.
    ///
    /// The file is built in memory and its bytes written here, so that a full disk or a failing
    /// device is an ordinary error with the system's reason, never a problem inside libhdf5.
    public func write(to path: String) throws(CheckpointError) {
        let bytes: [UInt8]
        do throws(HDF5Error) {
            let file = try HDF5File.createInMemory(named: path, sizeHint: estimatedSize)
            try writeContents(file.root)
            bytes = try file.closeCapturingImage()
        } catch {
            throw .hdf5(error)
        }
        try Self.writeFile(bytes, to: path)
    }

    /// Data bytes plus room for metadata: the in-memory file is allocated once at this size.
    var estimatedSize: Int {
        var floats = parameters.count
        if let training {
            floats += training.optimizerSlots.values.reduce(0) { $0 + $1.count } + training.hidden.count
                + (training.cell?.count ?? 0) + 4 * training.progress.history.steps.count
        }
        return 4 * floats + 12 * vocabulary.count + (1 << 20)
    }

    /// Writes bytes to a new file (replacing any), reporting the system's reason on failure.
    static func writeFile(_ bytes: [UInt8], to path: String) throws(CheckpointError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(path, "create the checkpoint", errno) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let code = n < 0 ? errno : ENOSPC
                close(fd)
                throw failure(path, "write the checkpoint", code)
            }
            done += n
        }
        guard close(fd) == 0 else { throw failure(path, "write the checkpoint", errno) }
    }

    static func failure(_ path: String, _ operation: String, _ code: Int32) -> CheckpointError {
        let reason = String(cString: strerror(code))
        switch code {
        case ENOSPC, EFBIG, EDQUOT:
            return .fileSystem(path: path, operation: operation, reason: "the disk is full or the file-size limit is reached (\(reason)); the previous checkpoint is untouched")
        default:
            return .fileSystem(path: path, operation: operation, reason: reason)
        }
    }

    private func writeContents(_ root: HDF5Group) throws(HDF5Error) {
        try root.setAttribute("format", Self.formatName)
        try root.setAttribute("format_version", Self.formatVersion)
        try root.setAttribute("created_by", createdBy)
        try root.setAttribute("created_utc", createdUTC)

        let configGroup = try root.createGroup("config")
        try configGroup.setAttribute("cell", config.cell.rawValue)
        try configGroup.setAttribute("num_layers", Int64(config.layers))
        try configGroup.setAttribute("hidden_size", Int64(config.hiddenSize))
        try configGroup.setAttribute("embedding_size", Int64(config.embeddingSize))
        try configGroup.setAttribute("vocab_size", Int64(config.vocabSize))
        try configGroup.setAttribute("dropout", config.dropout)

        let vocab = try root.createGroup("vocab")
        try vocab.write(vocabulary.codepoints, "codepoints", shape: [vocabulary.count])
        try vocab.setAttribute("unit", vocabulary.unit.rawValue, on: "codepoints")
        try vocab.write(vocabulary.counts, "counts", shape: [vocabulary.count])

        let table = parameterTable
        let model = try root.createGroup("model")
        for spec in table.entries {
            try model.write(Array(parameters[spec.offset..<spec.offset + spec.count]), spec.name, shape: spec.shape)
        }

        guard let training else { return }
        let o = training.options
        try configGroup.setAttribute("seq_length", Int64(o.seqLength))
        try configGroup.setAttribute("batch_size", Int64(o.batchSize))
        try configGroup.setAttribute("optimizer", o.optimizer.kind.rawValue)
        try configGroup.setAttribute("learning_rate", o.optimizer.learningRate)
        try configGroup.setAttribute("lr_decay", o.learningRateDecay)
        try configGroup.setAttribute("lr_decay_after", Int64(o.learningRateDecayAfter))
        try configGroup.setAttribute("momentum", o.optimizer.momentum)
        try configGroup.setAttribute("alpha", o.optimizer.alpha)
        try configGroup.setAttribute("beta1", o.optimizer.beta1)
        try configGroup.setAttribute("beta2", o.optimizer.beta2)
        try configGroup.setAttribute("epsilon", o.optimizer.epsilon)
        try configGroup.setAttribute("grad_clip", o.gradientClip)
        try configGroup.setAttribute("clip_mode", o.clipMode.rawValue)
        try configGroup.setAttribute("epochs", Int64(o.epochs))
        try configGroup.setAttribute("max_iterations", Int64(o.maxIterations))
        try configGroup.setAttribute("eval_every", Int64(o.evalEvery))
        try configGroup.setAttribute("seed", Int64(bitPattern: o.seed))
        let data = training.data
        try configGroup.setAttribute("val_fraction", data.validationFraction)
        try configGroup.setAttribute("data_paths", data.trainingPaths.joined(separator: "\n"))
        try configGroup.setAttribute("val_data_paths", data.validationPaths.joined(separator: "\n"))

        let optimizer = try root.createGroup("optimizer")
        try optimizer.setAttribute("name", o.optimizer.kind.rawValue)
        try optimizer.setAttribute("step", training.optimizerStep)
        try optimizer.setAttribute("learning_rate", training.learningRate)
        try optimizer.setAttribute("lr", o.optimizer.learningRate)
        try optimizer.setAttribute("momentum", o.optimizer.momentum)
        try optimizer.setAttribute("alpha", o.optimizer.alpha)
        try optimizer.setAttribute("betas_0", o.optimizer.beta1)
        try optimizer.setAttribute("betas_1", o.optimizer.beta2)
        try optimizer.setAttribute("eps", o.optimizer.epsilon)
        for slotName in o.optimizer.slotNames {
            guard let values = training.optimizerSlots[slotName] else { continue }
            let slot = try optimizer.createGroup(slotName)
            for spec in table.entries {
                try slot.write(Array(values[spec.offset..<spec.offset + spec.count]), spec.name, shape: spec.shape)
            }
        }

        let p = training.progress
        let train = try root.createGroup("train")
        try train.setAttribute("epoch", Int64(p.epoch))
        try train.setAttribute("iteration", Int64(p.iteration))
        try train.setAttribute("batch_index", Int64(p.batchIndex))
        try train.setAttribute("characters_seen", p.charactersSeen)
        try train.setAttribute("best_val_loss", p.bestValidationLoss)
        try train.setAttribute("reference_loss", p.referenceLoss)
        try train.setAttribute("elapsed_seconds", p.elapsedSeconds)
        try train.setAttribute("corpus_length", data.trainingLength)
        try train.setAttribute("corpus_fingerprint", DataProvenance.format(data.trainingFingerprint))
        try train.setAttribute("val_length", data.validationLength)
        try train.setAttribute("val_fingerprint", DataProvenance.format(data.validationFingerprint))
        let hiddenShape = [config.layers, o.batchSize, config.hiddenSize]
        let hidden = try train.createGroup("hidden")
        try hidden.write(training.hidden, "h", shape: hiddenShape)
        if let cell = training.cell { try hidden.write(cell, "c", shape: hiddenShape) }
        try train.write(training.random, "rng", shape: [training.random.count])
        try train.setAttribute("algorithm", RandomGenerator.algorithm, on: "rng")

        let history = try root.createGroup("history")
        let h = p.history
        try history.write(h.steps, "step", shape: [h.steps.count])
        try history.write(h.trainLoss, "train_loss", shape: [h.trainLoss.count])
        try history.write(h.elapsed, "elapsed", shape: [h.elapsed.count])
        try history.write(h.validationSteps, "val_step", shape: [h.validationSteps.count])
        try history.write(h.validationLoss, "val_loss", shape: [h.validationLoss.count])
    }
}
