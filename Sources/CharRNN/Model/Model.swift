/// A character-level language model in single precision: architecture, vocabulary and weights.
///
/// The public entry points are not generic so that callers in other modules run code specialised
/// for Float.
public final class Model: @unchecked Sendable {
    public let config: ModelConfig
    public let vocabulary: Vocabulary
    let network: Network<Float>

    /// A freshly initialised model (PyTorch's default initialisation) drawn from `random`.
    public convenience init(config: ModelConfig, vocabulary: Vocabulary, random: inout RandomGenerator) throws(ConfigurationError) {
        try self.init(config: config, vocabulary: vocabulary)
        network.initialize(random: &random)
    }

    /// A model with every parameter zero (to be filled from a checkpoint).
    public init(config: ModelConfig, vocabulary: Vocabulary) throws(ConfigurationError) {
        try config.validate()
        guard config.vocabSize == vocabulary.count else {
            throw ConfigurationError("vocab_size \(config.vocabSize) differs from the vocabulary's \(vocabulary.count) tokens")
        }
        self.config = config
        self.vocabulary = vocabulary
        network = Network(config: config)
    }

    public var parameterTable: ParameterTable { network.table }
    public var parameterCount: Int { network.table.totalCount }

    /// A copy of one tensor's values (row-major), by its PyTorch name.
    public func tensor(named name: String) -> [Float]? {
        guard let spec = network.table[name] else { return nil }
        return Array(UnsafeBufferPointer(start: network.parameters.base + spec.offset, count: spec.count))
    }

    /// Replaces one tensor's values.
    public func setTensor(named name: String, to values: [Float]) throws(ConfigurationError) {
        guard let spec = network.table[name] else { throw ConfigurationError("the model has no tensor \(name)") }
        guard values.count == spec.count else {
            throw ConfigurationError("\(name): \(values.count) values for shape \(spec.shape)")
        }
        values.withUnsafeBufferPointer {
            (network.parameters.base + spec.offset).update(from: $0.baseAddress!, count: spec.count)
        }
    }

    /// All parameters, flat in parameter-table order.
    public var flatParameters: [Float] { network.parameters.array }

    /// Copies every weight from another model of the same architecture.
    public func copyWeights(from other: Model) throws(ConfigurationError) {
        guard other.config.cell == config.cell, other.config.layers == config.layers,
            other.config.hiddenSize == config.hiddenSize,
            other.config.embeddingSize == config.embeddingSize,
            other.config.vocabSize == config.vocabSize
        else { throw ConfigurationError("the two models have different architectures") }
        network.parameters.copy(from: other.network.parameters)
    }

    /// True when every weight is a finite number.
    public var weightsAreFinite: Bool {
        let p = network.parameters.base
        for i in 0..<network.parameters.count where !p[i].isFinite { return false }
        return true
    }

    /// Logits ([T*B, V], time-major rows) and mean loss of one batch run from a zero state,
    /// without dropout. For parity checks against reference implementations.
    public func evaluate(inputs: [Int32], targets: [Int32], batch: Int, steps: Int) -> (logits: [Float], loss: Double) {
        precondition(inputs.count == batch * steps && targets.count == batch * steps, "batch shape")
        network.reserve(batch: batch, steps: steps)
        let state = HiddenState<Float>(config: config, batch: batch)
        var unused = RandomGenerator(seed: 0)
        let loss = network.forward(inputs: inputs, targets: targets, state: state, training: false, random: &unused)
        return (network.logits.array, loss)
    }
}
