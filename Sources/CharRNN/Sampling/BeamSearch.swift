import Foundation

/// Beam search for the most likely continuation of a prime: keeps the `width` most likely
/// partial continuations at every step (their states as the rows of one batched generator) and
/// returns the best one of the requested length with its log-probability (natural log).
public final class BeamSearch {
    public let model: Model

    public struct Result: Equatable, Sendable {
        public let tokens: [Int32]
        /// ln P(tokens | prime)
        public let logProbability: Double
    }

    public init(model: Model) {
        self.model = model
    }

    /// Log-softmax of one row of logits, in double precision.
    static func logSoftmax(_ logits: UnsafeBufferPointer<Float>, into out: inout [Double]) {
        var maximum = -Double.infinity
        for x in logits { maximum = max(maximum, Double(x)) }
        var sum = 0.0
        for x in logits { sum += exp(Double(x) - maximum) }
        let offset = maximum + log(sum)
        for (j, x) in logits.enumerated() { out[j] = Double(x) - offset }
    }

    public func search(prime: [Int32], length: Int, width: Int) -> Result {
        precondition(!prime.isEmpty && width >= 1, "a prime token and a positive width")
        guard length > 0 else { return Result(tokens: [], logProbability: 0) }
        let v = model.config.vocabSize
        let primer = Generator(model: model)
        var logits = primer.step(prime[0])
        for token in prime.dropFirst() { logits = primer.step(token) }
        let generator = Generator(model: model, batch: width)
        generator.broadcastState(from: primer)

        // Beams: token sequences with their scores; initially the one empty continuation.
        var sequences: [[Int32]] = [[]]
        var scores: [Double] = [0]
        var rowLogProbabilities = [Double](repeating: 0, count: v)
        var candidates: [(score: Double, beam: Int, token: Int32)] = []
        candidates.reserveCapacity(width * v)
        for step in 0..<length {
            candidates.removeAll(keepingCapacity: true)
            for beam in 0..<sequences.count {
                Self.logSoftmax(step == 0 ? logits : generator.logits(row: beam), into: &rowLogProbabilities)
                for token in 0..<v {
                    candidates.append((scores[beam] + rowLogProbabilities[token], beam, Int32(token)))
                }
            }
            // Best first; ties broken by beam, then token, so the search is deterministic.
            candidates.sort { a, b in
                a.score != b.score ? a.score > b.score : (a.beam != b.beam ? a.beam < b.beam : a.token < b.token)
            }
            let kept = candidates.prefix(width)
            sequences = kept.map { sequences[$0.beam] + [$0.token] }
            scores = kept.map(\.score)
            if step == length - 1 { break }
            var parents = kept.map(\.beam)
            var next = kept.map(\.token)
            while parents.count < width {  // fewer candidates than rows: pad with copies
                parents.append(parents[0])
                next.append(next[0])
            }
            generator.reorderRows(step == 0 ? [Int](repeating: 0, count: width) : parents)
            next.withUnsafeBufferPointer { generator.step($0.baseAddress!) }
        }
        return Result(tokens: sequences[0], logProbability: scores[0])
    }
}
