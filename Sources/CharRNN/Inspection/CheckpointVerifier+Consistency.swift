import Foundation

extension CheckpointVerifier {
    /// Checks that hold in every checkpoint this toolkit writes; returns what was checked.
    static func consistency(_ c: Checkpoint, _ add: (String, String) -> Void) -> [String] {
        var checks: [String] = []
        if c.createdBy.isEmpty { add("/@created_by", "missing or empty") }
        if c.createdUTC.isEmpty {
            add("/@created_utc", "missing or empty")
        } else if ISO8601DateFormatter().date(from: c.createdUTC) == nil {
            add("/@created_utc", "\"\(c.createdUTC)\" is not an ISO 8601 time")
        }
        guard let t = c.training else {
            checks.append("model only: no training record to check")
            return checks
        }
        let p = t.progress, o = t.options, h = p.history, d = t.data

        if t.optimizerStep != Int64(p.iteration) {
            add("/optimizer@step", "is \(t.optimizerStep) but /train@iteration is \(p.iteration) (one optimizer step per iteration)")
        }
        let perBatch = Int64(o.batchSize) * Int64(o.seqLength)
        if p.charactersSeen != Int64(p.iteration) * perBatch {
            add("/train@characters_seen", "is \(p.charactersSeen) but \(p.iteration) iterations of \(o.batchSize) x \(o.seqLength) read \(Int64(p.iteration) * perBatch)")
        }
        let batches = (d.trainingLength - 1) / perBatch
        if batches < 1 {
            add("/train@corpus_length", "\(d.trainingLength) tokens do not fill one batch of \(o.batchSize) x \(o.seqLength) + 1")
        } else if Int64(p.batchIndex) >= batches {
            add("/train@batch_index", "is \(p.batchIndex) but an epoch has \(batches) batches (0 to \(batches - 1))")
        } else if Int64(p.epoch) * batches + Int64(p.batchIndex) != Int64(p.iteration) {
            add("/train@epoch", "epoch \(p.epoch), batch \(p.batchIndex) of \(batches) per epoch is iteration \(Int64(p.epoch) * batches + Int64(p.batchIndex)), not \(p.iteration)")
        }
        checks.append("optimizer step, characters seen and sequencer position agree with iteration \(p.iteration)")

        let expectedRate = o.schedule.rate(completedEpochs: p.epoch)
        if abs(t.learningRate - expectedRate) > 1e-9 * expectedRate {
            add("/optimizer@learning_rate", "is \(t.learningRate) but the schedule gives \(expectedRate) after \(Format.count(p.epoch, "epoch"))")
        }
        checks.append("learning rate \(Format.short(t.learningRate)) follows the schedule")

        checkHistory(p, add)
        checks.append("loss history: \(Format.count(h.steps.count, "iteration")), \(Format.count(h.validationSteps.count, "evaluation")), ordered and finite; best validation loss and reference loss match it")

        let counted = c.vocabulary.counts.reduce(0, +)
        if counted > 0 && counted != d.trainingLength {
            add("/vocab/counts", "add up to \(counted) but /train@corpus_length is \(d.trainingLength)")
        }
        checks.append("vocabulary counts add up to the corpus length (\(Format.grouped(d.trainingLength)))")

        // h is tanh of something (RNN, LSTM: o * tanh(c)) or a convex mix of such (GRU).
        if let worst = t.hidden.filter(\.isFinite).max(by: { abs($0) < abs($1) }), abs(worst) > 1 {
            let outside = t.hidden.filter { $0.isFinite && abs($0) > 1 }.count
            add("/train/hidden/h", "\(outside) value\(outside == 1 ? "" : "s") outside [-1, 1] (largest \(worst)), impossible for \(c.config.cell.withArticle) cell")
        }
        checks.append("hidden state within [-1, 1]")

        for slot in ["exp_avg_sq", "sum", "square_avg"] {
            guard let values = t.optimizerSlots[slot] else { continue }
            let negative = values.filter { $0 < 0 }.count
            if negative > 0 {
                add("/optimizer/\(slot)", "\(negative) negative value\(negative == 1 ? "" : "s"), impossible for a running sum of squares")
            } else {
                checks.append("optimizer slot \(slot) is not negative")
            }
        }
        return checks
    }

    static func checkHistory(_ p: TrainingProgress, _ add: (String, String) -> Void) {
        let h = p.history, iteration = Int64(p.iteration)
        if h.steps.count > p.iteration {
            add("/history/step", "has \(h.steps.count) entries for \(p.iteration) iterations")
        }
        if let bad = zip(h.steps, h.steps.dropFirst()).first(where: { $0 >= $1 }) {
            add("/history/step", "is not increasing (\(bad.0) then \(bad.1))")
        }
        if let first = h.steps.first, first < 1 { add("/history/step", "starts at \(first); iterations count from 1") }
        if let last = h.steps.last, last != iteration {
            add("/history/step", "ends at \(last) but /train@iteration is \(iteration)")
        }
        if let bad = h.trainLoss.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            add("/history/train_loss", "entry \(bad) is \(h.trainLoss[bad]); a loss is finite and not negative")
        }
        if let bad = zip(h.elapsed, h.elapsed.dropFirst()).first(where: { !($0 <= $1) }) {
            add("/history/elapsed", "is not increasing (\(bad.0) then \(bad.1))")
        }
        if let last = h.elapsed.last, abs(Double(last) - p.elapsedSeconds) > max(1e-3, 1e-5 * p.elapsedSeconds) {
            add("/history/elapsed", "ends at \(last) s but /train@elapsed_seconds is \(p.elapsedSeconds)")
        }
        if let bad = zip(h.validationSteps, h.validationSteps.dropFirst()).first(where: { $0 > $1 }) {
            add("/history/val_step", "is not in order (\(bad.0) then \(bad.1))")
        }
        if let bad = h.validationSteps.first(where: { $0 < 1 || $0 > iteration }) {
            add("/history/val_step", "holds \(bad), outside iterations 1 to \(iteration)")
        }
        if let bad = h.validationLoss.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            add("/history/val_loss", "entry \(bad) is \(h.validationLoss[bad]); a loss is finite and not negative")
        }
        let best = p.bestValidationLoss
        if let lowest = h.validationLoss.filter(\.isFinite).min() {
            if Float(best) != lowest {
                add("/train@best_val_loss", "is \(best) but the lowest validation loss in /history/val_loss is \(lowest)")
            }
        } else if h.validationLoss.isEmpty && best != .infinity {
            add("/train@best_val_loss", "is \(best) though no validation loss was recorded (infinity expected)")
        }
        if h.steps.first == 1, let first = h.trainLoss.first, Float(p.referenceLoss) != first {
            add("/train@reference_loss", "is \(p.referenceLoss) but the first iteration's loss is \(first)")
        }
        if p.iteration > 0 && !p.referenceLoss.isFinite {
            add("/train@reference_loss", "is \(p.referenceLoss) after \(p.iteration) iterations (the first iteration's loss expected)")
        }
    }
}
