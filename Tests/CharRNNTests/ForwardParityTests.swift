import Foundation
import Testing

@testable import CharRNN

/// Logits and loss of the Swift model equal the independent numpy reference (Tools/reference.py,
/// float64 from the same float32 weights) to 1e-5.
struct ForwardParityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let cell: CellKind
        let layers: Int
        let embedding: Int
        var testDescription: String { "\(cell) x\(layers) \(embedding == 0 ? "one-hot" : "embedding")" }
    }

    static let cases: [Case] = CellKind.allCases.flatMap { cell in
        [(1, 0), (2, 0), (2, 4)].map { Case(cell: cell, layers: $0.0, embedding: $0.1) }
    }

    @Test(arguments: cases)
    func logitsAndLossMatchNumpy(_ c: Case) throws {
        let vocabularySize = 7, batch = 3, steps = 6
        let config = ModelConfig(
            cell: c.cell, layers: c.layers, hiddenSize: 8, embeddingSize: c.embedding,
            vocabSize: vocabularySize, dropout: 0)
        let vocabulary = Vocabulary(unit: .unicodeScalar, codepoints: (0..<UInt32(vocabularySize)).map { 97 + $0 })
        let model = try Model(config: config, vocabulary: vocabulary)
        var random = RandomGenerator(seed: 42)
        var tensors: [String: [Double]] = [:]
        for spec in model.parameterTable.entries {
            let values = (0..<spec.count).map { _ in Float((random.uniformDouble() * 2 - 1) * 0.6) }
            try model.setTensor(named: spec.name, to: values)
            tensors[spec.name] = values.map(Double.init)
        }
        let inputs = (0..<batch * steps).map { _ in Int32(random.next() % UInt64(vocabularySize)) }
        let targets = (0..<batch * steps).map { _ in Int32(random.next() % UInt64(vocabularySize)) }
        let ours = model.evaluate(inputs: inputs, targets: targets, batch: batch, steps: steps)

        let reference = try NumpyReference.run("forward", [
            "cell": c.cell.rawValue, "layers": c.layers, "hidden": 8, "embedding": c.embedding,
            "vocab": vocabularySize, "batch": batch, "steps": steps, "tensors": tensors,
            "inputs": inputs.map(Int.init), "targets": targets.map(Int.init),
        ])
        let referenceLogits = (reference["logits"] as! [Any]).doubles
        let referenceLoss = (reference["loss"] as! NSNumber).doubleValue
        #expect(referenceLogits.count == ours.logits.count)
        let worst = zip(ours.logits, referenceLogits).map { abs(Double($0) - $1) }.max()!
        print("forward parity \(c.testDescription): worst logit difference \(worst), loss \(ours.loss) vs \(referenceLoss)")
        #expect(worst < 1e-5)
        #expect(abs(ours.loss - referenceLoss) < 1e-5)
    }
}
