/// A sequence of token ids held compactly: one byte per token when the vocabulary has at most 256
/// entries, two bytes up to 65,536, four otherwise. Slices share storage.
public struct TokenStream: Sendable {
    enum Storage: Sendable {
        case narrow([UInt8])
        case medium([UInt16])
        case wide([UInt32])
    }

    let storage: Storage
    let start: Int
    public let count: Int

    init(storage: Storage, start: Int = 0, count: Int? = nil) {
        self.storage = storage
        self.start = start
        switch storage {
        case .narrow(let a): self.count = count ?? a.count - start
        case .medium(let a): self.count = count ?? a.count - start
        case .wide(let a): self.count = count ?? a.count - start
        }
    }

    /// Stores ids with the narrowest element type that holds `vocabularySize` distinct ids.
    public init(_ ids: [Int32], vocabularySize: Int) {
        if vocabularySize <= 256 {
            self.init(storage: .narrow(ids.map { UInt8(truncatingIfNeeded: $0) }))
        } else if vocabularySize <= 65536 {
            self.init(storage: .medium(ids.map { UInt16(truncatingIfNeeded: $0) }))
        } else {
            self.init(storage: .wide(ids.map { UInt32(bitPattern: $0) }))
        }
    }

    /// Bytes per token in memory.
    public var bytesPerToken: Int {
        switch storage {
        case .narrow: 1
        case .medium: 2
        case .wide: 4
        }
    }

    public subscript(i: Int) -> Int32 {
        precondition(i >= 0 && i < count, "token index out of range")
        switch storage {
        case .narrow(let a): return Int32(a[start + i])
        case .medium(let a): return Int32(a[start + i])
        case .wide(let a): return Int32(bitPattern: a[start + i])
        }
    }

    /// Tokens [from, from + count) of this stream.
    public func slice(from: Int, count: Int) -> TokenStream {
        precondition(from >= 0 && count >= 0 && from + count <= self.count, "slice out of range")
        return TokenStream(storage: storage, start: start + from, count: count)
    }

    /// Copies `count` ids starting at `from` to `destination`, every `stride` elements.
    @inline(__always)
    func copy(from: Int, count n: Int, to destination: UnsafeMutablePointer<Int32>, stride: Int) {
        precondition(from >= 0 && from + n <= count, "copy out of range")
        let first = start + from
        switch storage {
        case .narrow(let a):
            a.withUnsafeBufferPointer { p in for i in 0..<n { destination[i * stride] = Int32(p[first + i]) } }
        case .medium(let a):
            a.withUnsafeBufferPointer { p in for i in 0..<n { destination[i * stride] = Int32(p[first + i]) } }
        case .wide(let a):
            a.withUnsafeBufferPointer { p in
                for i in 0..<n { destination[i * stride] = Int32(bitPattern: p[first + i]) }
            }
        }
    }

    public var ids: [Int32] { (0..<count).map { self[$0] } }

    /// Calls `body` with every id in order (a tight loop per storage width).
    @inline(__always)
    func forEachID(_ body: (Int32) -> Void) {
        let first = start, n = count
        switch storage {
        case .narrow(let a): a.withUnsafeBufferPointer { p in for i in first..<first + n { body(Int32(p[i])) } }
        case .medium(let a): a.withUnsafeBufferPointer { p in for i in first..<first + n { body(Int32(p[i])) } }
        case .wide(let a): a.withUnsafeBufferPointer { p in for i in first..<first + n { body(Int32(bitPattern: p[i])) } }
        }
    }
}
