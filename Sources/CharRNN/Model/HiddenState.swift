/// The state carried from one batch to the next: h (and c for LSTM) of every layer, laid out
/// [num_layers, batch, hidden] like PyTorch's (h_n, c_n) and the checkpoint's /train/hidden.
public final class HiddenState<S: ModelScalar> {
    public let layers: Int
    public let batch: Int
    public let hiddenSize: Int
    public let h: Buffer<S>
    /// nil unless the cell is an LSTM.
    public let c: Buffer<S>?

    public init(layers: Int, batch: Int, hiddenSize: Int, hasCell: Bool) {
        self.layers = layers
        self.batch = batch
        self.hiddenSize = hiddenSize
        h = Buffer(count: layers * batch * hiddenSize)
        c = hasCell ? Buffer(count: layers * batch * hiddenSize) : nil
    }

    public convenience init(config: ModelConfig, batch: Int) {
        self.init(
            layers: config.layers, batch: batch, hiddenSize: config.hiddenSize,
            hasCell: config.cell.hasCellState)
    }

    public func zero() {
        h.zero()
        c?.zero()
    }

    public func copy(from other: HiddenState<S>) {
        h.copy(from: other.h)
        if let c, let otherC = other.c { c.copy(from: otherC) }
    }

    func hidden(layer: Int) -> UnsafeMutablePointer<S> { h.base + layer * batch * hiddenSize }
    func cell(layer: Int) -> UnsafeMutablePointer<S>? { c.map { $0.base + layer * batch * hiddenSize } }
}
