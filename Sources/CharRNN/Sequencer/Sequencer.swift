/// The minibatch sequencer.
///
/// The token stream is cut into `batch` contiguous segments of `segmentLength = K * T` tokens
/// (K = batches per epoch; the last N - 1 - B*K*T tokens, fewer than one batch, are left out).
/// In epoch e, batch row r reads segment (r + e) mod B: batch k takes its columns [k*T, (k+1)*T)
/// as input and the token after each as target. So row r of batch k+1 continues row r of batch k,
/// and at an epoch's end the rows roll by one: row r goes on with the segment that follows the
/// one it just finished, and the hidden state stays meaningful across epochs. Only the row that
/// wraps from the last segment to the first jumps, once per epoch.
public struct Sequencer: Sendable {
    public let batch: Int
    public let steps: Int
    public let batchesPerEpoch: Int
    public let segmentLength: Int
    private let tokens: TokenStream

    /// Position: the next batch to deliver.
    public private(set) var epoch: Int = 0
    public private(set) var batchIndex: Int = 0

    public init(tokens: TokenStream, batch: Int, steps: Int, what: String = "the training text") throws(CorpusError) {
        guard batch >= 1 && steps >= 1 else {
            throw .invalidOption("batch size and sequence length must be at least 1")
        }
        let minimum = batch * steps + 1
        guard tokens.count >= minimum else {
            throw .tooShort(
                what: what, length: tokens.count, minimum: minimum,
                reason: "batch size \(batch) x sequence length \(steps) + 1")
        }
        self.tokens = tokens
        self.batch = batch
        self.steps = steps
        batchesPerEpoch = (tokens.count - 1) / (batch * steps)
        segmentLength = batchesPerEpoch * steps
    }

    /// Tokens read per epoch (inputs), B * K * T.
    public var tokensPerEpoch: Int { batch * segmentLength }

    /// Moves to a saved position.
    public mutating func seek(epoch: Int, batchIndex: Int) throws(CorpusError) {
        guard epoch >= 0, batchIndex >= 0, batchIndex < batchesPerEpoch else {
            throw .invalidOption(
                "sequencer position (epoch \(epoch), batch \(batchIndex)) is outside the \(batchesPerEpoch) batches of an epoch")
        }
        self.epoch = epoch
        self.batchIndex = batchIndex
    }

    /// The first token of row `row`'s input for the current batch.
    public func start(ofRow row: Int) -> Int {
        let segment = (row + epoch) % batch
        return segment * segmentLength + batchIndex * steps
    }

    /// Writes the current batch time-major (element t*B + r) into `inputs` and `targets`
    /// (B*T each). Does not move.
    public func fill(inputs: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>) {
        for r in 0..<batch {
            let first = start(ofRow: r)
            tokens.copy(from: first, count: steps, to: inputs + r, stride: batch)
            tokens.copy(from: first + 1, count: steps, to: targets + r, stride: batch)
        }
    }

    /// Steps to the next batch; returns true when that began a new epoch.
    @discardableResult
    public mutating func advance() -> Bool {
        batchIndex += 1
        if batchIndex == batchesPerEpoch {
            batchIndex = 0
            epoch += 1
            return true
        }
        return false
    }
}
