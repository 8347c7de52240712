/// One parameter tensor: its PyTorch `state_dict` name, shape and place in the flat buffer.
public struct ParameterSpec: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// The single table of parameters (name, shape) of a model, in PyTorch's `state_dict` order.
///
/// It drives everything that walks over parameters: allocation of the flat parameter and gradient
/// buffers, the optimizer's slots, clipping, initialisation, the checkpoint's dataset names and the
/// inspector's listing.
public struct ParameterTable: Sendable {
    public let config: ModelConfig
    public let entries: [ParameterSpec]
    public let totalCount: Int

    public init(config: ModelConfig) {
        self.config = config
        var entries: [ParameterSpec] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int]) {
            entries.append(ParameterSpec(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        let h = config.hiddenSize
        let gh = config.cell.gateCount * h
        if config.usesEmbedding {
            add("encoder.weight", [config.vocabSize, config.embeddingSize])
        }
        for k in 0..<config.layers {
            add("rnn.weight_ih_l\(k)", [gh, config.inputSize(ofLayer: k)])
            add("rnn.weight_hh_l\(k)", [gh, h])
            add("rnn.bias_ih_l\(k)", [gh])
            add("rnn.bias_hh_l\(k)", [gh])
        }
        add("decoder.weight", [config.vocabSize, h])
        add("decoder.bias", [config.vocabSize])
        self.entries = entries
        self.totalCount = offset
    }

    public subscript(name: String) -> ParameterSpec? {
        entries.first { $0.name == name }
    }

    func spec(_ name: String) -> ParameterSpec {
        guard let spec = self[name] else { preconditionFailure("no parameter \(name)") }
        return spec
    }

    /// Offsets of one layer's four tensors.
    func layerOffsets(_ k: Int) -> (weightIH: Int, weightHH: Int, biasIH: Int, biasHH: Int) {
        (
            spec("rnn.weight_ih_l\(k)").offset, spec("rnn.weight_hh_l\(k)").offset,
            spec("rnn.bias_ih_l\(k)").offset, spec("rnn.bias_hh_l\(k)").offset
        )
    }
}
