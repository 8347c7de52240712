/// How two checkpoints differ: their settings (architecture, vocabulary, training options, data,
/// training state) and, per tensor, the largest absolute and relative difference.
///
/// Two checkpoints are *identical* when everything that decides what the model computes and how
/// its training continues is equal bit for bit. Wall-clock records (`created_by`, `created_utc`,
/// training time and the times in the history) are reported but do not count: two runs with the
/// same seed on the same machine give identical checkpoints.
public struct CheckpointDiff: Sendable {
    public struct SettingChange: Equatable, Sendable {
        /// "model", "vocabulary", "training", "data", "state" or "metadata".
        public let section: String
        public let name: String
        public let a: String
        public let b: String
    }

    public struct TensorChange: Equatable, Sendable {
        public let name: String
        /// nil where the tensor is absent from that checkpoint.
        public let shapeA: [Int]?
        public let shapeB: [Int]?
        /// Elements whose bits differ (0 when the shapes differ: nothing is compared).
        public let changed: Int
        public let count: Int
        /// Over differing elements finite in both (0 when none); nil when nothing was compared.
        public let maxAbsolute: Double?
        /// |a - b| / max(|a|, |b|), over the same elements.
        public let maxRelative: Double?
        /// Differing elements where either side is NaN or infinite.
        public let nonFiniteMismatches: Int

        public var isIdentical: Bool { shapeA != nil && shapeA == shapeB && changed == 0 }
    }

    public let pathA: String
    public let pathB: String
    /// Differing settings that count.
    public let settings: [SettingChange]
    /// Differing wall-clock records, which do not count.
    public let ignored: [SettingChange]
    /// Every tensor of either checkpoint, in file order.
    public let tensors: [TensorChange]

    public var identical: Bool { settings.isEmpty && tensors.allSatisfy(\.isIdentical) }

    public init(_ a: Checkpoint, _ b: Checkpoint, pathA: String, pathB: String) {
        self.pathA = pathA
        self.pathB = pathB
        let listA = Self.settings(of: a), listB = Self.settings(of: b)
        var changes: [SettingChange] = []
        let keysB = Dictionary(listB.map { ("\($0.section)/\($0.name)", $0.value) }, uniquingKeysWith: { x, _ in x })
        let keysA = Dictionary(listA.map { ("\($0.section)/\($0.name)", $0.value) }, uniquingKeysWith: { x, _ in x })
        for item in listA {
            let other = keysB["\(item.section)/\(item.name)"] ?? "(absent)"
            if other != item.value { changes.append(SettingChange(section: item.section, name: item.name, a: item.value, b: other)) }
        }
        for item in listB where keysA["\(item.section)/\(item.name)"] == nil {
            changes.append(SettingChange(section: item.section, name: item.name, a: "(absent)", b: item.value))
        }
        changes += Self.vocabularyChanges(a.vocabulary, b.vocabulary)
        // Histories of equal length whose values differ look alike in the listing: say so.
        if let ha = a.training?.progress.history, let hb = b.training?.progress.history {
            let pairs: [(String, Bool)] = [
                ("train_loss", ha.steps == hb.steps && bitwiseEqual(ha.trainLoss, hb.trainLoss)),
                ("val_loss", ha.validationSteps == hb.validationSteps && bitwiseEqual(ha.validationLoss, hb.validationLoss)),
            ]
            for (name, equal) in pairs where !equal && !changes.contains(where: { $0.section == "history" && $0.name == name }) {
                changes.append(SettingChange(section: "history", name: name, a: "as recorded", b: "other values"))
            }
            if !bitwiseEqual(ha.elapsed, hb.elapsed) {
                changes.append(SettingChange(section: "metadata", name: "history elapsed", a: "\(ha.elapsed.count) times", b: "\(hb.elapsed.count) times, other values"))
            }
        }
        settings = changes.filter { $0.section != "metadata" }
        ignored = changes.filter { $0.section == "metadata" }
        tensors = Self.compareTensors(a.inspectedTensors, b.inspectedTensors)
    }

