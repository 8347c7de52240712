import ArgumentParser
import CharRNN
import Foundation

/// Training and sampling throughput on the peers' configurations, printed like the peers'
/// scripts (a final `RESULT {json}` line) so that Tools/bench.sh can put them side by side.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnn-bench",
        abstract: "Measure training and sampling characters per second of one configuration.")

    @Option(help: "Training text.") var data = "../shared/data/shakespeare_1mb.txt"
    @Option(help: "rnn, lstm or gru.") var cell = "lstm"
    @Option(help: "Layers.") var layers = 2
    @Option(help: "Hidden units per layer.") var hidden = 128
    @Option(help: "Embedding size (0: one-hot).") var embed = 0
    @Option(help: "Batch size.") var batch = 50
    @Option(help: "Sequence length.") var seq = 50
    @Option(help: "Timed training iterations (after 3 warm-up iterations).") var steps = 100
    @Option(help: "BLAS threads.") var threads = 2
    @Option(help: "Optimizer.") var optimizer = "adam"
    @Option(help: "Learning rate.") var lr = 2e-3
    @Option(help: "Characters to sample at batch 1 (0: skip).") var sampleLength = 2000
    @Option(help: "Rows sampled together for the batched sampling figure (0: skip).") var sampleBatch = 0

    func run() throws {
        BLASThreads.set(threads)
        let corpus = try Corpus.load(CorpusOptions(trainingPaths: [data]))
        let config = ModelConfig(
            cell: CellKind(rawValue: cell)!, layers: layers, hiddenSize: hidden, embeddingSize: embed,
            vocabSize: corpus.vocabulary.count, dropout: 0)
        let options = TrainingOptions(
            batchSize: batch, seqLength: seq,
            optimizer: OptimizerSettings(kind: OptimizerKind(rawValue: optimizer)!, learningRate: lr),
            learningRateDecay: 1, epochs: 1_000_000, evalEvery: 0)
        let trainer = try Trainer(config: config, corpus: corpus, options: options)
        for _ in 0..<3 { _ = try trainer.step() }
        var losses: [Double] = []
        let start = Date()
        for _ in 0..<steps { losses.append(try trainer.step().loss) }
        let trainSeconds = Date().timeIntervalSince(start)
        let trainRate = Double(batch * seq * steps) / trainSeconds
        let k = max(1, steps / 10)
        let loss = losses.suffix(k).reduce(0, +) / Double(k)

        // OpenBLAS's server threads spin for a while after the last threaded product and would
        // compete with generation's own threads; rnn-play starts without training, so let them rest.
        usleep(500_000)
        var sampleRate = 0.0
        if sampleLength > 0 {
            let generator = Generator(model: trainer.model)
            let sampler = TokenSampler(vocabularySize: config.vocabSize, options: SamplingOptions())
            var random = RandomGenerator(seed: 1)
            var token = corpus.vocabulary.id(of: 10) ?? 0
            let t0 = Date()
            for _ in 0..<sampleLength { token = sampler.draw(generator.step(token), random: &random) }
            sampleRate = Double(sampleLength) / Date().timeIntervalSince(t0)
        }
        var batchedRate = 0.0
        if sampleBatch > 0 && sampleLength > 0 {
            let generator = Generator(model: trainer.model, batch: sampleBatch)
            let sampler = TokenSampler(vocabularySize: config.vocabSize, options: SamplingOptions())
            var random = RandomGenerator(seed: 2)
            var tokens = [Int32](repeating: corpus.vocabulary.id(of: 10) ?? 0, count: sampleBatch)
            let t0 = Date()
            for _ in 0..<sampleLength {
                generator.step(&tokens)
                for r in 0..<sampleBatch { tokens[r] = sampler.draw(generator.logits(row: r), random: &random) }
            }
            batchedRate = Double(sampleLength * sampleBatch) / Date().timeIntervalSince(t0)
        }
        print(String(format: "train: %d steps x %dx%d in %.2fs = %.0f chars/s; loss last-%d-mean %.3f", steps, batch, seq, trainSeconds, trainRate, k, loss))
        print(String(format: "sample: %d chars = %.0f chars/s at batch 1%@", sampleLength, sampleRate,
                     sampleBatch > 0 ? String(format: ", %.0f chars/s at batch %d", batchedRate, sampleBatch) : ""))
        let result: [String: Any] = [
            "system": "swift-char-rnn", "kernels": VectorKernels.name, "cell": cell, "layers": layers, "hidden": hidden, "batch": batch,
            "seq": seq, "threads": threads, "steps": steps, "train_s": trainSeconds, "train_cps": trainRate,
            "sample_cps": sampleRate, "sample_batch_cps": batchedRate, "loss": loss, "vocab": config.vocabSize,
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print("RESULT " + String(decoding: json, as: UTF8.self))
    }
}
