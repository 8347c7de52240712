import Foundation

/// The loss of a text under a model: every token after the first is predicted from all the
/// tokens before it, from a zero state, with no dropout. Long texts go through in chunks of
/// `chunkLength` steps with the state carried across, so the result does not depend on the
/// chunk length (up to float rounding in the sum).
public final class Scorer {
    public let model: Model
    public let chunkLength: Int
    private let network: Network<Float>

    public struct Score: Equatable, Sendable {
        /// Summed cross-entropy in nats.
        public var totalNats: Double
        /// Predicted tokens: the text's length minus one.
        public var predictions: Int

        public init(totalNats: Double, predictions: Int) {
            self.totalNats = totalNats
            self.predictions = predictions
        }

        public var meanNats: Double { predictions > 0 ? totalNats / Double(predictions) : .nan }
        public var bitsPerCharacter: Double { meanNats / log(2.0) }
        public var perplexity: Double { exp(meanNats) }

        public static func + (a: Score, b: Score) -> Score {
            Score(totalNats: a.totalNats + b.totalNats, predictions: a.predictions + b.predictions)
        }
    }

    public init(model: Model, chunkLength: Int = 1024) {
        self.model = model
        self.chunkLength = max(1, chunkLength)
        network = Network(sharing: model.network)
    }

    /// Scores a token sequence. `progress` is told how many tokens are done.
    public func score(_ tokens: TokenStream, progress: ((Int) -> Void)? = nil) -> Score {
        let state = HiddenState<Float>(config: model.config, batch: 1)
        var total = 0.0
        var done = 0
        let predictions = max(0, tokens.count - 1)
        var inputs = [Int32](repeating: 0, count: chunkLength), targets = inputs
        var unused = RandomGenerator(seed: 0)
        while done < predictions {
            let n = min(chunkLength, predictions - done)
            network.reserve(batch: 1, steps: n)
            inputs.withUnsafeMutableBufferPointer { tokens.copy(from: done, count: n, to: $0.baseAddress!, stride: 1) }
            targets.withUnsafeMutableBufferPointer { tokens.copy(from: done + 1, count: n, to: $0.baseAddress!, stride: 1) }
            let mean = network.forward(inputs: inputs, targets: targets, state: state, training: false, random: &unused)
            total += mean * Double(n)
            done += n
            progress?(done)
        }
        return Score(totalNats: total, predictions: predictions)
    }

    public func score(_ ids: [Int32]) -> Score {
        score(TokenStream(ids, vocabularySize: model.config.vocabSize))
    }
}
