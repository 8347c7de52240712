/// Everything about a checkpoint on one page: format and origin, architecture and parameter
/// counts, vocabulary, training progress, optimizer, carried hidden state and the training text.
/// A model-only checkpoint shows what it has.
public struct CheckpointSummary: Sendable {
    public let path: String
    public let checkpoint: Checkpoint

    public init(checkpoint: Checkpoint, path: String) {
        self.checkpoint = checkpoint
        self.path = path
    }

    /// A named share of the parameters: "encoder" (0 for one-hot input), "rnn layer k", "decoder".
    public struct ParameterGroup: Equatable, Sendable {
        public let name: String
        public let count: Int
    }

    public var parameterGroups: [ParameterGroup] {
        let table = checkpoint.parameterTable
        func sum(_ prefix: String) -> Int {
            table.entries.filter { $0.name.hasPrefix(prefix) }.reduce(0) { $0 + $1.count }
        }
        var groups: [ParameterGroup] = []
        // The encoder is listed with 0 for one-hot input, so that every summary has the same groups.
        groups.append(ParameterGroup(name: "encoder", count: sum("encoder.")))
        for k in 0..<checkpoint.config.layers {
            let count = table.entries.filter { $0.name.hasPrefix("rnn.") && $0.name.hasSuffix("_l\(k)") }.reduce(0) { $0 + $1.count }
            groups.append(ParameterGroup(name: "rnn layer \(k)", count: count))
        }
        groups.append(ParameterGroup(name: "decoder", count: sum("decoder.")))
        return groups
    }

    /// Batches in an epoch of the recorded training text: (length - 1) / (batch * steps).
    var batchesPerEpoch: Int? {
        guard let t = checkpoint.training else { return nil }
        let perBatch = Int64(t.options.batchSize) * Int64(t.options.seqLength)
        return Int((t.data.trainingLength - 1) / perBatch)
    }

    /// Tensors holding NaN or infinities (a diverged or damaged model).
    public var nonFiniteTensors: [(name: String, nan: Int, inf: Int)] {
        checkpoint.inspectedTensors.compactMap { tensor in
            var nan = 0, inf = 0
            for v in tensor.values where !v.isFinite {
                if v.isNaN { nan += 1 } else { inf += 1 }
            }
            return nan + inf > 0 ? (tensor.name, nan, inf) : nil
        }
    }

    // MARK: JSON

