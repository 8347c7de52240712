/// Which state of a layer to look at: the hidden output h, or an LSTM's cell state c.
public enum ActivationState: String, CaseIterable, Sendable {
    case h, c
}

/// How one hidden unit behaved over a text.
public struct UnitActivity: Equatable, Sendable {
    public let unit: Int
    public let mean: Double
    /// Population standard deviation over the text.
    public let standardDeviation: Double
    /// Pearson correlation with a text feature; nil without a feature, or when the unit is
    /// constant over the text.
    public let correlation: Double?
}

/// Runs a text through a model one character at a time from a zero state (batch 1, no dropout)
/// and reads one layer's state after every character: what the model "holds" at that point.
public struct ActivationProbe {
    public let model: Model
    public let layer: Int
    public let state: ActivationState

    /// Checks the layer and state against the model; `path` names the checkpoint in errors.
    public init(model: Model, layer: Int, state: ActivationState, path: String) throws(InspectionError) {
        let config = model.config
        guard layer >= 0 && layer < config.layers else { throw .badLayer(path: path, layer: layer, layers: config.layers) }
        guard state == .h || config.cell.hasCellState else { throw .noCellState(path: path, cell: config.cell) }
        self.model = model
        self.layer = layer
        self.state = state
    }

    /// The state LSTMs are best read by (the cell state, as in Karpathy's visualisations), h
    /// otherwise.
    public static func defaultState(for cell: CellKind) -> ActivationState { cell.hasCellState ? .c : .h }

    /// Calls `body` with each position and the layer's state after the token at that position;
    /// `progress` hears how many tokens are done, every 1,000.
    func run(_ tokens: [Int32], progress: ((Int) -> Void)? = nil, _ body: (Int, [Float]) -> Void) {
        let generator = Generator(model: model)
        generator.reset()
        for (t, token) in tokens.enumerated() {
            generator.step(token)
            let s = generator.state(layer: layer)
            body(t, state == .c ? s.c! : s.h)
            if (t + 1) % 1000 == 0 || t + 1 == tokens.count { progress?(t + 1) }
        }
    }

    /// Mean and standard deviation of every unit over the text, and its correlation with
    /// `feature` (one value per token) when given. One pass; nothing per character is kept.
    public func activity(_ tokens: [Int32], feature: [Double]? = nil, progress: ((Int) -> Void)? = nil) -> [UnitActivity] {
        precondition(feature == nil || feature!.count == tokens.count, "one feature value per token")
        let h = model.config.hiddenSize
        // Welford's running moments and co-moment, per unit, in double precision.
        var mean = [Double](repeating: 0, count: h), squares = [Double](repeating: 0, count: h)
        var comoment = [Double](repeating: 0, count: h)
        var featureMean = 0.0, featureSquares = 0.0
        run(tokens, progress: progress) { t, values in
            let n = Double(t + 1)
            let f = feature?[t] ?? 0
            let featureDelta = f - featureMean
            featureMean += featureDelta / n
            featureSquares += featureDelta * (f - featureMean)
            for u in 0..<h {
                let x = Double(values[u])
                let delta = x - mean[u]
                mean[u] += delta / n
                squares[u] += delta * (x - mean[u])
                comoment[u] += delta * (f - featureMean)
            }
        }
        let n = Double(max(tokens.count, 1))
        return (0..<h).map { u in
            var r: Double? = nil
            if feature != nil, squares[u] > 0, featureSquares > 0 {
                r = max(-1, min(1, comoment[u] / (squares[u] * featureSquares).squareRoot()))
            }
            return UnitActivity(unit: u, mean: mean[u], standardDeviation: (squares[u] / n).squareRoot(), correlation: r)
        }
    }

    /// The chosen units' states at every position: result[i][t] is unit `units[i]` after token t.
    public func record(_ tokens: [Int32], units: [Int], progress: ((Int) -> Void)? = nil) -> [[Float]] {
        var out = units.map { _ in [Float](repeating: 0, count: tokens.count) }
        run(tokens, progress: progress) { t, values in
            for (i, u) in units.enumerated() { out[i][t] = values[u] }
        }
        return out
    }

    /// Checks unit numbers against the layer's size.
    public func checkUnits(_ units: [Int], path: String) throws(InspectionError) {
        let bad = units.filter { $0 < 0 || $0 >= model.config.hiddenSize }
        if !bad.isEmpty { throw .badUnits(path: path, units: bad, hiddenSize: model.config.hiddenSize) }
    }
}

extension Array where Element == UnitActivity {
    /// The `n` units with the largest standard deviation, largest first (ties: lower unit first).
    public func mostVarying(_ n: Int) -> [UnitActivity] {
        Array(sorted { $0.standardDeviation != $1.standardDeviation ? $0.standardDeviation > $1.standardDeviation : $0.unit < $1.unit }.prefix(n))
    }

    /// The `n` units whose correlation with the feature is largest in magnitude, largest first.
    public func mostCorrelated(_ n: Int) -> [UnitActivity] {
        Array(filter { $0.correlation != nil }.sorted {
            abs($0.correlation!) != abs($1.correlation!) ? abs($0.correlation!) > abs($1.correlation!) : $0.unit < $1.unit
        }.prefix(n))
    }
}
