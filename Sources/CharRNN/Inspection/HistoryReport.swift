/// The loss history of a training run: the training loss of every iteration and the validation
/// loss of every evaluation, merged into one table by iteration.
public struct HistoryReport: Sendable {
    public let history: LossHistory

    public init(history: LossHistory) { self.history = history }

    /// One row of the merged table; a value is nil where the iteration has none.
    public struct Row: Equatable, Sendable {
        public let step: Int64
        public let trainLoss: Float?
        public let elapsed: Float?
        public let validationLoss: Float?
    }

    /// Rows by iteration. With `every` > 1, only iterations that are multiples of it, those with
    /// an evaluation, and the last one.
    public func rows(every: Int = 1) -> [Row] {
        var train: [Int64: (Float, Float)] = [:]
        for (i, step) in history.steps.enumerated() { train[step] = (history.trainLoss[i], history.elapsed[i]) }
        var validation: [Int64: Float] = [:]
        for (i, step) in history.validationSteps.enumerated() { validation[step] = history.validationLoss[i] }
        let steps = Set(history.steps).union(history.validationSteps).sorted()
        let last = steps.last
        return steps.compactMap { step in
            guard every <= 1 || step % Int64(every) == 0 || validation[step] != nil || step == last else { return nil }
            return Row(step: step, trainLoss: train[step]?.0, elapsed: train[step]?.1, validationLoss: validation[step])
        }
    }

    public func lines(every: Int = 1) -> [String] {
        let n = history.steps.count, m = history.validationSteps.count
        var out = ["history: \(Format.grouped(n)) training iteration\(n == 1 ? "" : "s"), \(Format.grouped(m)) evaluation\(m == 1 ? "" : "s") (losses in nats per character)"]
        guard n + m > 0 else { return out }
        var table = TextTable([("iteration", .right), ("train loss", .right), ("val loss", .right), ("training time", .right)])
        for row in rows(every: every) {
            table.append([
                Format.grouped(row.step), row.trainLoss.map { Format.fixed(Double($0)) } ?? "",
                row.validationLoss.map { Format.fixed(Double($0)) } ?? "",
                row.elapsed.map { Format.seconds(Double($0)) } ?? "",
            ])
        }
        out += table.lines(indent: 2)
        return out
    }

    /// The five series as in the file (column arrays).
    public var json: JSONValue {
        .object([
            ("step", .array(history.steps.map { .int($0) })),
            ("train_loss", .array(history.trainLoss.map { .float($0) })),
            ("elapsed", .array(history.elapsed.map { .float($0) })),
            ("val_step", .array(history.validationSteps.map { .int($0) })),
            ("val_loss", .array(history.validationLoss.map { .float($0) })),
        ])
    }
}
