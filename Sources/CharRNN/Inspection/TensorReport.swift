/// Per tensor of a checkpoint: shape, statistics and a histogram, for parameters, optimizer
/// slots and the carried hidden state.
public struct TensorReport: Sendable {
    public let tensors: [InspectedTensor]

    public init(checkpoint: Checkpoint) { tensors = checkpoint.inspectedTensors }

    public var table: TextTable {
        var table = TextTable([
            ("tensor", .left), ("shape", .left), ("mean", .right), ("std", .right), ("min", .right), ("max", .right),
            ("zeros", .right), ("NaN", .right), ("Inf", .right), ("histogram (min to max)", .left),
        ])
        for tensor in tensors {
            let s = tensor.statistics
            let number: (Double?) -> String = { $0.map(Format.short) ?? "-" }
            table.append([
                tensor.name, Format.shape(tensor.shape), number(s.mean), number(s.standardDeviation),
                number(s.minimum.map(Double.init)), number(s.maximum.map(Double.init)), Format.percent(s.zeroFraction),
                Format.grouped(s.nanCount), Format.grouped(s.infinityCount), "|" + s.sparkline + "|",
            ])
        }
        return table
    }

    public var lines: [String] { table.lines() }

    public var json: JSONValue {
        .array(tensors.map { tensor in
            var members: [(key: String, value: JSONValue)] = [
                ("name", .string(tensor.name)),
                ("kind", .string(tensor.kind.rawValue)),
                ("shape", .array(tensor.shape.map { .int($0) })),
            ]
            if case .object(let statistics) = tensor.statistics.json { members += statistics }
            return .object(members)
        })
    }
}
