/// Where training stands: counters, the best validation loss and the loss history.
public struct TrainingProgress: Equatable, Sendable {
    /// Completed iterations (optimizer steps) over all runs.
    public var iteration = 0
    /// The sequencer's position: the next batch to train on.
    public var epoch = 0
    public var batchIndex = 0
    public var charactersSeen: Int64 = 0
    /// Lowest validation loss so far (infinity before the first evaluation).
    public var bestValidationLoss = Double.infinity
    /// The first iteration's training loss: the yardstick of the divergence guard.
    public var referenceLoss = Double.nan
    /// Training seconds over all runs.
    public var elapsedSeconds = 0.0
    public var history = LossHistory()

    public init() {}
}

/// Loss over time: one entry per iteration for training, one per evaluation for validation.
/// Single precision, as stored in the checkpoint.
public struct LossHistory: Equatable, Sendable {
    public var steps: [Int64] = []
    public var trainLoss: [Float] = []
    /// Training seconds (over all runs) at each step.
    public var elapsed: [Float] = []
    public var validationSteps: [Int64] = []
    public var validationLoss: [Float] = []

    public init() {}
}
