import ArgumentParser
import CharRNN
import CommandLineSupport
import Foundation

@main
struct PlayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnn-play",
        abstract: "Generate text from a trained model, or score a text under it.",
        discussion: """
            Generation starts from a zero state, warms it up on --prime (or on a newline when no \
            prime is given) and then draws one character at a time, streaming them to standard \
            output.

            Scoring (--score) prints the mean loss of a text in nats, bits per character and \
            perplexity: every character after the first is predicted from all those before it, \
            from a zero state.

            Examples:
              rnn-play checkpoints/best.h5 --length 2000 --temperature 0.8 --prime "ROMEO:"
              rnn-play checkpoints/best.h5 --score test.txt
            """,
        version: ToolkitVersion.string)

    @Argument(help: "The checkpoint (.h5) to load.")
    var checkpoint: String

    @Option(help: "Characters to generate.")
    var length = 500

    @Option(help: "Sampling temperature: lower is more conservative, 0 always picks the most likely character.")
    var temperature = 1.0

    @Option(help: "Random seed: the same seed gives the same text. (default: a random seed)")
    var seed: UInt64?

    @Option(help: "Text to warm the state up on before generating; it is printed first.")
    var prime: String?

    @Option(parsing: .upToNextOption, help: "Score these text files instead of generating.")
    var score: [String] = []

    @Option(help: "Threads for the matrix products.")
    var threads = 1

    func validate() throws {
        if length < 0 { throw ValidationError("--length must not be negative") }
        if temperature < 0 || !temperature.isFinite { throw ValidationError("--temperature must be 0 or more") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try Console.failingCleanly("rnn-play") {
            BLASThreads.set(threads)
            let loaded = try Checkpoint.read(from: checkpoint)
            let model = try loaded.makeModel()
            if score.isEmpty {
                try generate(model)
            } else {
                try scoreFiles(model)
            }
        }
    }

    func generate(_ model: Model) throws {
        let vocabulary = model.vocabulary
        let primeIDs = try prime.map { try vocabulary.encode($0, source: "--prime") } ?? []
        if prime != nil && primeIDs.isEmpty { throw ValidationError("--prime is empty") }
        var random = RandomGenerator(seed: seed ?? UInt64.random(in: 0...UInt64(Int64.max)))
        let generator = Generator(model: model)
        let sampler = TokenSampler(vocabularySize: model.config.vocabSize, options: SamplingOptions(temperature: temperature))
        let output = StreamingOutput()
        var logits: UnsafeBufferPointer<Float>
        if primeIDs.isEmpty {
            if let newline = vocabulary.id(of: 0x0A) {
                logits = generator.step(newline)
            } else {
                let first = Int32(random.next() % UInt64(vocabulary.count))
                output.write(vocabulary.bytes(of: first))
                logits = generator.step(first)
            }
        } else {
            output.write(Array(prime!.utf8))
            logits = generator.step(primeIDs[0])
            for id in primeIDs.dropFirst() { logits = generator.step(id) }
        }
        for _ in 0..<length {
            let next = sampler.draw(logits, random: &random)
            output.write(vocabulary.bytes(of: next))
            logits = generator.step(next)
        }
        output.write([0x0A])
        output.flush()
    }

    func scoreFiles(_ model: Model) throws {
        let scorer = Scorer(model: model)
        var overall = Scorer.Score(totalNats: 0, predictions: 0)
        for file in score {
            let corpus = try Corpus.load(CorpusOptions(trainingPaths: [file], unit: model.vocabulary.unit), vocabulary: model.vocabulary)
            let result = scorer.score(corpus.training)
            overall = overall + result
            Console.writeLine(Self.format(result, label: file))
        }
        if score.count > 1 { Console.writeLine(Self.format(overall, label: "overall")) }
    }

    static func format(_ s: Scorer.Score, label: String) -> String {
        String(format: "%@: %.6f nats/char, %.6f bits/char, perplexity %.4f over %@ characters",
               label, s.meanNats, s.bitsPerCharacter, s.perplexity, Console.grouped(s.predictions))
    }
}