    public var json: JSONValue {
        let c = checkpoint.config, v = checkpoint.vocabulary
        var members: [(key: String, value: JSONValue)] = [
            ("format", .string(Checkpoint.formatName)),
            ("format_version", .int(Checkpoint.formatVersion)),
            ("created_by", .string(checkpoint.createdBy)),
            ("created_utc", .string(checkpoint.createdUTC)),
            ("model", .object([
                ("cell", .string(c.cell.rawValue)),
                ("num_layers", .int(c.layers)),
                ("hidden_size", .int(c.hiddenSize)),
                ("embedding_size", .int(c.embeddingSize)),
                ("input", .string(c.usesEmbedding ? "embedding" : "one-hot")),
                ("vocab_size", .int(c.vocabSize)),
                ("dropout", .double(c.dropout)),
            ])),
            ("parameters", .object([
                ("total", .int(checkpoint.parameterTable.totalCount)),
                ("groups", .array(parameterGroups.map { .object([("name", .string($0.name)), ("count", .int($0.count))]) })),
                ("tensors", .array(checkpoint.parameterTable.entries.map {
                    .object([("name", .string($0.name)), ("shape", .array($0.shape.map { .int($0) })), ("count", .int($0.count))])
                })),
            ])),
            ("vocabulary", .object([
                ("size", .int(v.count)),
                ("unit", .string(v.unit.rawValue)),
                ("counted_tokens", .int(v.counts.reduce(0, +))),
            ])),
            ("non_finite", .array(nonFiniteTensors.map {
                .object([("name", .string($0.name)), ("nan", .int($0.nan)), ("inf", .int($0.inf))])
            })),
        ]
        guard let t = checkpoint.training else {
            members.append(("training", .null))
            return .object(members)
        }
        let p = t.progress, o = t.options, h = p.history
        members.append(("training", .object([
            ("epoch", .int(p.epoch)),
            ("batch_index", .int(p.batchIndex)),
            ("batches_per_epoch", .optional(batchesPerEpoch.map { .int($0) })),
            ("iteration", .int(p.iteration)),
            ("characters_seen", .int(p.charactersSeen)),
            ("elapsed_seconds", .double(p.elapsedSeconds)),
            ("learning_rate", .double(t.learningRate)),
            ("last_train_loss", .optional(h.trainLoss.last.map { .float($0) })),
            ("last_train_step", .optional(h.steps.last.map { .int($0) })),
            ("best_val_loss", .double(p.bestValidationLoss)),
            ("last_val_loss", .optional(h.validationLoss.last.map { .float($0) })),
            ("last_val_step", .optional(h.validationSteps.last.map { .int($0) })),
            ("evaluations", .int(h.validationSteps.count)),
            ("reference_loss", .double(p.referenceLoss)),
            ("seq_length", .int(o.seqLength)),
            ("batch_size", .int(o.batchSize)),
            ("base_learning_rate", .double(o.optimizer.learningRate)),
            ("lr_decay", .double(o.learningRateDecay)),
            ("lr_decay_after", .int(o.learningRateDecayAfter)),
            ("grad_clip", .double(o.gradientClip)),
            ("clip_mode", .string(o.clipMode.rawValue)),
            ("epochs", .int(o.epochs)),
            ("max_iterations", .int(o.maxIterations)),
            ("eval_every", .int(o.evalEvery)),
            ("seed", .int(Int64(bitPattern: o.seed))),
        ])))
        members.append(("optimizer", .object([
            ("name", .string(o.optimizer.kind.rawValue)),
            ("step", .int(t.optimizerStep)),
            ("learning_rate", .double(t.learningRate)),
            ("momentum", .double(o.optimizer.momentum)),
            ("alpha", .double(o.optimizer.alpha)),
            ("beta1", .double(o.optimizer.beta1)),
            ("beta2", .double(o.optimizer.beta2)),
            ("epsilon", .double(o.optimizer.epsilon)),
            ("slots", .array(t.optimizerSlots.keys.sorted().map { .string($0) })),
        ])))
        let shape: JSONValue = .array([.int(c.layers), .int(o.batchSize), .int(c.hiddenSize)])
        members.append(("hidden_state", .object([
            ("shape", shape),
            ("h", TensorStatistics(t.hidden).json),
            ("c", t.cell.map { TensorStatistics($0).json } ?? .null),
        ])))
        let d = t.data
        members.append(("data", .object([
            ("training_paths", .array(d.trainingPaths.map { .string($0) })),
            ("validation_paths", .array(d.validationPaths.map { .string($0) })),
            ("val_fraction", .double(d.validationFraction)),
            ("corpus_length", .int(d.trainingLength)),
            ("corpus_fingerprint", .string(DataProvenance.format(d.trainingFingerprint))),
            ("val_length", .int(d.validationLength)),
            ("val_fingerprint", .string(DataProvenance.format(d.validationFingerprint))),
        ])))
        members.append(("rng", .object([
            ("algorithm", .string(RandomGenerator.algorithm)),
            ("state", .array(t.random.map { .string("0x" + String($0, radix: 16)) })),
        ])))
        return .object(members)
    }

    // MARK: Text

