/// Where the text comes from and how it is split.
public struct CorpusOptions: Sendable {
    /// Files and folders of training text (a folder means every regular file below it, sorted).
    public var trainingPaths: [String]
    /// Files and folders of validation text; when empty, `validationFraction` of the tail of the
    /// training text is held out instead.
    public var validationPaths: [String]
    public var validationFraction: Double
    public var unit: TokenUnit

    public init(
        trainingPaths: [String], validationPaths: [String] = [], validationFraction: Double = 0,
        unit: TokenUnit = .unicodeScalar
    ) {
        self.trainingPaths = trainingPaths
        self.validationPaths = validationPaths
        self.validationFraction = validationFraction
        self.unit = unit
    }
}

/// The training and validation text as token ids, with the vocabulary and fingerprints.
public struct Corpus: Sendable {
    public let vocabulary: Vocabulary
    public let training: TokenStream
    public let validation: TokenStream?
    public let trainingFiles: [String]
    public let validationFiles: [String]
    /// The share of the text held out for validation when there are no validation files.
    public let validationFraction: Double
    /// FNV-1a (64 bit) over the training text's code points, each as 4 little-endian bytes.
    public let trainingFingerprint: UInt64
    public let validationFingerprint: UInt64

    /// Most distinct tokens a vocabulary may have.
    public static let maximumVocabularySize = 1 << 20

    /// Reads the text in one streaming pass: each token gets a provisional id in order of first
    /// appearance, stored in the narrowest integer that holds the ids so far; at the end the ids
    /// are renumbered in place into code-point order. Peak memory is the token storage (one byte
    /// per token when at most 256 distinct tokens occur) plus fixed-size read buffers. With
    /// `vocabulary`, the text must use only its tokens (resume, fine-tuning).
    public static func load(
        _ options: CorpusOptions, vocabulary fixed: Vocabulary? = nil
    ) throws(CorpusError) -> Corpus {
        guard options.validationFraction >= 0 && options.validationFraction < 1 else {
            throw .invalidOption("--val-fraction must be at least 0 and below 1 (got \(options.validationFraction))")
        }
        if let fixed, fixed.unit != options.unit {
            throw .invalidOption(
                "the model reads \(fixed.unit == .byte ? "bytes" : "Unicode characters"); \(fixed.unit == .byte ? "add" : "drop") --bytes")
        }
        var validationFiles: [String] = []
        for path in options.validationPaths { validationFiles += try TextFiles.list(path) }
        // Validation files inside a training folder are held out of training.
        let heldOutFiles = Set(validationFiles.map(TextFiles.canonical))
        var trainingFiles: [String] = []
        for path in options.trainingPaths {
            trainingFiles += try TextFiles.list(path).filter { !heldOutFiles.contains(TextFiles.canonical($0)) }
        }
        if trainingFiles.isEmpty {
            throw .invalidOption(options.trainingPaths.isEmpty ? "no training text given (use --data PATH)" : "no training text is left once the validation files are held out")
        }

        // The one pass over the files.
        let range = options.unit == .byte ? 256 : 0x11_0000
        var provisional = [Int32](repeating: -1, count: range)
        var seen: [UInt32] = []  // code points by provisional id
        var builder = TokenStreamBuilder()
        var trainingTotal = 0
        var ids = [Int32](repeating: 0, count: TextFiles.chunkSize + 4)
        for (index, file) in (trainingFiles + validationFiles).enumerated() {
            var overflow = false
            try TextFiles.scan(file, unit: options.unit) { chunk in
                ids.withUnsafeMutableBufferPointer { out in
                    provisional.withUnsafeMutableBufferPointer { table in
                        for (i, c) in chunk.enumerated() {
                            var id = table[Int(c)]
                            if id < 0 {
                                id = Int32(seen.count)
                                table[Int(c)] = id
                                seen.append(c)
                            }
                            out[i] = id
                        }
                    }
                }
                if seen.count > maximumVocabularySize {
                    overflow = true
                    return
                }
                builder.reserve(distinct: seen.count)
                ids.withUnsafeBufferPointer { builder.append(UnsafeBufferPointer(rebasing: $0[0..<chunk.count])) }
            }
            if overflow { throw .tooManyDistinct(count: seen.count, limit: maximumVocabularySize) }
            if index == trainingFiles.count - 1 { trainingTotal = builder.count }
        }
        let total = builder.count
        let validationTotal = total - trainingTotal

        // Final ids: code-point order, or the fixed vocabulary's.
        let vocabularyCodepoints: [UInt32]
        var renumber = [Int32](repeating: 0, count: seen.count)
        if let fixed {
            let unknown = seen.filter { fixed.id(of: $0) == nil }.sorted()
            if !unknown.isEmpty {
                let source = (trainingFiles + validationFiles).count == 1 ? trainingFiles[0] : "the text"
                throw .unknownCharacters(source: source, characters: unknown, unit: options.unit)
            }
            for (p, c) in seen.enumerated() { renumber[p] = fixed.id(of: c)! }
            vocabularyCodepoints = fixed.codepoints
        } else {
            vocabularyCodepoints = seen.sorted()
            let rank = Dictionary(uniqueKeysWithValues: vocabularyCodepoints.enumerated().map { ($1, Int32($0)) })
            for (p, c) in seen.enumerated() { renumber[p] = rank[c]! }
        }
        let v = vocabularyCodepoints.count
        builder.renumber(renumber, vocabularySize: v)
        let all = builder.stream()

        let heldOut = validationFiles.isEmpty ? Int(Double(trainingTotal) * options.validationFraction) : 0
        let trainingLength = trainingTotal - heldOut
        if trainingLength == 0 {
            throw .tooShort(what: "the training text", length: 0, minimum: 1, reason: "nothing left after the validation split")
        }
        if !validationFiles.isEmpty && validationTotal == 0 { throw .empty(path: validationFiles[0]) }
        let training = all.slice(from: 0, count: trainingLength)
        let validationLength = total - trainingLength
        let validation = validationLength > 0 ? all.slice(from: trainingLength, count: validationLength) : nil
        var counts = [Int64](repeating: 0, count: v)
        training.forEachID { counts[Int($0)] += 1 }
        let vocabulary = Vocabulary(unit: options.unit, codepoints: vocabularyCodepoints, counts: counts)
        if fixed == nil && v == 1 {
            let source = trainingFiles.count == 1 ? trainingFiles[0] : "\(trainingFiles.count) files"
            throw .singleCharacter(source: source, character: vocabularyCodepoints[0])
        }
        return Corpus(
            vocabulary: vocabulary, training: training, validation: validation,
            trainingFiles: trainingFiles, validationFiles: validationFiles,
            validationFraction: validationFiles.isEmpty ? options.validationFraction : 0,
            trainingFingerprint: fingerprint(training, vocabularyCodepoints),
            validationFingerprint: validation.map { fingerprint($0, vocabularyCodepoints) } ?? FNV1a().value)
    }

