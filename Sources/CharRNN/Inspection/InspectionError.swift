/// Why the inspector cannot do what it was asked, as one line that names the file.
public enum InspectionError: Swift.Error, CustomStringConvertible, Sendable {
    case unknownTensor(path: String, name: String, suggestion: String?)
    /// A view that needs the training state of a model-only checkpoint.
    case noTrainingState(path: String, view: String)
    case cannotWrite(path: String, reason: String)
    case unsupportedExport(path: String)
    case badLayer(path: String, layer: Int, layers: Int)
    case badUnits(path: String, units: [Int], hiddenSize: Int)
    case noCellState(path: String, cell: CellKind)
    case emptyText(source: String)
    case constantFeature(feature: TextFeature, source: String)

    public var description: String {
        switch self {
        case .unknownTensor(let path, let name, let suggestion):
            return "\(path): no tensor named \"\(name)\""
                + (suggestion.map { "; did you mean \"\($0)\"?" } ?? "") + " (rnn-inspect \(path) --tensors lists them)"
        case .noTrainingState(let path, let view):
            return "\(path): holds a model only, without the training state that \(view) shows"
        case .cannotWrite(let path, let reason):
            return "\(path): cannot write: \(reason)"
        case .unsupportedExport(let path):
            return "\(path): unknown export format; name the file .npy (NumPy) or .csv"
        case .badLayer(let path, let layer, let layers):
            return "\(path): no layer \(layer); the model has \(layers) layer\(layers == 1 ? "" : "s"), numbered 0 to \(layers - 1)"
        case .badUnits(let path, let units, let hiddenSize):
            let shown = units.map(String.init).joined(separator: ", ")
            return "\(path): no unit\(units.count == 1 ? "" : "s") \(shown); a layer has \(hiddenSize) units, numbered 0 to \(hiddenSize - 1)"
        case .noCellState(let path, let cell):
            return "\(path): \(cell.withArticle) model has no cell state; use --state h (c exists for lstm only)"
        case .emptyText(let source):
            return "\(source): the text is empty"
        case .constantFeature(let feature, let source):
            return "\(source): the feature \"\(feature.rawValue)\" is the same at every character (\(feature.constantHint)), so no unit can correlate with it"
        }
    }
}