    /// Every setting as (section, name, value as text); values compare by their exact text.
    static func settings(of c: Checkpoint) -> [(section: String, name: String, value: String)] {
        var out: [(section: String, name: String, value: String)] = []
        func add(_ section: String, _ name: String, _ value: String) { out.append((section, name, value)) }
        add("metadata", "created_by", c.createdBy)
        add("metadata", "created_utc", c.createdUTC)
        let m = c.config
        add("model", "cell", m.cell.rawValue)
        add("model", "num_layers", "\(m.layers)")
        add("model", "hidden_size", "\(m.hiddenSize)")
        add("model", "embedding_size", "\(m.embeddingSize)")
        add("model", "vocab_size", "\(m.vocabSize)")
        add("model", "dropout", "\(m.dropout)")
        let v = c.vocabulary
        add("vocabulary", "unit", v.unit.rawValue)
        add("vocabulary", "size", "\(v.count)")
        guard let t = c.training else {
            add("state", "training state", "absent (model only)")
            return out
        }
        add("state", "training state", "present")
        let o = t.options
        add("training", "seq_length", "\(o.seqLength)")
        add("training", "batch_size", "\(o.batchSize)")
        add("training", "optimizer", o.optimizer.kind.rawValue)
        add("training", "learning_rate", "\(o.optimizer.learningRate)")
        add("training", "lr_decay", "\(o.learningRateDecay)")
        add("training", "lr_decay_after", "\(o.learningRateDecayAfter)")
        add("training", "momentum", "\(o.optimizer.momentum)")
        add("training", "alpha", "\(o.optimizer.alpha)")
        add("training", "beta1", "\(o.optimizer.beta1)")
        add("training", "beta2", "\(o.optimizer.beta2)")
        add("training", "epsilon", "\(o.optimizer.epsilon)")
        add("training", "grad_clip", "\(o.gradientClip)")
        add("training", "clip_mode", o.clipMode.rawValue)
        add("training", "epochs", "\(o.epochs)")
        add("training", "max_iterations", "\(o.maxIterations)")
        add("training", "eval_every", "\(o.evalEvery)")
        add("training", "seed", "\(o.seed)")
        let d = t.data
        add("data", "data_paths", d.trainingPaths.joined(separator: ", "))
        add("data", "val_data_paths", d.validationPaths.joined(separator: ", "))
        add("data", "val_fraction", "\(d.validationFraction)")
        add("data", "corpus_length", "\(d.trainingLength)")
        add("data", "corpus_fingerprint", DataProvenance.format(d.trainingFingerprint))
        add("data", "val_length", "\(d.validationLength)")
        add("data", "val_fingerprint", DataProvenance.format(d.validationFingerprint))
        let p = t.progress
        add("state", "epoch", "\(p.epoch)")
        add("state", "batch_index", "\(p.batchIndex)")
        add("state", "iteration", "\(p.iteration)")
        add("state", "characters_seen", "\(p.charactersSeen)")
        add("state", "best_val_loss", "\(p.bestValidationLoss)")
        add("state", "reference_loss", "\(p.referenceLoss)")
        add("state", "optimizer step", "\(t.optimizerStep)")
        add("state", "learning rate now", "\(t.learningRate)")
        add("state", "rng", t.random.map { String($0, radix: 16) }.joined(separator: " "))
        add("metadata", "elapsed_seconds", "\(p.elapsedSeconds)")
        let h = p.history
        add("history", "train_loss", "\(h.steps.count) entries" + (h.trainLoss.last.map { ", last \($0)" } ?? ""))
        add("history", "val_loss", "\(h.validationSteps.count) entries" + (h.validationLoss.last.map { ", last \($0)" } ?? ""))
        return out
    }

