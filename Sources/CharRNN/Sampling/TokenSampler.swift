import Foundation

/// How the next token is drawn from the model's distribution.
public struct SamplingOptions: Equatable, Sendable {
    /// Divides the logits; 0 means greedy (argmax).
    public var temperature: Double
    /// Keep only the k most likely tokens (0: all).
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches p (1: all).
    public var topP: Double

    public init(temperature: Double = 1, topK: Int = 0, topP: Double = 1) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }
}

/// Draws tokens from logits. Keeps its scratch space, so drawing allocates nothing.
public final class TokenSampler: @unchecked Sendable {
    public let options: SamplingOptions
    private var probabilities: [Double]
    private var order: [Int32]

    public init(vocabularySize: Int, options: SamplingOptions) {
        self.options = options
        probabilities = Array(repeating: 0, count: vocabularySize)
        order = Array(repeating: 0, count: vocabularySize)
    }

    /// The index of the largest logit (the first one on ties).
    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        for j in 1..<logits.count where logits[j] > logits[best] { best = j }
        return Int32(best)
    }

    /// Softmax of logits / temperature, in double precision.
    public static func softmax(_ logits: UnsafeBufferPointer<Float>, temperature: Double, into p: UnsafeMutablePointer<Double>) {
        var maximum = -Double.infinity
        for x in logits { maximum = Swift.max(maximum, Double(x)) }
        var sum = 0.0
        let inverse = 1 / temperature
        for j in 0..<logits.count {
            let e = Foundation.exp((Double(logits[j]) - maximum) * inverse)
            p[j] = e
            sum += e
        }
        for j in 0..<logits.count { p[j] /= sum }
    }

    public func draw(_ logits: UnsafeBufferPointer<Float>, random: inout RandomGenerator) -> Int32 {
        if options.temperature == 0 { return Self.argmax(logits) }
        let v = logits.count
        return probabilities.withUnsafeMutableBufferPointer { pb in
            order.withUnsafeMutableBufferPointer { ob in
                let p = pb.baseAddress!, o = ob.baseAddress!
                Self.softmax(logits, temperature: options.temperature, into: p)
                var candidates = v
                if options.topK > 0 || options.topP < 1 {
                    for j in 0..<v { o[j] = Int32(j) }
                    ob.sort { p[Int($0)] > p[Int($1)] || (p[Int($0)] == p[Int($1)] && $0 < $1) }
                    if options.topK > 0 { candidates = min(candidates, options.topK) }
                    if options.topP < 1 {
                        var cumulative = 0.0
                        for j in 0..<candidates {
                            cumulative += p[Int(o[j])]
                            if cumulative >= options.topP {
                                candidates = j + 1
                                break
                            }
                        }
                    }
                    var mass = 0.0
                    for j in 0..<candidates { mass += p[Int(o[j])] }
                    var u = random.uniformDouble() * mass
                    for j in 0..<candidates {
                        u -= p[Int(o[j])]
                        if u < 0 { return o[j] }
                    }
                    return o[candidates - 1]
                }
                var u = random.uniformDouble()
                for j in 0..<v {
                    u -= p[j]
                    if u < 0 { return Int32(j) }
                }
                // Rounding left a sliver: the last token with any probability.
                for j in stride(from: v - 1, through: 0, by: -1) where p[j] > 0 { return Int32(j) }
                return Int32(v - 1)
            }
        }
    }
}