    static func fingerprint(_ tokens: TokenStream, _ codepoints: [UInt32]) -> UInt64 {
        var hash = FNV1a()
        tokens.forEachID { hash.add(codepoints[Int($0)]) }
        return hash.value
    }

    /// The training text's files, for messages: the file, or the first and how many more.
    public var trainingSource: String { Self.describe(trainingFiles, otherwise: "the text given") }

    /// The validation text, for messages: its files, or the tail held out of the training text.
    public var validationSource: String {
        guard validationFiles.isEmpty else { return Self.describe(validationFiles, otherwise: "") }
        return "the last \(Self.percent(validationFraction)) of \(trainingSource)"
    }

    static func describe(_ files: [String], otherwise: String) -> String {
        switch files.count {
        case 0: otherwise
        case 1: files[0]
        default: "\(files[0]) and \(files.count - 1) more file\(files.count == 2 ? "" : "s")"
        }
    }

    static func percent(_ fraction: Double) -> String {
        let value = fraction * 100
        return value == value.rounded() ? "\(Int(value))%" : String(format: "%.3g%%", value)
    }

    /// A corpus from in-memory text (tests, small tools).
    public static func from(
        text: String, validationFraction: Double = 0, unit: TokenUnit = .unicodeScalar
    ) -> Corpus {
        let values: [UInt32] = unit == .byte ? text.utf8.map(UInt32.init) : text.unicodeScalars.map(\.value)
        let codepoints = Array(Set(values)).sorted()
        let index = Dictionary(uniqueKeysWithValues: codepoints.enumerated().map { ($1, Int32($0)) })
        let ids = values.map { index[$0]! }
        let heldOut = Int(Double(ids.count) * validationFraction)
        let trainingLength = ids.count - heldOut
        var counts = [Int64](repeating: 0, count: codepoints.count)
        var trainingHash = FNV1a(), validationHash = FNV1a()
        for (i, id) in ids.enumerated() {
            if i < trainingLength {
                counts[Int(id)] += 1
                trainingHash.add(values[i])
            } else {
                validationHash.add(values[i])
            }
        }
        let all = TokenStream(ids, vocabularySize: codepoints.count)
        return Corpus(
            vocabulary: Vocabulary(unit: unit, codepoints: codepoints, counts: counts),
            training: all.slice(from: 0, count: trainingLength),
            validation: heldOut > 0 ? all.slice(from: trainingLength, count: heldOut) : nil,
            trainingFiles: [], validationFiles: [], validationFraction: validationFraction,
            trainingFingerprint: trainingHash.value, validationFingerprint: validationHash.value)
    }
}