    /// Which characters only one vocabulary has, and how many counts differ.
    static func vocabularyChanges(_ a: Vocabulary, _ b: Vocabulary) -> [SettingChange] {
        var out: [SettingChange] = []
        if a.codepoints != b.codepoints {
            let setA = Set(a.codepoints), setB = Set(b.codepoints)
            func list(_ c: [UInt32]) -> String {
                c.isEmpty ? "none" : c.prefix(20).map(Vocabulary.visible).joined(separator: " ") + (c.count > 20 ? " and \(c.count - 20) more" : "")
            }
            out.append(SettingChange(
                section: "vocabulary", name: "characters",
                a: "only here: " + list(a.codepoints.filter { !setB.contains($0) }),
                b: "only here: " + list(b.codepoints.filter { !setA.contains($0) })))
        } else if a.counts != b.counts {
            let differing = zip(a.counts, b.counts).filter { $0 != $1 }.count
            out.append(SettingChange(
                section: "vocabulary", name: "counts",
                a: "\(a.counts.reduce(0, +)) tokens counted", b: "\(b.counts.reduce(0, +)) tokens counted, \(differing) counts differ"))
        }
        return out
    }

    static func compareTensors(_ a: [InspectedTensor], _ b: [InspectedTensor]) -> [TensorChange] {
        let byName = Dictionary(b.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        let namesA = Set(a.map(\.name))
        var out: [TensorChange] = []
        for x in a {
            guard let y = byName[x.name] else {
                out.append(TensorChange(name: x.name, shapeA: x.shape, shapeB: nil, changed: 0, count: x.values.count, maxAbsolute: nil, maxRelative: nil, nonFiniteMismatches: 0))
                continue
            }
            out.append(compare(x, y))
        }
        for y in b where !namesA.contains(y.name) {
            out.append(TensorChange(name: y.name, shapeA: nil, shapeB: y.shape, changed: 0, count: y.values.count, maxAbsolute: nil, maxRelative: nil, nonFiniteMismatches: 0))
        }
        return out
    }

    static func compare(_ x: InspectedTensor, _ y: InspectedTensor) -> TensorChange {
        guard x.shape == y.shape else {
            return TensorChange(name: x.name, shapeA: x.shape, shapeB: y.shape, changed: 0, count: x.values.count, maxAbsolute: nil, maxRelative: nil, nonFiniteMismatches: 0)
        }
        var changed = 0, nonFinite = 0
        var maxAbsolute: Double? = nil, maxRelative: Double? = nil
        for (u, v) in zip(x.values, y.values) where u.bitPattern != v.bitPattern {
            changed += 1
            guard u.isFinite && v.isFinite else {
                nonFinite += 1
                continue
            }
            let a = Double(u), b = Double(v)
            let difference = abs(a - b)
            let scale = max(abs(a), abs(b))
            let relative = scale > 0 ? difference / scale : 0
            maxAbsolute = max(maxAbsolute ?? 0, difference)
            maxRelative = max(maxRelative ?? 0, relative)
        }
        return TensorChange(
            name: x.name, shapeA: x.shape, shapeB: y.shape, changed: changed, count: x.values.count,
            maxAbsolute: maxAbsolute ?? 0, maxRelative: maxRelative ?? 0, nonFiniteMismatches: nonFinite)
    }

    // MARK: Reports

    /// The differences for people; `all` lists identical tensors too.
    public func lines(all: Bool = false) -> [String] {
        var out = ["A: \(pathA)", "B: \(pathB)"]
        if !settings.isEmpty {
            out.append("settings that differ:")
            var table = TextTable([("section", .left), ("setting", .left), ("A", .left), ("B", .left)])
            for s in settings { table.append([s.section, s.name, Self.clip(s.a), Self.clip(s.b)]) }
            out += table.lines(indent: 2)
        }
        let shown = tensors.filter { all || !$0.isIdentical }
        if !shown.isEmpty {
            out.append(all ? "tensors:" : "tensors that differ:")
            var table = TextTable([
                ("tensor", .left), ("shape", .left), ("changed", .right), ("max |a-b|", .right), ("max relative", .right),
            ])
            for t in shown {
                let shape: String
                if let sa = t.shapeA, let sb = t.shapeB {
                    shape = sa == sb ? Format.shape(sa) : "\(Format.shape(sa)) vs \(Format.shape(sb))"
                } else {
                    shape = t.shapeA == nil ? "only in B" : "only in A"
                }
                let compared = t.shapeA != nil && t.shapeA == t.shapeB
                var changed = compared ? "\(Format.grouped(t.changed)) of \(Format.grouped(t.count))" : "-"
                if t.nonFiniteMismatches > 0 { changed += " (\(Format.grouped(t.nonFiniteMismatches)) non-finite)" }
                table.append([
                    t.name, shape, changed, compared ? Format.short(t.maxAbsolute ?? 0) : "-",
                    compared ? Format.short(t.maxRelative ?? 0) : "-",
                ])
            }
            out += table.lines(indent: 2)
        }
        if !ignored.isEmpty {
            out.append("not counted (wall-clock records): " + ignored.map(\.name).joined(separator: ", "))
        }
        let same = tensors.filter(\.isIdentical).count
        if identical {
            out.append("identical: all \(tensors.count) tensors and every setting are equal bit for bit")
        } else {
            // The loss history records how the run went, not what the model or its training state
            // is: named apart, so that a resumed run with one more evaluation reads as such.
            let history = settings.filter { $0.section == "history" }
            let others = settings.count - history.count
            var parts: [(text: String, count: Int)] = []
            if others > 0 { parts.append((Format.count(others, "setting"), others)) }
            if !history.isEmpty { parts.append(("the loss history (\(history.map(\.name).joined(separator: ", ")))", 1)) }
            let differ = tensors.count - same
            if differ > 0 { parts.append(("\(differ) of \(tensors.count) tensors", differ)) }
            // "1 setting differs", "1 of 32 tensors differs", "1 setting and 1 of 32 tensors differ".
            let singular = parts.count == 1 && parts[0].count == 1
            let texts = parts.map(\.text)
            var line = "different: " + (texts.count > 1 ? texts.dropLast().joined(separator: ", ") + " and " + texts.last! : texts[0])
            line += singular ? " differs" : " differ"
            if differ == 0 {
                line += "; all \(tensors.count) tensors" + (others == 0 ? " and every other setting are" : " are") + " equal bit for bit"
            }
            out.append(line)
        }
        return out
    }

    static func clip(_ text: String, _ limit: Int = 60) -> String {
        text.count > limit ? String(text.prefix(limit - 3)) + "..." : text
    }

    public var json: JSONValue {
        func change(_ s: SettingChange) -> JSONValue {
            .object([("section", .string(s.section)), ("name", .string(s.name)), ("a", .string(s.a)), ("b", .string(s.b))])
        }
        func shape(_ s: [Int]?) -> JSONValue { s.map { .array($0.map { .int($0) }) } ?? .null }
        return .object([
            ("a", .string(pathA)),
            ("b", .string(pathB)),
            ("identical", .bool(identical)),
            ("settings", .array(settings.map(change))),
            ("ignored", .array(ignored.map(change))),
            ("tensors", .array(tensors.map { t in
                .object([
                    ("name", .string(t.name)),
                    ("shape_a", shape(t.shapeA)),
                    ("shape_b", shape(t.shapeB)),
                    ("identical", .bool(t.isIdentical)),
                    ("count", .int(t.count)),
                    ("changed", .int(t.changed)),
                    ("max_abs_diff", t.maxAbsolute.map(JSONValue.double) ?? .null),
                    ("max_rel_diff", t.maxRelative.map(JSONValue.double) ?? .null),
                    ("non_finite_mismatches", .int(t.nonFiniteMismatches)),
                ])
            })),
        ])
    }
}
