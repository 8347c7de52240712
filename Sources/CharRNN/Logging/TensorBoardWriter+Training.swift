/// What rnn-train logs, one call per training event.
extension TensorBoardWriter {
    public enum Tag {
        public static let trainLoss = "train/loss"
        public static let validationLoss = "val/loss"
        public static let learningRate = "train/learning_rate"
        public static let gradientNorm = "train/grad_norm"
        public static let charactersPerSecond = "train/chars_per_second"
        public static let samples = "samples"
    }

    /// Logs an iteration's loss, learning rate, gradient norm (before clipping) and speed.
    public func log(_ report: IterationReport) throws(TensorBoardError) {
        try scalar(Tag.trainLoss, report.loss, step: report.iteration)
        try scalar(Tag.learningRate, report.learningRate, step: report.iteration)
        try scalar(Tag.gradientNorm, report.gradientNorm, step: report.iteration)
        if report.seconds > 0 {
            try scalar(Tag.charactersPerSecond, Double(report.characters) / report.seconds, step: report.iteration)
        }
    }

    /// Logs the validation loss and writes out, so TensorBoard shows it as soon as it is known.
    public func log(_ report: ValidationReport) throws(TensorBoardError) {
        try scalar(Tag.validationLoss, report.loss, step: report.iteration)
        try flush()
    }

    /// Logs a generated sample and writes out. The text is indented as a Markdown code block, so
    /// that TensorBoard shows its lines and spaces as generated instead of reflowing them.
    public func logSample(_ sample: String, step: Int) throws(TensorBoardError) {
        try text(Tag.samples, Self.codeBlock(sample), step: step)
        try flush()
    }

    static func codeBlock(_ text: String) -> String {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { "    " + $0 }.joined(separator: "\n")
    }
}