    /// The summary for people: labelled lines in sections.
    public var lines: [String] {
        let c = checkpoint.config, v = checkpoint.vocabulary
        var out: [String] = []
        func section(_ title: String, _ rows: [(String, String)]) {
            out.append(title)
            let width = rows.map(\.0.count).max() ?? 0
            for (label, value) in rows {
                out.append("  " + label + String(repeating: " ", count: width - label.count) + "  " + value)
            }
        }
        let origin = checkpoint.createdBy.isEmpty ? "(not recorded)" : checkpoint.createdBy
        section(path, [
            ("format", "\(Checkpoint.formatName), version \(Checkpoint.formatVersion)"),
            ("written by", origin + (checkpoint.createdUTC.isEmpty ? "" : " at \(checkpoint.createdUTC)")),
            ("contents", checkpoint.training == nil ? "model only (can be played and inspected, not resumed)" : "model and training state (can be resumed)"),
        ])

        let input = c.usesEmbedding ? "embedding of \(c.embeddingSize)" : "one-hot input of \(c.vocabSize)"
        var model: [(String, String)] = [
            ("cell", "\(c.cell.rawValue), \(c.layers) layer\(c.layers == 1 ? "" : "s") of \(c.hiddenSize) units, \(input), dropout \(c.dropout)"),
            ("parameters", Format.grouped(checkpoint.parameterTable.totalCount)),
        ]
        for group in parameterGroups {
            let note = group.name == "encoder" && !c.usesEmbedding ? " (one-hot input: no embedding table)" : ""
            model.append(("  " + group.name, Format.grouped(group.count) + note))
        }
        let unit = v.unit == .byte ? "bytes" : "Unicode characters"
        let counted = v.counts.reduce(0, +)
        model.append(("vocabulary", "\(Format.grouped(v.count)) \(unit)" + (counted > 0 ? ", \(Format.grouped(counted)) tokens counted in the training text" : "")))
        let broken = nonFiniteTensors
        if broken.isEmpty {
            model.append(("values", "all finite"))
        } else {
            for b in broken {
                model.append(("NON-FINITE", "\(b.name): \(Format.grouped(b.nan)) NaN, \(Format.grouped(b.inf)) Inf"))
            }
        }
        section("model", model)

        guard let t = checkpoint.training else {
            out.append("training")
            out.append("  none recorded (a model-only checkpoint)")
            return out
        }
        let p = t.progress, o = t.options, h = p.history
        let perEpoch = batchesPerEpoch.map { " of \($0)" } ?? ""
        var training: [(String, String)] = [
            ("position", "epoch \(p.epoch), batch \(p.batchIndex)\(perEpoch) (next to train)"),
            ("iterations", "\(Format.grouped(p.iteration)) of \(o.maxIterations > 0 ? Format.grouped(o.maxIterations) : "unlimited") (max), \(o.epochs) epochs planned"),
            ("characters seen", Format.grouped(p.charactersSeen)),
            ("training time", Format.seconds(p.elapsedSeconds)),
            ("learning rate", "\(Format.short(t.learningRate)) now; base \(Format.short(o.optimizer.learningRate))" + (o.learningRateDecay == 1 ? ", constant" : ", x\(Format.short(o.learningRateDecay)) per epoch from the end of epoch \(max(o.learningRateDecayAfter, 1))")),
            ("batches", "\(o.batchSize) x \(o.seqLength) characters, clipping by \(o.clipMode.rawValue) at \(Format.short(o.gradientClip)), seed \(o.seed)"),
        ]
        if let last = h.trainLoss.last, let step = h.steps.last {
            training.append(("last train loss", "\(Format.fixed(Double(last))) at iteration \(Format.grouped(step))"))
        } else {
            training.append(("last train loss", "none recorded"))
        }
        if let last = h.validationLoss.last, let step = h.validationSteps.last {
            training.append(("best val loss", "\(Format.fixed(p.bestValidationLoss)); last \(Format.fixed(Double(last))) at iteration \(Format.grouped(step)) (\(Format.count(h.validationSteps.count, "evaluation")))"))
        } else {
            training.append(("best val loss", "none yet (no evaluation)"))
        }
        section("training", training)

        let s = o.optimizer
        var settings: [String]
        switch s.kind {
        case .sgd: settings = ["momentum \(Format.short(s.momentum))"]
        case .adagrad: settings = ["eps \(Format.short(s.epsilon))"]
        case .rmsprop: settings = ["alpha \(Format.short(s.alpha))", "eps \(Format.short(s.epsilon))"]
        case .adam: settings = ["betas \(Format.short(s.beta1)), \(Format.short(s.beta2))", "eps \(Format.short(s.epsilon))"]
        }
        let slots = t.optimizerSlots.keys.sorted()
        section("optimizer", [
            ("name", "\(s.kind.rawValue) (\(settings.joined(separator: ", ")))"),
            ("step", Format.grouped(t.optimizerStep)),
            ("slots", slots.isEmpty ? "none" : slots.joined(separator: ", ")),
        ])

        var hidden: [(String, String)] = [("shape", "\(Format.shape([c.layers, o.batchSize, c.hiddenSize])) (layers, batch rows, units)")]
        hidden.append(("h", TensorStatistics(t.hidden).oneLine))
        if let cell = t.cell { hidden.append(("c", TensorStatistics(cell).oneLine)) }
        section("hidden state", hidden)

        let d = t.data
        var data: [(String, String)] = [
            ("training", "\(Format.grouped(d.trainingLength)) tokens, \(DataProvenance.format(d.trainingFingerprint))"),
            ("  from", d.trainingPaths.isEmpty ? "(not recorded)" : d.trainingPaths.joined(separator: ", ")),
        ]
        if d.validationLength > 0 {
            let source = d.validationPaths.isEmpty ? "the last \(Format.percent(d.validationFraction)) of the text" : d.validationPaths.joined(separator: ", ")
            data.append(("validation", "\(Format.grouped(d.validationLength)) tokens, \(DataProvenance.format(d.validationFingerprint))"))
            data.append(("  from", source))
        } else {
            data.append(("validation", "none"))
        }
        section("text", data)
        return out
    }
}

extension Format {
    /// Seconds as "0.42s", "42s", "3m07s" or "2h05m".
    static func seconds(_ s: Double) -> String {
        guard s.isFinite && s >= 0 else { return "-" }
        if s < 10 { return String(format: "%.2fs", s) }
        let whole = Int(s.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
    }
}
