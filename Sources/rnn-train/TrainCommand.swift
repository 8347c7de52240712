import ArgumentParser
import CharRNN
import CommandLineSupport
import Foundation

@main
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnn-train",
        abstract: "Train a character-level RNN, LSTM or GRU language model on text.",
        discussion: """
            The text is cut into --batch-size contiguous streams; each batch continues every \
            stream where the previous batch stopped, and the hidden state is carried across \
            batches and epochs (truncated backpropagation through time over --seq-length steps).

            Example:
              rnn-train --data plays/ --cell lstm --layers 2 --hidden-size 256 --epochs 10
            """)

    @OptionGroup(title: "Data") var data: DataArguments
    @OptionGroup(title: "Model") var model: ModelArguments

    @Option(help: "Time steps per batch (truncated backpropagation through time).")
    var seqLength = 50

    @Option(help: "Parallel text streams per batch.")
    var batchSize = 50

    @Option(help: "Optimizer: sgd, adagrad, rmsprop or adam (PyTorch's update rules).")
    var optimizer: OptimizerKind = .adam

    @Option(help: "Learning rate.")
    var learningRate = 2e-3

    @Option(help: "Multiply the learning rate by this at the end of every epoch from --lr-decay-after on (1: constant).")
    var lrDecay = 0.97

    @Option(help: "The epoch at whose end the learning-rate decay starts.")
    var lrDecayAfter = 10

    @Option(help: "SGD momentum.")
    var momentum = 0.0

    @Option(help: "RMSprop smoothing constant.")
    var alpha = 0.99

    @Option(help: "Adam's beta1.")
    var beta1 = 0.9

    @Option(help: "Adam's beta2.")
    var beta2 = 0.999

    @Option(help: "Epsilon of adagrad, rmsprop and adam (default: PyTorch's, 1e-10 for adagrad, 1e-8 otherwise).")
    var epsilon: Double?

    @Option(help: "Gradient clipping threshold (0: no clipping).")
    var gradClip = 5.0

    @Option(help: "Clipping: norm (scale all gradients to a global 2-norm of at most --grad-clip) or value (clamp each element).")
    var clipMode: ClipMode = .norm

    @Option(help: "Train for this many epochs (passes over the training text).")
    var epochs = 50

    @Option(help: "Stop after this many iterations in all (0: no limit).")
    var maxIterations = 0

    @Option(help: "Compute the validation loss every this many iterations (0: only at the end).")
    var evalEvery = 1000

    @Option(help: "Print a progress line every this many iterations.")
    var printEvery = 10

    @Option(help: "Print a generated sample every this many iterations (0: never).")
    var sampleEvery = 1000

    @Option(help: "Length of the samples printed during training.")
    var sampleLength = 200

    @Option(help: "Temperature of the samples printed during training.")
    var sampleTemperature = 0.8

    @Option(help: "Random seed for initialisation and dropout.")
    var seed: UInt64 = 0

    @Option(help: "Threads for the matrix products.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if data.data.isEmpty { throw ValidationError("give the training text with --data PATH...") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if printEvery < 1 { throw ValidationError("--print-every must be at least 1") }
        if sampleEvery < 0 || sampleLength < 0 { throw ValidationError("--sample-every and --sample-length must not be negative") }
        if sampleTemperature < 0 { throw ValidationError("--sample-temperature must not be negative") }
    }

    var trainingOptions: TrainingOptions {
        TrainingOptions(
            batchSize: batchSize, seqLength: seqLength,
            optimizer: OptimizerSettings(
                kind: optimizer, learningRate: learningRate, momentum: momentum, alpha: alpha,
                beta1: beta1, beta2: beta2, epsilon: epsilon),
            learningRateDecay: lrDecay, learningRateDecayAfter: lrDecayAfter, gradientClip: gradClip,
            clipMode: clipMode, epochs: epochs, maxIterations: maxIterations, evalEvery: evalEvery,
            seed: seed)
    }

    func run() throws {
        try Console.failingCleanly("rnn-train") { try train() }
    }

    func train() throws {
        BLASThreads.set(threads)
        let options = trainingOptions
        try options.validate()
        let corpus = try Corpus.load(data.corpusOptions)
        let config = ModelConfig(
            cell: model.cell, layers: model.layers, hiddenSize: model.hiddenSize,
            embeddingSize: model.embeddingSize, vocabSize: corpus.vocabulary.count, dropout: model.dropout)
        let trainer = try Trainer(config: config, corpus: corpus, options: options)
        printSummary(trainer)
        let progress = ProgressPrinter(trainer: trainer, printEvery: printEvery)
        let outcome = try trainer.run { event in
            progress.handle(event)
            if case .iteration(let report) = event, sampleEvery > 0, report.iteration % sampleEvery == 0 {
                printSample(trainer)
            }
            return .proceed
        }
        progress.finish(outcome: outcome)
    }

    func printSummary(_ trainer: Trainer) {
        let corpus = trainer.corpus, config = trainer.model.config
        let files = corpus.trainingFiles.count
        var line = "corpus: \(files) file\(files == 1 ? "" : "s"), vocabulary \(corpus.vocabulary.count)"
        line += corpus.vocabulary.unit == .byte ? " bytes" : " characters"
        line += "; training \(Console.grouped(corpus.training.count)) tokens"
        if let validation = corpus.validation {
            line += ", validation \(Console.grouped(validation.count))"
        } else {
            line += ", no validation text"
        }
        Console.writeLine(line)
        let input = config.usesEmbedding ? "embedding \(config.embeddingSize)" : "one-hot input"
        Console.writeLine(
            "model: \(config.cell.rawValue), \(config.layers) layer\(config.layers == 1 ? "" : "s") of \(config.hiddenSize), \(input), dropout \(config.dropout), \(Console.grouped(trainer.model.parameterCount)) parameters"
        )
        let o = trainer.options
        Console.writeLine(
            "training: \(trainer.batchesPerEpoch) batches of \(o.batchSize) x \(o.seqLength) per epoch, \(Console.grouped(trainer.totalIterations)) iterations, \(o.optimizer.kind.rawValue) lr \(o.optimizer.learningRate), \(BLASThreads.current) thread\(BLASThreads.current == 1 ? "" : "s")"
        )
    }

    func printSample(_ trainer: Trainer) {
        guard sampleLength > 0 else { return }
        let model = trainer.model
        let generator = Generator(model: model)
        let sampler = TokenSampler(
            vocabularySize: model.config.vocabSize, options: SamplingOptions(temperature: sampleTemperature))
        var random = RandomGenerator.derived(seed: seed, stream: UInt64(trainer.progress.iteration))
        var token = model.vocabulary.id(of: 0x0A) ?? TokenSampler.argmax(generator.step(0))
        var ids: [Int32] = []
        for _ in 0..<sampleLength {
            token = sampler.draw(generator.step(token), random: &random)
            ids.append(token)
        }
        Console.writeLine("---- sample at iteration \(trainer.progress.iteration) ----")
        Console.writeLine(model.vocabulary.decode(ids))
        Console.writeLine("----")
    }
}

