import Foundation
import Testing

@testable import CharRNN

/// Writing and reading checkpoints: every object round-trips bit for bit, and a run resumed from
/// a checkpoint continues exactly.
struct CheckpointTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let text = String(repeating: "the cat sat on the mat; the dog ate the log.\n", count: 10)

    static func trainer(_ cell: CellKind, embedding: Int = 0, dropout: Double = 0.2, optimizer: OptimizerKind = .adam) throws -> Trainer {
        let corpus = Corpus.from(text: text, validationFraction: 0.1)
        let config = ModelConfig(cell: cell, layers: 2, hiddenSize: 12, embeddingSize: embedding, vocabSize: corpus.vocabulary.count, dropout: dropout)
        let options = TrainingOptions(
            batchSize: 3, seqLength: 10, optimizer: OptimizerSettings(kind: optimizer, learningRate: 0.01, momentum: 0.5),
            learningRateDecay: 0.9, learningRateDecayAfter: 1, epochs: 100, maxIterations: 0, evalEvery: 4, seed: 11)
        return try Trainer(config: config, corpus: corpus, options: options)
    }

    static func train(_ trainer: Trainer, iterations: Int) throws {
        for _ in 0..<iterations {
            _ = try trainer.step()
            if trainer.progress.iteration % trainer.options.evalEvery == 0 { _ = trainer.recordValidation() }
        }
    }

    @Test(arguments: [(CellKind.rnn, 0, OptimizerKind.sgd), (.lstm, 5, .adam), (.gru, 0, .rmsprop), (.lstm, 0, .adagrad)])
    func everyObjectRoundTripsBitForBit(_ cell: CellKind, _ embedding: Int, _ optimizer: OptimizerKind) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let trainer = try Self.trainer(cell, embedding: embedding, optimizer: optimizer)
        try Self.train(trainer, iterations: 9)
        let original = trainer.checkpoint(createdBy: "test")
        let path = folder.appendingPathComponent("a.h5").path
        try original.save(to: path)
        let read = try Checkpoint.read(from: path)
        #expect(read == original)
        #expect(read.training?.optimizerSlots.keys.sorted() == OptimizerSettings(kind: optimizer, learningRate: 1, momentum: 0.5).slotNames.sorted())
        #expect(read.training?.progress.history.trainLoss.count == 9)
        #expect(read.training?.progress.history.validationSteps == [4, 8])
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["a.h5"])

        // A model-only checkpoint round-trips too.
        var modelOnly = original
        modelOnly.training = nil
        try modelOnly.save(to: path)
        #expect(try Checkpoint.read(from: path) == modelOnly)
    }

    @Test(arguments: CellKind.allCases)
    func resumedTrainingContinuesExactly(_ cell: CellKind) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // (405 - 1) / (3 x 10) = 13 batches per epoch: stopping at 20 and going on to 32 crosses an
        // epoch boundary after the stop.
        let straight = try Self.trainer(cell)
        try Self.train(straight, iterations: 32)

        let first = try Self.trainer(cell)
        try Self.train(first, iterations: 20)
        let path = folder.appendingPathComponent("half.h5").path
        try first.checkpoint(createdBy: "test").save(to: path)
        let saved = try Checkpoint.read(from: path)
        let resumed = try Trainer(resuming: saved, path: path, corpus: first.corpus, options: first.options)
        try Self.train(resumed, iterations: 12)

        var a = straight.checkpoint(createdBy: "test"), b = resumed.checkpoint(createdBy: "test")
        #expect(a.training!.progress.epoch >= 2)
        // Wall-clock time is the one thing that differs.
        a.createdUTC = b.createdUTC
        a.training!.progress.elapsedSeconds = 0
        b.training!.progress.elapsedSeconds = 0
        a.training!.progress.history.elapsed = []
        b.training!.progress.history.elapsed = []
        #expect(a == b)
        #expect(bitwiseEqual(a.parameters, b.parameters))
    }
}
