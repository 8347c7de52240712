import Testing

@testable import CharRNN

/// The minibatch sequencer continues every row across batches and epochs, covers the text, and
/// restores its position.
struct SequencerTests {
    /// Token i of the stream has id i, so a token's id is its position.
    func positions(_ n: Int) -> TokenStream { TokenStream((0..<Int32(n)).map { $0 }, vocabularySize: n) }

    func batch(_ s: Sequencer) -> (inputs: [Int32], targets: [Int32]) {
        var inputs = [Int32](repeating: -1, count: s.batch * s.steps), targets = inputs
        inputs.withUnsafeMutableBufferPointer { i in
            targets.withUnsafeMutableBufferPointer { t in s.fill(inputs: i.baseAddress!, targets: t.baseAddress!) }
        }
        return (inputs, targets)
    }

    /// Row r's inputs in time order.
    func row(_ values: [Int32], _ r: Int, batch: Int, steps: Int) -> [Int32] {
        (0..<steps).map { values[$0 * batch + r] }
    }

    @Test func rowsContinueAcrossBatchesAndEpochs() throws {
        let b = 4, t = 5, n = 107  // K = (107 - 1) / 20 = 5 batches, segments of 25, 6 tokens left out
        var s = try Sequencer(tokens: positions(n), batch: b, steps: t)
        #expect(s.batchesPerEpoch == 5)
        #expect(s.segmentLength == 25)
        var lastInput = [Int32](repeating: -1, count: b)
        var breaks = 0
        for epoch in 0..<3 {
            var seen = Set<Int32>()
            for k in 0..<s.batchesPerEpoch {
                #expect(s.epoch == epoch && s.batchIndex == k)
                let (inputs, targets) = batch(s)
                for r in 0..<b {
                    let x = row(inputs, r, batch: b, steps: t), y = row(targets, r, batch: b, steps: t)
                    // Inside a batch: consecutive text, and each target is the next token.
                    #expect(x == (0..<Int32(t)).map { x[0] + $0 })
                    #expect(y == x.map { $0 + 1 })
                    // Across batches and epochs: the row goes on where it stopped.
                    if lastInput[r] >= 0 {
                        if x[0] == lastInput[r] + 1 {
                        } else {
                            breaks += 1
                            #expect(k == 0, "row \(r) broke inside epoch \(epoch) at batch \(k)")
                            #expect(lastInput[r] == Int32(b * 25 - 1) && x[0] == 0, "only the wrap from the end to the start")
                        }
                    }
                    lastInput[r] = x[t - 1]
                    seen.formUnion(x)
                }
                s.advance()
            }
            // Every epoch reads each of the first B*K*T tokens exactly once.
            #expect(seen == Set((0..<Int32(b * 25)).map { $0 }))
        }
        #expect(breaks == 2, "one break per epoch boundary")
        #expect(s.epoch == 3 && s.batchIndex == 0)
    }

    @Test func epochRollsRowsByOne() throws {
        var s = try Sequencer(tokens: positions(41), batch: 2, steps: 4)  // K = 5, segments of 20
        #expect(s.start(ofRow: 0) == 0 && s.start(ofRow: 1) == 20)
        for _ in 0..<5 { s.advance() }
        #expect(s.epoch == 1)
        #expect(s.start(ofRow: 0) == 20 && s.start(ofRow: 1) == 0)
    }

    @Test func positionCanBeSavedAndRestored() throws {
        var s = try Sequencer(tokens: positions(300), batch: 3, steps: 7)
        for _ in 0..<17 { s.advance() }
        let expected = batch(s)
        var restored = try Sequencer(tokens: positions(300), batch: 3, steps: 7)
        try restored.seek(epoch: s.epoch, batchIndex: s.batchIndex)
        #expect(batch(restored).inputs == expected.inputs)
        #expect(batch(restored).targets == expected.targets)
        #expect(throws: CorpusError.self) { try restored.seek(epoch: 0, batchIndex: s.batchesPerEpoch) }
    }

    @Test func textShorterThanOneBatchIsRefusedWithTheMinimum() {
        #expect(throws: CorpusError.tooShort(what: "the training text", length: 20, minimum: 21, reason: "batch size 4 x sequence length 5 + 1")) {
            try Sequencer(tokens: positions(20), batch: 4, steps: 5)
        }
        #expect((try? Sequencer(tokens: positions(21), batch: 4, steps: 5)) != nil)
    }

    @Test func validationFractionSplitsTheTailExactly() {
        let text = String((0..<1000).map { Character(Unicode.Scalar(UInt8(97 + $0 % 26))) })
        let corpus = Corpus.from(text: text, validationFraction: 0.1)
        #expect(corpus.training.count == 900)
        #expect(corpus.validation?.count == 100)
        #expect(corpus.vocabulary.decode(corpus.training.ids) == String(text.prefix(900)))
        #expect(corpus.vocabulary.decode(corpus.validation!.ids) == String(text.suffix(100)))
        // Counts cover the training part only.
        #expect(corpus.vocabulary.counts.reduce(0, +) == 900)
    }
}