/// Prints progress lines: iteration, epoch, losses, characters per second and time left.
final class ProgressPrinter {
    let trainer: Trainer
    let printEvery: Int
    var lastValidation = Double.nan
    var characters = 0
    var seconds = 0.0
    var lossSum = 0.0
    var lossCount = 0
    let started = Date()

    init(trainer: Trainer, printEvery: Int) {
        self.trainer = trainer
        self.printEvery = printEvery
    }

    func handle(_ event: TrainingEvent) {
        switch event {
        case .iteration(let r):
            characters += r.characters
            seconds += r.seconds
            lossSum += r.loss
            lossCount += 1
            if r.iteration % printEvery == 0 || r.iteration == r.totalIterations || r.iteration == 1 {
                let rate = seconds > 0 ? Double(characters) / seconds : 0
                let left = Double(r.totalIterations - r.iteration) * Double(r.characters) / max(rate, 1e-9)
                let width = String(r.totalIterations).count
                let iteration = String(repeating: " ", count: max(0, width - String(r.iteration).count)) + String(r.iteration)
                Console.writeLine(
                    "iter \(iteration)/\(r.totalIterations)  epoch \(String(format: "%6.2f", r.epoch))  loss \(Console.fixed(lossSum / Double(lossCount)))  val \(Console.fixed(lastValidation))  lr \(String(format: "%.2e", r.learningRate))  \(Console.grouped(Int(rate))) chars/s  ETA \(Console.duration(left))"
                )
                characters = 0
                seconds = 0
                lossSum = 0
                lossCount = 0
            }
        case .validation(let v):
            lastValidation = v.loss
            Console.writeLine(
                "validation at iteration \(v.iteration): loss \(Console.fixed(v.loss)) (\(Console.fixed(v.loss / log(2.0), 3)) bits/char)\(v.isBest ? ", best so far" : "")"
            )
        case .epochCompleted:
            break
        }
    }

    func finish(outcome: TrainingOutcome) {
        let p = trainer.progress
        let what = outcome == .completed ? "done" : "stopped"
        Console.writeLine(
            "\(what): \(p.iteration) iterations, \(Console.grouped(Int(p.charactersSeen))) characters in \(Console.duration(Date().timeIntervalSince(started))); best validation loss \(Console.fixed(p.bestValidationLoss))"
        )
    }
}
