/// Everything a checkpoint file holds (format version 1, see docs/checkpoint-format.md): the model
/// and its vocabulary, and, for checkpoints written by training, all the state needed to continue
/// training exactly.
public struct Checkpoint: Equatable, Sendable {
    public static let formatName = "charrnn-checkpoint"
    public static let formatVersion: Int64 = 1

    public var createdBy: String
    public var createdUTC: String
    public var config: ModelConfig
    public var vocabulary: Vocabulary
    /// Every parameter, flat in parameter-table order.
    public var parameters: [Float]
    /// Absent in a model-only checkpoint (which can be played and inspected, not resumed).
    public var training: TrainingState?

    public init(
        createdBy: String, createdUTC: String, config: ModelConfig, vocabulary: Vocabulary,
        parameters: [Float], training: TrainingState?
    ) {
        self.createdBy = createdBy
        self.createdUTC = createdUTC
        self.config = config
        self.vocabulary = vocabulary
        self.parameters = parameters
        self.training = training
    }

    public var parameterTable: ParameterTable { ParameterTable(config: config) }

    /// One tensor's values by its PyTorch name.
    public func tensor(named name: String) -> [Float]? {
        guard let spec = parameterTable[name] else { return nil }
        return Array(parameters[spec.offset..<spec.offset + spec.count])
    }

    /// The model the checkpoint describes.
    public func makeModel() throws(ConfigurationError) -> Model {
        let model = try Model(config: config, vocabulary: vocabulary)
        model.network.parameters.base.update(from: parameters, count: parameters.count)
        return model
    }
}

/// Where the training text came from and what it was, so that a resumed run can check it is
/// reading the same text.
public struct DataProvenance: Equatable, Sendable {
    public var trainingPaths: [String]
    public var validationPaths: [String]
    public var validationFraction: Double
    public var trainingLength: Int64
    public var trainingFingerprint: UInt64
    public var validationLength: Int64
    public var validationFingerprint: UInt64

    public init(
        trainingPaths: [String], validationPaths: [String], validationFraction: Double,
        trainingLength: Int64, trainingFingerprint: UInt64, validationLength: Int64,
        validationFingerprint: UInt64
    ) {
        self.trainingPaths = trainingPaths
        self.validationPaths = validationPaths
        self.validationFraction = validationFraction
        self.trainingLength = trainingLength
        self.trainingFingerprint = trainingFingerprint
        self.validationLength = validationLength
        self.validationFingerprint = validationFingerprint
    }

    /// A fingerprint as written in the file: "fnv1a64:" and 16 hex digits.
    public static func format(_ fingerprint: UInt64) -> String {
        let hex = String(fingerprint, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    public static func parse(_ text: String) -> UInt64? {
        guard text.hasPrefix("fnv1a64:"), text.count == 24 else { return nil }
        return UInt64(text.dropFirst(8), radix: 16)
    }
}

/// The training state of a checkpoint: options, progress, optimizer slots, the carried hidden
/// state and the random generator.
public struct TrainingState: Equatable, Sendable {
    public var options: TrainingOptions
    public var data: DataProvenance
    public var progress: TrainingProgress
    public var optimizerStep: Int64
    /// The learning rate of the next step (the schedule's value at the saved epoch).
    public var learningRate: Double
    /// Slot name (PyTorch's: exp_avg, exp_avg_sq, sum, square_avg, momentum_buffer) to values,
    /// flat in parameter-table order.
    public var optimizerSlots: [String: [Float]]
    /// [num_layers, batch_size, hidden_size]
    public var hidden: [Float]
    /// LSTM only, like `hidden`.
    public var cell: [Float]?
    public var random: [UInt64]

    public init(
        options: TrainingOptions, data: DataProvenance, progress: TrainingProgress, optimizerStep: Int64,
        learningRate: Double, optimizerSlots: [String: [Float]], hidden: [Float], cell: [Float]?,
        random: [UInt64]
    ) {
        self.options = options
        self.data = data
        self.progress = progress
        self.optimizerStep = optimizerStep
        self.learningRate = learningRate
        self.optimizerSlots = optimizerSlots
        self.hidden = hidden
        self.cell = cell
        self.random = random
    }
}

// Equality is bitwise: a checkpoint read back must hold the very bits written, NaN included.
func bitwiseEqual(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.elementsEqual(y) } }
}

func bitwiseEqual(_ a: Double, _ b: Double) -> Bool { a.bitPattern == b.bitPattern }

extension Checkpoint {
    public static func == (a: Checkpoint, b: Checkpoint) -> Bool {
        a.createdBy == b.createdBy && a.createdUTC == b.createdUTC && a.config == b.config
            && a.vocabulary == b.vocabulary && bitwiseEqual(a.parameters, b.parameters) && a.training == b.training
    }
}

extension TrainingState {
    public static func == (a: TrainingState, b: TrainingState) -> Bool {
        a.options == b.options && a.data == b.data && a.progress == b.progress && a.optimizerStep == b.optimizerStep
            && bitwiseEqual(a.learningRate, b.learningRate) && a.optimizerSlots.keys == b.optimizerSlots.keys
            && a.optimizerSlots.allSatisfy { bitwiseEqual($0.value, b.optimizerSlots[$0.key]!) }
            && bitwiseEqual(a.hidden, b.hidden) && a.cell.map { c in b.cell.map { bitwiseEqual(c, $0) } ?? false } ?? (b.cell == nil)
            && a.random == b.random
    }
}

extension TrainingProgress {
    public static func == (a: TrainingProgress, b: TrainingProgress) -> Bool {
        a.iteration == b.iteration && a.epoch == b.epoch && a.batchIndex == b.batchIndex
            && a.charactersSeen == b.charactersSeen && bitwiseEqual(a.bestValidationLoss, b.bestValidationLoss)
            && bitwiseEqual(a.referenceLoss, b.referenceLoss) && bitwiseEqual(a.elapsedSeconds, b.elapsedSeconds)
            && a.history == b.history
    }
}

extension LossHistory {
    public static func == (a: LossHistory, b: LossHistory) -> Bool {
        a.steps == b.steps && bitwiseEqual(a.trainLoss, b.trainLoss) && bitwiseEqual(a.elapsed, b.elapsed)
            && a.validationSteps == b.validationSteps && bitwiseEqual(a.validationLoss, b.validationLoss)
    }
}
