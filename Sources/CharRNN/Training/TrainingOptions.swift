/// Everything about how a model is trained, saved with it so that a run can be resumed exactly.
public struct TrainingOptions: Equatable, Codable, Sendable {
    public var batchSize: Int
    public var seqLength: Int
    public var optimizer: OptimizerSettings
    public var learningRateDecay: Double
    public var learningRateDecayAfter: Int
    public var gradientClip: Double
    public var clipMode: ClipMode
    /// Train until this many epochs are complete...
    public var epochs: Int
    /// ...or until this many iterations in all (0: no limit), whichever comes first.
    public var maxIterations: Int
    /// Validation loss every this many iterations, and at the end (0: only at the end).
    public var evalEvery: Int
    public var seed: UInt64

    public init(
        batchSize: Int = 50, seqLength: Int = 50,
        optimizer: OptimizerSettings = OptimizerSettings(kind: .adam, learningRate: 2e-3),
        learningRateDecay: Double = 0.97, learningRateDecayAfter: Int = 10,
        gradientClip: Double = 5, clipMode: ClipMode = .norm, epochs: Int = 50,
        maxIterations: Int = 0, evalEvery: Int = 1000, seed: UInt64 = 0
    ) {
        self.batchSize = batchSize
        self.seqLength = seqLength
        self.optimizer = optimizer
        self.learningRateDecay = learningRateDecay
        self.learningRateDecayAfter = learningRateDecayAfter
        self.gradientClip = gradientClip
        self.clipMode = clipMode
        self.epochs = epochs
        self.maxIterations = maxIterations
        self.evalEvery = evalEvery
        self.seed = seed
    }

    public var schedule: LearningRateSchedule {
        LearningRateSchedule(
            base: optimizer.learningRate, decay: learningRateDecay, decayAfter: learningRateDecayAfter)
    }

    public func validate() throws(ConfigurationError) {
        func check(_ ok: Bool, _ message: String) throws(ConfigurationError) {
            if !ok { throw ConfigurationError(message) }
        }
        try check(batchSize >= 1 && batchSize <= 1 << 16, "--batch-size must be between 1 and 65536 (got \(batchSize))")
        try check(seqLength >= 1 && seqLength <= 1 << 16, "--seq-length must be between 1 and 65536 (got \(seqLength))")
        try optimizer.validate()
        try check(learningRateDecay > 0 && learningRateDecay <= 1, "--lr-decay must be in (0, 1] (got \(learningRateDecay))")
        try check(learningRateDecayAfter >= 0, "--lr-decay-after must not be negative")
        try check(gradientClip >= 0 && gradientClip.isFinite, "--grad-clip must not be negative (0 turns clipping off)")
        try check(epochs >= 1, "--epochs must be at least 1 (got \(epochs))")
        try check(maxIterations >= 0, "--max-iterations must not be negative (0: no limit)")
        try check(evalEvery >= 0, "--eval-every must not be negative (0: only at the end)")
    }
}
