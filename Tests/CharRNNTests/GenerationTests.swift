import Foundation
import Testing

@testable import CharRNN

/// Sampling controls, beam search and scoring on small models.
struct GenerationTests {
    /// A small random model (weights larger than the default initialisation, so that the
    /// distributions are far from uniform).
    static func model(cell: CellKind = .lstm, vocabulary size: Int = 5, hidden: Int = 8, seed: UInt64 = 1) throws -> Model {
        let vocabulary = Vocabulary(unit: .unicodeScalar, codepoints: (0..<UInt32(size)).map { 97 + $0 })
        let config = ModelConfig(cell: cell, layers: 2, hiddenSize: hidden, embeddingSize: 0, vocabSize: size, dropout: 0)
        let model = try Model(config: config, vocabulary: vocabulary)
        var random = RandomGenerator(seed: seed)
        for spec in model.parameterTable.entries {
            try model.setTensor(named: spec.name, to: (0..<spec.count).map { _ in Float((random.uniformDouble() * 2 - 1) * 1.5) })
        }
        return model
    }

    /// ln P(tokens | prime), computed one step at a time in double precision.
    static func logProbability(_ model: Model, prime: [Int32], tokens: [Int32]) -> Double {
        let generator = Generator(model: model)
        var logits = generator.step(prime[0])
        for t in prime.dropFirst() { logits = generator.step(t) }
        var total = 0.0
        var row = [Double](repeating: 0, count: model.config.vocabSize)
        for t in tokens {
            BeamSearch.logSoftmax(logits, into: &row)
            total += row[Int(t)]
            logits = generator.step(t)
        }
        return total
    }

    @Test(arguments: CellKind.allCases)
    func beamSearchFindsTheExhaustiveOptimum(_ cell: CellKind) throws {
        let model = try Self.model(cell: cell, vocabulary: 4)
        let prime: [Int32] = [2, 0]
        let length = 5
        // Every one of the 4^5 continuations.
        var best: (tokens: [Int32], score: Double) = ([], -.infinity)
        for code in 0..<1024 {
            let tokens = (0..<length).map { Int32((code >> (2 * (length - 1 - $0))) & 3) }
            let score = Self.logProbability(model, prime: prime, tokens: tokens)
            if score > best.score { best = (tokens, score) }
        }
        // Width 4^(length-1) keeps every prefix, so the search is exact.
        let exact = BeamSearch(model: model).search(prime: prime, length: length, width: 256)
        #expect(exact.tokens == best.tokens)
        // Scores agree up to float rounding (the beams run batched, the reference one row at a time).
        #expect(abs(exact.logProbability - best.score) < 1e-6)
        // A narrow beam finds a continuation at most as likely, and its reported score is its true one.
        let narrow = BeamSearch(model: model).search(prime: prime, length: length, width: 2)
        #expect(narrow.logProbability <= exact.logProbability + 1e-6)
        #expect(abs(narrow.logProbability - Self.logProbability(model, prime: prime, tokens: narrow.tokens)) < 1e-6)
        // Width 1 is greedy decoding.
        let greedy = BeamSearch(model: model).search(prime: prime, length: length, width: 1)
        let generator = Generator(model: model)
        var logits = generator.step(prime[0])
        logits = generator.step(prime[1])
        var greedyTokens: [Int32] = []
        for _ in 0..<length {
            let t = TokenSampler.argmax(logits)
            greedyTokens.append(t)
            logits = generator.step(t)
        }
        #expect(greedy.tokens == greedyTokens)
    }

