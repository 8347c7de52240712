import ArgumentParser
import CharRNN

extension CellKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension ClipMode: ExpressibleByArgument {}

/// The architecture of a new model.
public struct ModelArguments: ParsableArguments {
    public init() {}

    @Option(help: "Recurrent cell: rnn (tanh), lstm or gru.")
    public var cell: CellKind = .lstm

    @Option(help: "Number of stacked recurrent layers.")
    public var layers = 2

    @Option(help: "Hidden units per layer.")
    public var hiddenSize = 128

    @Option(help: "Size of the learned character embedding; 0 feeds one-hot vectors instead.")
    public var embeddingSize = 0

    @Option(help: "Dropout probability on each layer's output (between layers and before the decoder).")
    public var dropout = 0.0
}

/// Where the text comes from.
public struct DataArguments: ParsableArguments {
    public init() {}

    @Option(
        parsing: .upToNextOption,
        help: "Training text: files and folders (a folder means every file below it, in path order).")
    public var data: [String] = []

    @Option(
        parsing: .upToNextOption,
        help: "Validation text: files and folders. Without it, --val-fraction of the training text's tail is held out.")
    public var valData: [String] = []

    @Option(help: "Fraction of the training text's tail held out for validation when --val-data is not given.")
    public var valFraction = 0.05

    @Flag(help: "Treat the text as raw bytes instead of UTF-8 characters.")
    public var bytes = false

    public var corpusOptions: CorpusOptions {
        CorpusOptions(
            trainingPaths: data, validationPaths: valData,
            validationFraction: valData.isEmpty ? valFraction : 0, unit: bytes ? .byte : .unicodeScalar)
    }
}
