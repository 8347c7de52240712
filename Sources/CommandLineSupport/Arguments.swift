import ArgumentParser
import CharRNN

extension CellKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension ClipMode: ExpressibleByArgument {}

/// The architecture of a new model. Unset options take the defaults named in their help (a
/// resumed or fine-tuned model takes its architecture from the checkpoint instead).
public struct ModelArguments: ParsableArguments {
    public init() {}

    @Option(help: "Recurrent cell: rnn (tanh), lstm or gru. (default: lstm)")
    public var cell: CellKind?

    @Option(help: "Number of stacked recurrent layers. (default: 2)")
    public var layers: Int?

    @Option(help: "Hidden units per layer. (default: 128)")
    public var hiddenSize: Int?

    @Option(help: "Size of the learned character embedding; 0 feeds one-hot vectors instead. (default: 0)")
    public var embeddingSize: Int?

    @Option(help: "Dropout probability on each layer's output, between layers and before the decoder. (default: 0)")
    public var dropout: Double?
}

/// Where the text comes from.
public struct DataArguments: ParsableArguments {
    public init() {}

    @Option(
        parsing: .upToNextOption,
        help: "Training text: files and folders (a folder means every file below it, in path order; a file given twice is read twice, which repeats a short text). A resumed run defaults to the checkpoint's.")
    public var data: [String] = []

    @Option(
        parsing: .upToNextOption,
        help: "Validation text: files and folders. Without it, --val-fraction of the training text's tail is held out.")
    public var valData: [String] = []

    @Option(help: "Fraction of the training text's tail held out for validation when --val-data is not given. (default: 0.05)")
    public var valFraction: Double?

    @Flag(help: "Treat the text as raw bytes instead of UTF-8 characters.")
    public var bytes = false
}