    @Test func temperatureZeroIsArgmaxAndSeedsRepeat() throws {
        let model = try Self.model()
        let generator = TextGenerator(model: model)
        func sample(_ options: SamplingOptions, seed: UInt64, samples: Int = 1) -> [[Int32]] {
            var out = [[Int32]](repeating: [], count: samples)
            generator.generate(
                GenerationRequest(prime: [1, 2], length: 40, sampling: options, seed: seed, samples: samples),
                emit: { out[$0].append($1) }, finished: { _ in })
            return out
        }
        // Greedy by hand.
        let stepper = Generator(model: model)
        var logits = stepper.step(1)
        logits = stepper.step(2)
        var expected: [Int32] = []
        for _ in 0..<40 {
            let t = TokenSampler.argmax(logits)
            expected.append(t)
            logits = stepper.step(t)
        }
        #expect(sample(SamplingOptions(temperature: 0), seed: 1)[0] == expected)
        #expect(sample(SamplingOptions(temperature: 0), seed: 99)[0] == expected)
        // Several greedy rows at once are all the greedy text.
        #expect(sample(SamplingOptions(temperature: 0), seed: 1, samples: 3) == [expected, expected, expected])
        // Same seed, same text; another seed, another text.
        let a = sample(SamplingOptions(temperature: 1), seed: 7), b = sample(SamplingOptions(temperature: 1), seed: 7)
        let c = sample(SamplingOptions(temperature: 1), seed: 8)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func stopStringEndsASample() throws {
        let model = try Self.model()
        var out: [Int32] = []
        var finishedRows: [Int] = []
        TextGenerator(model: model).generate(
            GenerationRequest(prime: [0], length: 500, sampling: SamplingOptions(temperature: 1), seed: 3, stop: [2, 2]),
            emit: { _, t in out.append(t) }, finished: { finishedRows.append($0) })
        #expect(finishedRows == [0])
        #expect(out.count < 500 && Array(out.suffix(2)) == [2, 2])
        // The stop string appears nowhere earlier.
        #expect(!zip(out.dropLast(2), out.dropLast(2).dropFirst()).contains { $0 == 2 && $1 == 2 })
    }

    @Test func topKAndTopPKeepToTheirSets() throws {
        var random = RandomGenerator(seed: 5)
        let v = 12
        for trial in 0..<200 {
            let logits = (0..<v).map { _ in Float(random.uniformDouble() * 6 - 3) }
            let temperature = [0.5, 1.0, 1.7][trial % 3]
            var p = [Double](repeating: 0, count: v)
            logits.withUnsafeBufferPointer { TokenSampler.softmax($0, temperature: temperature, into: &p) }
            let order = (0..<v).sorted { p[$0] > p[$1] }
            let k = 1 + trial % 4
            let topK = TokenSampler(vocabularySize: v, options: SamplingOptions(temperature: temperature, topK: k))
            let threshold = [0.3, 0.6, 0.9][trial % 3]
            var nucleus: Set<Int> = []
            var mass = 0.0
            for j in order where mass < threshold {
                nucleus.insert(j)
                mass += p[j]
            }
            let topP = TokenSampler(vocabularySize: v, options: SamplingOptions(temperature: temperature, topP: threshold))
            for _ in 0..<50 {
                let a = logits.withUnsafeBufferPointer { topK.draw($0, random: &random) }
                #expect(order.prefix(k).contains(Int(a)))
                let b = logits.withUnsafeBufferPointer { topP.draw($0, random: &random) }
                #expect(nucleus.contains(Int(b)))
            }
        }
    }

    @Test func chunkedScoringEqualsScoringAtOnce() throws {
        let model = try Self.model(cell: .gru, vocabulary: 5)
        var random = RandomGenerator(seed: 2)
        let ids = (0..<3000).map { _ in Int32(random.next() % 5) }
        let whole = Scorer(model: model, chunkLength: 4096).score(ids)
        let chunked = Scorer(model: model, chunkLength: 37).score(ids)
        #expect(whole.predictions == 2999 && chunked.predictions == 2999)
        #expect(abs(whole.meanNats - chunked.meanNats) < 1e-6)
        // And both equal the step-by-step log-probability.
        let stepwise = -Self.logProbability(model, prime: [ids[0]], tokens: Array(ids.dropFirst())) / 2999
        #expect(abs(whole.meanNats - stepwise) < 1e-5)
    }
}

/// The generator's split across threads gives the same logits as one thread.
struct ParallelGeneratorTests {
    @Test(arguments: [(CellKind.rnn, 0), (.lstm, 0), (.gru, 0), (.lstm, 6), (.gru, 6)])
    func twoThreadsMatchOneThread(_ cell: CellKind, _ embedding: Int) throws {
        let vocabulary = Vocabulary(unit: .unicodeScalar, codepoints: (0..<UInt32(11)).map { 97 + $0 })
        let config = ModelConfig(cell: cell, layers: 3, hiddenSize: 37, embeddingSize: embedding, vocabSize: 11, dropout: 0)
        var random = RandomGenerator(seed: 4)
        let model = try Model(config: config, vocabulary: vocabulary, random: &random)
        for batch in [1, 3] {
            let one = Generator(model: model, batch: batch, threads: 1)
            let two = Generator(model: model, batch: batch, threads: 2)
            var tokens = [Int32](repeating: 0, count: batch)
            var worst: Float = 0
            for _ in 0..<200 {
                for r in 0..<batch { tokens[r] = Int32(random.next() % 11) }
                tokens.withUnsafeBufferPointer { one.step($0.baseAddress!); two.step($0.baseAddress!) }
                for i in 0..<batch * 11 { worst = max(worst, abs(one.logits.base[i] - two.logits.base[i])) }
            }
            #expect(worst < 1e-5, "\(cell) batch \(batch): logits differ by \(worst)")
        }
    }
}
