/// What to generate: the controls of `rnn-play`.
public struct GenerationRequest: Sendable {
    /// Tokens that warm the state up (at least one).
    public var prime: [Int32]
    /// Tokens to generate per sample (not counting the prime).
    public var length: Int
    public var sampling: SamplingOptions
    /// Same seed, same texts.
    public var seed: UInt64
    /// A sample ends right after these tokens appear in it (empty: never).
    public var stop: [Int32]
    /// Samples generated together, as one batch.
    public var samples: Int

    public init(prime: [Int32], length: Int, sampling: SamplingOptions, seed: UInt64, stop: [Int32] = [], samples: Int = 1) {
        self.prime = prime
        self.length = length
        self.sampling = sampling
        self.seed = seed
        self.stop = stop
        self.samples = samples
    }
}

/// Generates one or many samples from a model: the prime runs once at batch 1, its state is copied
/// to every row, and the rows then advance together (one matrix product per layer per step), each
/// drawing from its own random stream.
public final class TextGenerator {
    public let model: Model

    public init(model: Model) {
        self.model = model
    }

    /// Calls `emit(row, token)` for every generated token as it is made, and `finished(row)` once
    /// per row when its sample is complete (its length reached or its stop string seen).
    public func generate(
        _ request: GenerationRequest, emit: (Int, Int32) -> Void, finished: (Int) -> Void
    ) {
        precondition(!request.prime.isEmpty && request.samples >= 1, "a prime token and at least one sample")
        let rows = request.samples
        let primer = Generator(model: model)
        var logits = primer.step(request.prime[0])
        for token in request.prime.dropFirst() { logits = primer.step(token) }
        let generator = rows == 1 ? primer : Generator(model: model, batch: rows)
        if rows > 1 { generator.broadcastState(from: primer) }

        let sampler = TokenSampler(vocabularySize: model.config.vocabSize, options: request.sampling)
        var randoms = (0..<rows).map { RandomGenerator.derived(seed: request.seed, stream: UInt64($0)) }
        var done = [Bool](repeating: false, count: rows)
        var tails = [[Int32]](repeating: [], count: rows)
        var tokens = [Int32](repeating: 0, count: rows)
        var remaining = rows
        for step in 0..<request.length {
            for r in 0..<rows where !done[r] {
                let rowLogits = step == 0 ? logits : generator.logits(row: r)
                let token = sampler.draw(rowLogits, random: &randoms[r])
                tokens[r] = token
                emit(r, token)
                if !request.stop.isEmpty {
                    tails[r].append(token)
                    if tails[r].count > request.stop.count { tails[r].removeFirst() }
                    if tails[r] == request.stop {
                        done[r] = true
                        remaining -= 1
                        finished(r)
                    }
                }
            }
            if remaining == 0 || step == request.length - 1 { break }
            tokens.withUnsafeBufferPointer { generator.step($0.baseAddress!) }
        }
        for r in 0..<rows where !done[r] { finished(r) }
    }
}
