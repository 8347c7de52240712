import Foundation

/// What the training loop tells its caller; the caller's answer can stop it.
public enum TrainingEvent: Sendable {
    case iteration(IterationReport)
    case validation(ValidationReport)
    case epochCompleted(Int)
    /// Everything of this iteration is done (validation included): a consistent point to save.
    case stepCompleted(iteration: Int)
}

public enum ProgressAction: Sendable {
    case proceed
    case stop
}

public struct IterationReport: Sendable {
    public let iteration: Int
    public let totalIterations: Int
    /// Epochs done, with the fraction of the current one.
    public let epoch: Double
    public let loss: Double
    public let gradientNorm: Double
    public let learningRate: Double
    public let characters: Int
    public let seconds: Double
}

public struct ValidationReport: Sendable {
    public let iteration: Int
    public let loss: Double
    public let isBest: Bool
}

public enum TrainingOutcome: Sendable, Equatable {
    /// The planned epochs or iterations are done.
    case completed
    /// The progress callback asked to stop.
    case stopped
}

public enum TrainingError: Swift.Error, CustomStringConvertible, Sendable {
    case diverged(iteration: Int, loss: Double, reason: String)

    public var description: String {
        switch self {
        case .diverged(let iteration, let loss, let reason):
            return "training diverged at iteration \(iteration): \(reason) (loss \(String(format: "%.4g", loss))); "
                + "try a lower --learning-rate or a smaller --grad-clip"
        }
    }
}

/// The training loop: truncated backpropagation through time over the sequencer's batches, the
/// hidden state carried across batches and epochs, clipping, the optimizer and its schedule,
/// periodic validation and a divergence guard. It reports through a callback and never prints.
public final class Trainer: @unchecked Sendable {
    public let model: Model
    public let options: TrainingOptions
    public let corpus: Corpus
    /// The paths and split the corpus was loaded with, recorded in checkpoints.
    public var corpusOptions: CorpusOptions?
    public internal(set) var progress: TrainingProgress
    /// Drives dropout (and drew the initial weights): saved so a resumed run draws the same.
    public internal(set) var random: RandomGenerator
    var sequencer: Sequencer
    let state: HiddenState<Float>
    let optimizer: Optimizer<Float>
    private let validationSequencer: Sequencer?
    private var inputs: [Int32]
    private var targets: [Int32]
    /// Validation runs on its own workspace over the same weights.
    private lazy var evaluationNetwork = Network(sharing: model.network)
    /// A running mean of the loss above this multiple of the first iteration's loss counts as
    /// exploding (char-rnn's rule, on a smoothed loss).
    public static let explodingFactor = 3.0
    private var smoothedLoss = Double.nan

    /// Starts a new run: seeds the generator, initialises the weights from it.
    public convenience init(config: ModelConfig, corpus: Corpus, options: TrainingOptions) throws {
        var random = RandomGenerator(seed: options.seed)
        let model = try Model(config: config, vocabulary: corpus.vocabulary, random: &random)
        try self.init(model: model, corpus: corpus, options: options, random: random)
    }

    /// Trains a given model (fine-tuning, or a model restored from a checkpoint).
    public init(model: Model, corpus: Corpus, options: TrainingOptions, random: RandomGenerator) throws {
        try options.validate()
        guard model.vocabulary.codepoints == corpus.vocabulary.codepoints else {
            throw ConfigurationError("the corpus was encoded with a different vocabulary than the model's")
        }
        self.model = model
        self.options = options
        self.corpus = corpus
        self.random = random
        progress = TrainingProgress()
        try Self.checkLengths(corpus, options)
        sequencer = try Sequencer(tokens: corpus.training, batch: options.batchSize, steps: options.seqLength)
        if let validation = corpus.validation {
            let rows = min(options.batchSize, (validation.count - 1) / options.seqLength)
            validationSequencer = try Sequencer(
                tokens: validation, batch: rows, steps: options.seqLength, what: "the validation text")
        } else {
            validationSequencer = nil
        }
        state = HiddenState(config: model.config, batch: options.batchSize)
        optimizer = Optimizer(settings: options.optimizer, parameterCount: model.parameterCount)
        inputs = Array(repeating: 0, count: options.batchSize * options.seqLength)
        targets = inputs
    }

    public var batchesPerEpoch: Int { sequencer.batchesPerEpoch }

    /// Too short a text gets a message that names its files and says what length would do.
    static func checkLengths(_ corpus: Corpus, _ options: TrainingOptions) throws(CorpusError) {
        let minimum = options.batchSize * options.seqLength + 1
        if corpus.training.count < minimum {
            var reason = "batch size \(options.batchSize) x sequence length \(options.seqLength) + 1"
            let fraction = corpus.validationFraction
            if fraction > 0 {
                var whole = minimum
                while whole - Int(Double(whole) * fraction) < minimum { whole += 1 }
                reason += "; with \(Corpus.percent(fraction)) held out for validation the text needs \(whole) tokens"
            }
            throw .tooShort(
                what: "\(corpus.trainingSource): the training text", length: corpus.training.count, minimum: minimum,
                reason: reason + "; or lower --batch-size or --seq-length")
        }
        if let validation = corpus.validation, validation.count < options.seqLength + 1 {
            let remedy = corpus.validationFiles.isEmpty
                ? "raise --val-fraction, give --val-data, or set --val-fraction 0"
                : "give a longer --val-data, or lower --seq-length"
            throw .tooShort(
                what: "\(corpus.validationSource): the validation text", length: validation.count,
                minimum: options.seqLength + 1, reason: "sequence length \(options.seqLength) + 1; \(remedy)")
        }
    }

