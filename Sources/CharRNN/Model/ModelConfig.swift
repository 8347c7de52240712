/// The recurrent cell, with PyTorch's gate order.
public enum CellKind: String, CaseIterable, Sendable, Codable {
    /// h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
    case rnn
    /// gates i, f, g, o
    case lstm
    /// gates r, z, n
    case gru

    /// G: rows of W_ih and W_hh are G * hidden_size.
    public var gateCount: Int {
        switch self {
        case .rnn: 1
        case .lstm: 4
        case .gru: 3
        }
    }

    public var hasCellState: Bool { self == .lstm }

    /// The name with its article as spoken in messages: "an lstm", "an rnn", "a gru".
    public var withArticle: String { self == .gru ? "a gru" : "an \(rawValue)" }
}

/// The architecture: everything needed to lay out the parameters.
public struct ModelConfig: Equatable, Sendable, Codable {
    public var cell: CellKind
    public var layers: Int
    public var hiddenSize: Int
    /// 0 means one-hot input: layer 0's W_ih is then [G*H, V] and its product a column lookup.
    public var embeddingSize: Int
    public var vocabSize: Int
    /// Dropout probability on each layer's output (before the next layer and before the decoder).
    public var dropout: Double

    public init(
        cell: CellKind, layers: Int, hiddenSize: Int, embeddingSize: Int, vocabSize: Int,
        dropout: Double
    ) {
        self.cell = cell
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.embeddingSize = embeddingSize
        self.vocabSize = vocabSize
        self.dropout = dropout
    }

    public var usesEmbedding: Bool { embeddingSize > 0 }

    /// in_k: the width of layer k's input.
    public func inputSize(ofLayer layer: Int) -> Int {
        layer > 0 ? hiddenSize : (usesEmbedding ? embeddingSize : vocabSize)
    }

    /// Checks the sizes; the message names the offending option.
    public func validate() throws(ConfigurationError) {
        func check(_ ok: Bool, _ message: String) throws(ConfigurationError) {
            if !ok { throw ConfigurationError(message) }
        }
        try check(layers >= 1 && layers <= 64, "layers must be between 1 and 64 (got \(layers))")
        try check(
            hiddenSize >= 1 && hiddenSize <= 16384,
            "hidden size must be between 1 and 16384 (got \(hiddenSize))")
        try check(
            embeddingSize >= 0 && embeddingSize <= 16384,
            "embedding size must be between 0 and 16384 (got \(embeddingSize))")
        try check(vocabSize >= 1, "the vocabulary is empty")
        try check(
            dropout >= 0 && dropout < 1, "dropout must be at least 0 and below 1 (got \(dropout))")
    }
}

/// A configuration or option value that cannot work, in words a user can act on.
public struct ConfigurationError: Swift.Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
