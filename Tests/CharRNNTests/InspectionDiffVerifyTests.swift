import Foundation
import Testing

@testable import CharRNN

/// Comparing checkpoints and verifying them, on checkpoints made in memory.
@Suite(.serialized)
struct InspectionDiffVerifyTests {
    static let text = String(repeating: "the cat sat on the mat; \"the dog\" ate the log.\n", count: 10)

    /// 14 iterations of an LSTM with adam, validated every 4: 423 training characters make
    /// (423 - 1) / (3 x 10) = 14 batches per epoch, so training stands at epoch 1, batch 0.
    static func trained() throws -> Checkpoint {
        let corpus = Corpus.from(text: text, validationFraction: 0.1)
        let config = ModelConfig(cell: .lstm, layers: 2, hiddenSize: 8, embeddingSize: 0, vocabSize: corpus.vocabulary.count, dropout: 0)
        let options = TrainingOptions(
            batchSize: 3, seqLength: 10, optimizer: OptimizerSettings(kind: .adam, learningRate: 0.01),
            learningRateDecay: 0.5, learningRateDecayAfter: 1, epochs: 100, evalEvery: 4, seed: 3)
        let trainer = try Trainer(config: config, corpus: corpus, options: options)
        for _ in 0..<14 {
            _ = try trainer.step()
            if trainer.progress.iteration % 4 == 0 { _ = trainer.recordValidation() }
        }
        return trainer.checkpoint(createdBy: "test")
    }

    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func diffOfACheckpointWithItselfAndWithChanges() throws {
        let a = try Self.trained()
        let same = CheckpointDiff(a, a, pathA: "a.h5", pathB: "a.h5")
        #expect(same.identical && same.settings.isEmpty && same.ignored.isEmpty)
        #expect(same.tensors.count == 10 * 3 + 2, "10 model tensors, two adam slots of 10, h and c")
        #expect(same.tensors.allSatisfy { $0.isIdentical && $0.maxAbsolute == 0 })
        #expect(same.lines().last == "identical: all \(same.tensors.count) tensors and every setting are equal bit for bit")

        // Wall-clock records alone do not make a difference.
        var later = a
        later.createdUTC = "2030-01-01T00:00:00Z"
        later.training!.progress.elapsedSeconds += 5
        let timing = CheckpointDiff(a, later, pathA: "a.h5", pathB: "b.h5")
        #expect(timing.identical)
        #expect(timing.ignored.map(\.name) == ["created_utc", "elapsed_seconds"])

        // One weight moved by a known amount, the learning rate and the iteration changed.
        var b = a
        let spec = b.parameterTable["rnn.weight_hh_l1"]!
        let before = b.parameters[spec.offset + 5]
        b.parameters[spec.offset + 5] = before + 0.25
        b.training!.options.maxIterations = 99
        b.training!.progress.iteration += 1
        let changed = CheckpointDiff(a, b, pathA: "a.h5", pathB: "b.h5")
        #expect(!changed.identical)
        #expect(Set(changed.settings.map(\.name)) == ["max_iterations", "iteration"])
        #expect(changed.settings.first { $0.name == "iteration" }.map { ($0.a, $0.b) }! == ("14", "15"))
        let moved = changed.tensors.filter { !$0.isIdentical }
        #expect(moved.map(\.name) == ["model/rnn.weight_hh_l1"])
        #expect(moved[0].changed == 1 && moved[0].count == 32 * 8)
        #expect(moved[0].maxAbsolute == abs(Double(before + 0.25) - Double(before)))
        #expect(abs(moved[0].maxRelative! - moved[0].maxAbsolute! / max(abs(Double(before)), abs(Double(before + 0.25)))) < 1e-15)
        #expect(changed.lines().last == "different: 2 settings and 1 of 32 tensors differ")

        // One thing alone takes the singular.
        var oneSetting = a
        oneSetting.training!.options.maxIterations = 99
        #expect(CheckpointDiff(a, oneSetting, pathA: "a.h5", pathB: "b.h5").lines().last == "different: 1 setting differs; all 32 tensors are equal bit for bit")
        var oneTensor = a
        oneTensor.parameters[spec.offset + 5] = before + 0.25
        #expect(CheckpointDiff(a, oneTensor, pathA: "a.h5", pathB: "b.h5").lines().last == "different: 1 of 32 tensors differs")
        oneTensor.parameters[spec.offset - 1] += 0.25
        #expect(CheckpointDiff(a, oneTensor, pathA: "a.h5", pathB: "b.h5").lines().last == "different: 2 of 32 tensors differ")
        var both = a
        both.training!.options.epochs = 7
        both.parameters[spec.offset + 5] = before + 0.25
        #expect(CheckpointDiff(a, both, pathA: "a.h5", pathB: "b.h5").lines().last == "different: 1 setting and 1 of 32 tensors differ")

        // One more evaluation in the history (a run stopped between evaluations and resumed):
        // the summary says that only the history differs.
        var evaluatedMore = a
        let history = a.training!.progress.history
        #expect(history.validationSteps == [4, 8, 12])
        evaluatedMore.training!.progress.history.validationSteps = [4, 8, 10, 12]
        evaluatedMore.training!.progress.history.validationLoss.insert(history.validationLoss[2] + 0.5, at: 2)
        let extra = CheckpointDiff(a, evaluatedMore, pathA: "a.h5", pathB: "b.h5")
        #expect(!extra.identical)
        #expect(extra.settings.map { "\($0.section) \($0.name): \($0.a) | \($0.b)" } == [
            "history val_loss: 3 entries, last \(history.validationLoss[2]) | 4 entries, last \(history.validationLoss[2])",
        ])
        #expect(extra.lines().last == "different: the loss history (val_loss) differs; all 32 tensors and every other setting are equal bit for bit")
        evaluatedMore.training!.options.maxIterations = 99
        #expect(CheckpointDiff(a, evaluatedMore, pathA: "a.h5", pathB: "b.h5").lines().last
            == "different: 1 setting and the loss history (val_loss) differ; all 32 tensors are equal bit for bit")
        evaluatedMore.parameters[spec.offset + 5] = before + 0.25
        #expect(CheckpointDiff(a, evaluatedMore, pathA: "a.h5", pathB: "b.h5").lines().last
            == "different: 1 setting, the loss history (val_loss) and 1 of 32 tensors differ")

        // A NaN where there was a number counts as a non-finite mismatch.
        var broken = a
        broken.parameters[0] = .nan
        let nan = CheckpointDiff(a, broken, pathA: "a.h5", pathB: "c.h5")
        #expect(nan.tensors[0].changed == 1 && nan.tensors[0].nonFiniteMismatches == 1 && nan.tensors[0].maxAbsolute == 0)

        // Another architecture: shapes differ, nothing is compared, and model-only is a setting.
        var wider = a.config
        wider.hiddenSize = 9
        let other = Checkpoint(
            createdBy: a.createdBy, createdUTC: a.createdUTC, config: wider, vocabulary: a.vocabulary,
            parameters: [Float](repeating: 0, count: ParameterTable(config: wider).totalCount), training: nil)
        let architecture = CheckpointDiff(a, other, pathA: "a.h5", pathB: "d.h5")
        #expect(architecture.settings.contains { $0.name == "hidden_size" && $0.a == "8" && $0.b == "9" })
        #expect(architecture.settings.contains { $0.name == "training state" && $0.b == "absent (model only)" })
        #expect(architecture.tensors.contains { $0.name == "train/hidden/c" && $0.shapeB == nil })
    }

    @Test func soundCheckpointsVerify() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = try Self.trained()
        let path = folder.appendingPathComponent("sound.h5").path
        try checkpoint.save(to: path)
        let report = CheckpointVerifier.verify(path: path)
        #expect(report.isSound, "\(report.problems)")
        // 32 tensors (10 model, 2 x 10 adam slots, h, c) and 3 float series of the history.
        #expect(report.checks.contains { $0.contains("35 float32 datasets scanned") }, "\(report.checks)")
        var modelOnly = checkpoint
        modelOnly.training = nil
        try modelOnly.save(to: path)
        #expect(CheckpointVerifier.verify(path: path).isSound)
    }

    /// Each damage, written with the checkpoint writer (which does not validate), is found and
    /// named; several at once are all listed.
    @Test func everyInconsistencyIsListed() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = try Self.trained()
        typealias Damage = (String, (inout Checkpoint) -> Void, String, String)
        let damages: [Damage] = [
            ("step", { $0.training!.optimizerStep = 13 }, "/optimizer@step", "is 13 but /train@iteration is 14"),
            ("chars", { $0.training!.progress.charactersSeen += 1 }, "/train@characters_seen", "is 421 but 14 iterations of 3 x 10 read 420"),
            ("position", { $0.training!.progress.batchIndex = 2 }, "/train@epoch", "epoch 1, batch 2 of 14 per epoch is iteration 16, not 14"),
            ("rate", { $0.training!.learningRate = 0.01 }, "/optimizer@learning_rate", "is 0.01 but the schedule gives 0.005 after 1 epoch"),
            ("best", { $0.training!.progress.bestValidationLoss = 0.5 }, "/train@best_val_loss", "is 0.5 but the lowest validation loss in /history/val_loss is"),
            ("reference", { $0.training!.progress.referenceLoss = 9 }, "/train@reference_loss", "is 9.0 but the first iteration's loss is"),
            ("history", { $0.training!.progress.history.steps[3] = 3 }, "/history/step", "is not increasing (3 then 3)"),
            ("counts", {
                var counts = $0.vocabulary.counts
                counts[0] += 2
                $0.vocabulary = Vocabulary(unit: .unicodeScalar, codepoints: $0.vocabulary.codepoints, counts: counts)
            }, "/vocab/counts", "add up to 425 but /train@corpus_length is 423"),
            ("hidden", { $0.training!.hidden[7] = 1.5 }, "/train/hidden/h", "1 value outside [-1, 1] (largest 1.5), impossible for an lstm cell"),
            ("squares", { $0.training!.optimizerSlots["exp_avg_sq"]![3] = -1e-3 }, "/optimizer/exp_avg_sq", "1 negative value, impossible for a running sum of squares"),
            ("time", { $0.createdUTC = "yesterday" }, "/@created_utc", "\"yesterday\" is not an ISO 8601 time"),
        ]
        for (name, damage, object, message) in damages {
            var c = good
            damage(&c)
            let path = folder.appendingPathComponent("\(name).h5").path
            try c.write(to: path)
            let report = CheckpointVerifier.verify(path: path)
            #expect(report.problems.count == 1, "\(name): \(report.problems)")
            #expect(report.problems.first?.object == object, "\(name): \(report.problems)")
            #expect(report.problems.first?.problem.hasPrefix(message) == true, "\(name): \(report.problems)")
        }

        // NaN weights: the reader's refusal first, then the scan of the other datasets; the
        // consistency checks still run on what the lenient reader gets.
        var c = good
        c.parameters[1] = .nan
        c.training!.optimizerSlots["exp_avg"]![2] = .infinity
        c.training!.optimizerSlots["exp_avg"]![3] = .nan
        c.training!.optimizerStep = 1
        let path = folder.appendingPathComponent("several.h5").path
        try c.write(to: path)
        let report = CheckpointVerifier.verify(path: path)
        #expect(report.problems.map(\.object) == ["/model/rnn.weight_ih_l0", "/optimizer/exp_avg/rnn.weight_ih_l0", "/optimizer@step"])
        #expect(report.problems[0].problem.hasPrefix("holds a non-finite value (nan at element 1)"))
        #expect(report.problems[1].problem == "holds 1 NaN and 1 infinite values of \(Format.grouped(c.parameterTable.entries[0].count)) (first at element 2)")
        #expect(report.lines[0] == "\(path): 3 problems")
    }
}
