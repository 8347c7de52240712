/// What the values of one tensor look like: count, mean, standard deviation, extremes, the share
/// of exact zeros, non-finite values, and a histogram.
///
/// Mean, standard deviation, min, max and the histogram describe the finite values only (NaN and
/// infinities are counted apart); they are nil when there is none. The standard deviation is the
/// population one (divided by n, numpy's default), computed in double precision in two passes.
public struct TensorStatistics: Equatable, Sendable {
    public let count: Int
    public let finiteCount: Int
    public let mean: Double?
    public let standardDeviation: Double?
    public let minimum: Float?
    public let maximum: Float?
    /// Exact zeros (0 and -0).
    public let zeroCount: Int
    public let nanCount: Int
    /// Positive or negative infinities.
    public let infinityCount: Int
    /// Finite values in `histogramBins` equal-width bins from `minimum` to `maximum` (the last
    /// bin includes the maximum; all values fall in the first bin when min equals max).
    public let histogram: [Int]

    public static let histogramBins = 16

    public var zeroFraction: Double { count > 0 ? Double(zeroCount) / Double(count) : 0 }
    public var nonFiniteCount: Int { nanCount + infinityCount }

    public init<C: Collection>(_ values: C, bins: Int = TensorStatistics.histogramBins) where C.Element == Float {
        var finite = 0, zeros = 0, nans = 0, infinities = 0
        var sum = 0.0
        var low = Float.infinity, high = -Float.infinity
        for v in values {
            if v.isNaN {
                nans += 1
            } else if v.isInfinite {
                infinities += 1
            } else {
                finite += 1
                sum += Double(v)
                if v < low { low = v }
                if v > high { high = v }
                if v == 0 { zeros += 1 }
            }
        }
        count = values.count
        finiteCount = finite
        zeroCount = zeros
        nanCount = nans
        infinityCount = infinities
        guard finite > 0 else {
            mean = nil
            standardDeviation = nil
            minimum = nil
            maximum = nil
            histogram = Array(repeating: 0, count: bins)
            return
        }
        let m = sum / Double(finite)
        var squares = 0.0
        var counts = [Int](repeating: 0, count: bins)
        let width = Double(high) - Double(low)
        for v in values where v.isFinite {
            let d = Double(v) - m
            squares += d * d
            let bin = width > 0 ? Int((Double(v) - Double(low)) / width * Double(bins)) : 0
            counts[min(max(bin, 0), bins - 1)] += 1
        }
        mean = m
        standardDeviation = (squares / Double(finite)).squareRoot()
        minimum = low
        maximum = high
        histogram = counts
    }

    /// The histogram as a row of block characters, one per bin, scaled to the fullest bin; an
    /// empty bin is a blank, any non-empty bin shows at least the lowest block.
    public var sparkline: String {
        let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let top = histogram.max() ?? 0
        guard top > 0 else { return String(repeating: " ", count: histogram.count) }
        return String(histogram.map { c -> Character in
            if c == 0 { return " " }
            let level = Int((Double(c) / Double(top) * Double(blocks.count)).rounded(.up)) - 1
            return blocks[min(max(level, 0), blocks.count - 1)]
        })
    }

    /// The statistics as JSON (see docs/inspect.md).
    public var json: JSONValue {
        .object([
            ("count", .int(count)),
            ("mean", mean.map(JSONValue.double) ?? .null),
            ("std", standardDeviation.map(JSONValue.double) ?? .null),
            ("min", minimum.map(JSONValue.float) ?? .null),
            ("max", maximum.map(JSONValue.float) ?? .null),
            ("zeros", .int(zeroCount)),
            ("zero_fraction", .double(zeroFraction)),
            ("nan", .int(nanCount)),
            ("inf", .int(infinityCount)),
            ("histogram", .array(histogram.map { .int($0) })),
        ])
    }

    /// "mean 0.0012, std 0.1011, min -0.1768, max 0.1767" (+ NaN/Inf counts when there are any).
    public var oneLine: String {
        var parts: [String] = []
        if let mean, let standardDeviation, let minimum, let maximum {
            parts.append("mean \(Format.short(mean)), std \(Format.short(standardDeviation)), min \(Format.short(Double(minimum))), max \(Format.short(Double(maximum)))")
        } else {
            parts.append("no finite values")
        }
        if nanCount > 0 { parts.append("\(Format.grouped(nanCount)) NaN") }
        if infinityCount > 0 { parts.append("\(Format.grouped(infinityCount)) Inf") }
        return parts.joined(separator: ", ")
    }
}