/// Appends ids into the narrowest storage that holds them, widening (one copy) when more
/// distinct tokens turn up than the current width holds.
struct TokenStreamBuilder {
    private var narrow: [UInt8] = []
    private var medium: [UInt16] = []
    private var wide: [UInt32] = []
    private var width = 1

    var count: Int { width == 1 ? narrow.count : (width == 2 ? medium.count : wide.count) }

    static func width(for distinct: Int) -> Int { distinct <= 256 ? 1 : (distinct <= 65536 ? 2 : 4) }

    /// Makes room for ids below `distinct`.
    mutating func reserve(distinct: Int) {
        let needed = Self.width(for: distinct)
        guard needed > width else { return }
        convert(to: needed)
    }

    private mutating func convert(to newWidth: Int) {
        switch (width, newWidth) {
        case (1, 2): medium = narrow.map(UInt16.init); narrow = []
        case (1, 4): wide = narrow.map(UInt32.init); narrow = []
        case (2, 4): wide = medium.map(UInt32.init); medium = []
        case (2, 1): narrow = medium.map { UInt8(truncatingIfNeeded: $0) }; medium = []
        case (4, 1): narrow = wide.map { UInt8(truncatingIfNeeded: $0) }; wide = []
        case (4, 2): medium = wide.map { UInt16(truncatingIfNeeded: $0) }; wide = []
        default: break
        }
        width = newWidth
    }

    mutating func append(_ ids: UnsafeBufferPointer<Int32>) {
        switch width {
        case 1: narrow.append(contentsOf: ids.lazy.map { UInt8(truncatingIfNeeded: $0) })
        case 2: medium.append(contentsOf: ids.lazy.map { UInt16(truncatingIfNeeded: $0) })
        default: wide.append(contentsOf: ids.lazy.map { UInt32(bitPattern: $0) })
        }
    }

    /// Replaces every id i by `table[i]`, in place, then stores with the width `vocabularySize`
    /// needs.
    mutating func renumber(_ table: [Int32], vocabularySize: Int) {
        let target = Self.width(for: vocabularySize)
        if target > width { convert(to: target) }
        table.withUnsafeBufferPointer { t in
            switch width {
            case 1: narrow.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = UInt8(truncatingIfNeeded: t[Int($0[i])]) } }
            case 2: medium.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = UInt16(truncatingIfNeeded: t[Int($0[i])]) } }
            default: wide.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = UInt32(bitPattern: t[Int($0[i])]) } }
            }
        }
        if target < width { convert(to: target) }
    }

    func stream() -> TokenStream {
        switch width {
        case 1: TokenStream(storage: .narrow(narrow))
        case 2: TokenStream(storage: .medium(medium))
        default: TokenStream(storage: .wide(wide))
        }
    }
}

/// 64-bit FNV-1a over code points, each fed as 4 little-endian bytes.
struct FNV1a {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    @inline(__always)
    mutating func add(_ codepoint: UInt32) {
        var x = codepoint
        for _ in 0..<4 {
            value ^= UInt64(x & 0xFF)
            value = value &* 0x0000_0100_0000_01B3
            x >>= 8
        }
    }
}