    /// Iterations this run trains to: all epochs, capped by --max-iterations.
    public var totalIterations: Int {
        let byEpochs = options.epochs * sequencer.batchesPerEpoch
        return options.maxIterations > 0 ? min(byEpochs, options.maxIterations) : byEpochs
    }

    public var hasValidation: Bool { validationSequencer != nil }

    public var learningRate: Double { options.schedule.rate(completedEpochs: sequencer.epoch) }

    /// One iteration: forward, backward, clip, guard, update; the state carries on.
    public func step() throws(TrainingError) -> IterationReport {
        let started = DispatchTime.now().uptimeNanoseconds
        let network = model.network
        let b = options.batchSize, t = options.seqLength
        network.reserve(batch: b, steps: t)
        inputs.withUnsafeMutableBufferPointer { i in
            targets.withUnsafeMutableBufferPointer { o in
                sequencer.fill(inputs: i.baseAddress!, targets: o.baseAddress!)
            }
        }
        network.gradients.zero()
        let loss = network.forward(inputs: inputs, targets: targets, state: state, training: true, random: &random)
        network.backward()
        let norm = clipGradients(network.gradients, mode: options.clipMode, threshold: options.gradientClip)
        let iteration = progress.iteration + 1
        if !loss.isFinite || !norm.isFinite {
            throw .diverged(iteration: iteration, loss: loss, reason: loss.isFinite ? "the gradient is not finite" : "the loss is not a number")
        }
        if progress.referenceLoss.isNaN { progress.referenceLoss = loss }
        // One batch can be unlucky (small batches are noisy): the guard watches a running mean
        // over about the last ten iterations (restarted with each run).
        smoothedLoss = smoothedLoss.isNaN ? loss : 0.9 * smoothedLoss + 0.1 * loss
        if smoothedLoss > Self.explodingFactor * progress.referenceLoss {
            throw .diverged(
                iteration: iteration, loss: loss,
                reason: "the loss exploded to more than \(Int(Self.explodingFactor))x the first iteration's \(String(format: "%.4f", progress.referenceLoss))")
        }
        let rate = learningRate
        optimizer.update(parameters: network.parameters, gradients: network.gradients, learningRate: rate)
        let epochBefore = sequencer.epoch, batchBefore = sequencer.batchIndex
        sequencer.advance()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        progress.iteration = iteration
        progress.epoch = sequencer.epoch
        progress.batchIndex = sequencer.batchIndex
        progress.charactersSeen += Int64(b * t)
        progress.elapsedSeconds += seconds
        progress.history.steps.append(Int64(iteration))
        progress.history.trainLoss.append(Float(loss))
        progress.history.elapsed.append(Float(progress.elapsedSeconds))
        return IterationReport(
            iteration: iteration, totalIterations: totalIterations,
            epoch: Double(epochBefore) + Double(batchBefore + 1) / Double(sequencer.batchesPerEpoch),
            loss: loss, gradientNorm: norm, learningRate: rate, characters: b * t, seconds: seconds)
    }

    /// Asked between validation batches: true abandons the evaluation (Ctrl-C should not wait
    /// for a long validation text).
    public var isInterrupted: () -> Bool = { false }

    /// Mean loss over the whole validation text, sequenced like training from a zero state,
    /// without dropout; nil when there is no validation text or the evaluation was interrupted.
    public func validationLoss() -> Double? {
        guard var sequencer = validationSequencer else { return nil }
        let network = evaluationNetwork
        let b = sequencer.batch, t = sequencer.steps
        network.reserve(batch: b, steps: t)
        let state = HiddenState<Float>(config: model.config, batch: b)
        var inputs = [Int32](repeating: 0, count: b * t), targets = inputs
        var total = 0.0
        var unused = RandomGenerator(seed: 0)
        for _ in 0..<sequencer.batchesPerEpoch {
            if isInterrupted() { return nil }
            inputs.withUnsafeMutableBufferPointer { i in
                targets.withUnsafeMutableBufferPointer { o in
                    sequencer.fill(inputs: i.baseAddress!, targets: o.baseAddress!)
                }
            }
            total += network.forward(inputs: inputs, targets: targets, state: state, training: false, random: &unused)
            sequencer.advance()
        }
        return total / Double(sequencer.batchesPerEpoch)
    }

    /// Evaluates, records the validation loss, and reports whether it is the best so far.
    public func recordValidation() -> ValidationReport? {
        guard let loss = validationLoss() else { return nil }
        let isBest = loss < progress.bestValidationLoss
        if isBest { progress.bestValidationLoss = loss }
        progress.history.validationSteps.append(Int64(progress.iteration))
        progress.history.validationLoss.append(Float(loss))
        return ValidationReport(iteration: progress.iteration, loss: loss, isBest: isBest)
    }

    /// Trains until the planned iterations are done or the callback answers `.stop`.
    public func run(_ callback: (TrainingEvent) -> ProgressAction) throws(TrainingError) -> TrainingOutcome {
        let total = totalIterations
        while progress.iteration < total {
            let epochBefore = sequencer.epoch
            let report = try step()
            var action = callback(.iteration(report))
            if sequencer.epoch != epochBefore, callback(.epochCompleted(sequencer.epoch)) == .stop {
                action = .stop
            }
            let evaluate = (options.evalEvery > 0 && progress.iteration % options.evalEvery == 0)
                || progress.iteration == total
            if evaluate, let validation = recordValidation(), callback(.validation(validation)) == .stop {
                action = .stop
            }
            if callback(.stepCompleted(iteration: progress.iteration)) == .stop { action = .stop }
            if action == .stop { return progress.iteration == total ? .completed : .stopped }
        }
        return .completed
    }
}
