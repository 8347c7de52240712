/// One float32 dataset of a checkpoint, named by its path in the file without the leading slash:
/// `model/decoder.weight`, `optimizer/exp_avg/decoder.weight`, `train/hidden/h`.
public struct InspectedTensor: Sendable {
    public enum Kind: String, Sendable {
        case parameter, optimizerSlot = "optimizer_slot", hiddenState = "hidden_state"
    }

    public let name: String
    public let kind: Kind
    public let shape: [Int]
    public let values: ArraySlice<Float>

    public var statistics: TensorStatistics { TensorStatistics(values) }
}

extension Checkpoint {
    /// Every tensor the checkpoint holds, in file order: the model's parameters (parameter-table
    /// order), each optimizer slot's tensors, then the carried hidden and cell state.
    public var inspectedTensors: [InspectedTensor] {
        let table = parameterTable
        var tensors = table.entries.map {
            InspectedTensor(name: "model/\($0.name)", kind: .parameter, shape: $0.shape, values: parameters[$0.offset..<$0.offset + $0.count])
        }
        guard let training else { return tensors }
        for slot in training.optimizerSlots.keys.sorted() {
            let values = training.optimizerSlots[slot]!
            tensors += table.entries.map {
                InspectedTensor(
                    name: "optimizer/\(slot)/\($0.name)", kind: .optimizerSlot, shape: $0.shape,
                    values: values[$0.offset..<$0.offset + $0.count])
            }
        }
        let shape = [config.layers, training.options.batchSize, config.hiddenSize]
        tensors.append(InspectedTensor(name: "train/hidden/h", kind: .hiddenState, shape: shape, values: training.hidden[...]))
        if let cell = training.cell {
            tensors.append(InspectedTensor(name: "train/hidden/c", kind: .hiddenState, shape: shape, values: cell[...]))
        }
        return tensors
    }

    /// A tensor by its name in the file (a leading slash is optional) or, for a model
    /// parameter, by its PyTorch name alone (`decoder.weight`).
    public func inspectedTensor(named name: String, path: String) throws(InspectionError) -> InspectedTensor {
        let wanted = name.hasPrefix("/") ? String(name.dropFirst()) : name
        let all = inspectedTensors
        if let found = all.first(where: { $0.name == wanted || $0.name == "model/" + wanted }) { return found }
        throw .unknownTensor(path: path, name: name, suggestion: Self.closest(to: wanted, among: all.map(\.name)))
    }

    /// The name nearest to an unknown one by edit distance (with or without the `model/`
    /// prefix), when it is near enough to be a typo.
    static func closest(to name: String, among names: [String]) -> String? {
        func distance(_ a: String, _ b: String) -> Int {
            let x = Array(a), y = Array(b)
            var previous = Array(0...y.count)
            for i in 1...max(x.count, 1) where !x.isEmpty {
                var row = [i] + [Int](repeating: 0, count: y.count)
                for j in 1...max(y.count, 1) where !y.isEmpty {
                    row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
                }
                previous = row
            }
            return previous[y.count]
        }
        let scored = names.map { candidate -> (String, Int) in
            let short = candidate.hasPrefix("model/") ? String(candidate.dropFirst(6)) : candidate
            return (candidate, min(distance(name, candidate), distance(name, short)))
        }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, name.count / 4) else { return nil }
        return best.0
    }
}
