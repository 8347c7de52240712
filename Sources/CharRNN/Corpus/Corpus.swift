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
    /// FNV-1a (64 bit) over the training text's code points, each as 4 little-endian bytes.
    public let trainingFingerprint: UInt64
    public let validationFingerprint: UInt64

    /// Most distinct tokens a vocabulary may have.
    public static let maximumVocabularySize = 1 << 20

    /// Reads the text in two streaming passes: the first counts the distinct tokens, the second
    /// stores the ids compactly. With `vocabulary`, the text must use only its tokens (resume,
    /// fine-tuning).
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

        // Pass 1: which tokens occur, and how many there are.
        let range = options.unit == .byte ? 256 : 0x11_0000
        var present = [Bool](repeating: false, count: range)
        var totals: [String: Int] = [:]
        for file in trainingFiles + validationFiles {
            var n = 0
            try TextFiles.scan(file, unit: options.unit) { chunk in
                n += chunk.count
                present.withUnsafeMutableBufferPointer { p in for c in chunk { p[Int(c)] = true } }
            }
            totals[file] = n
        }
        var codepoints: [UInt32] = []
        for c in 0..<range where present[c] { codepoints.append(UInt32(c)) }

        let vocabularyCodepoints: [UInt32]
        if let fixed {
            let known = Set(fixed.codepoints)
            let unknown = codepoints.filter { !known.contains($0) }
            if !unknown.isEmpty {
                let sources = (trainingFiles + validationFiles).count == 1 ? trainingFiles[0] : "the text"
                throw .unknownCharacters(source: sources, characters: unknown)
            }
            vocabularyCodepoints = fixed.codepoints
        } else {
            if codepoints.count > maximumVocabularySize {
                throw .tooManyDistinct(count: codepoints.count, limit: maximumVocabularySize)
            }
            vocabularyCodepoints = codepoints
        }
        let v = vocabularyCodepoints.count
        var idOf = [Int32](repeating: -1, count: range)
        for (i, c) in vocabularyCodepoints.enumerated() { idOf[Int(c)] = Int32(i) }

        // Pass 2: ids, training counts, fingerprints.
        let trainingTotal = trainingFiles.reduce(0) { $0 + totals[$1]! }
        let validationTotal = validationFiles.reduce(0) { $0 + totals[$1]! }
        let heldOut = validationFiles.isEmpty ? Int(Double(trainingTotal) * options.validationFraction) : 0
        let trainingLength = trainingTotal - heldOut
        var builder = TokenStreamBuilder(vocabularySize: v, capacity: trainingTotal + validationTotal)
        var counts = [Int64](repeating: 0, count: v)
        var trainingHash = FNV1a(), validationHash = FNV1a()
        var position = 0
        for file in trainingFiles + validationFiles {
            try TextFiles.scan(file, unit: options.unit) { chunk in
                idOf.withUnsafeBufferPointer { ids in
                    counts.withUnsafeMutableBufferPointer { counts in
                        for c in chunk {
                            let id = ids[Int(c)]
                            builder.append(id)
                            if position < trainingLength {
                                counts[Int(id)] += 1
                                trainingHash.add(c)
                            } else {
                                validationHash.add(c)
                            }
                            position += 1
                        }
                    }
                }
            }
        }
        let all = builder.stream()
        let training = all.slice(from: 0, count: trainingLength)
        let validationLength = all.count - trainingLength
        let validation = validationLength > 0 ? all.slice(from: trainingLength, count: validationLength) : nil
        if trainingLength == 0 {
            throw .tooShort(what: "the training text", length: 0, minimum: 1, reason: "nothing left after the validation split")
        }
        if !validationFiles.isEmpty && validationLength == 0 {
            throw .empty(path: validationFiles[0])
        }
        let vocabulary = Vocabulary(unit: options.unit, codepoints: vocabularyCodepoints, counts: counts)
        if fixed == nil && v == 1 { throw .singleCharacter(character: vocabularyCodepoints[0]) }
        return Corpus(
            vocabulary: vocabulary, training: training, validation: validation,
            trainingFiles: trainingFiles, validationFiles: validationFiles,
            trainingFingerprint: trainingHash.value, validationFingerprint: validationHash.value)
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
            trainingFiles: [], validationFiles: [],
            trainingFingerprint: trainingHash.value, validationFingerprint: validationHash.value)
    }
}

/// Appends ids into the narrowest storage for the vocabulary size.
struct TokenStreamBuilder {
    private var narrow: [UInt8] = []
    private var medium: [UInt16] = []
    private var wide: [UInt32] = []
    private let width: Int

    init(vocabularySize: Int, capacity: Int) {
        width = vocabularySize <= 256 ? 1 : (vocabularySize <= 65536 ? 2 : 4)
        switch width {
        case 1: narrow.reserveCapacity(capacity)
        case 2: medium.reserveCapacity(capacity)
        default: wide.reserveCapacity(capacity)
        }
    }

    @inline(__always)
    mutating func append(_ id: Int32) {
        switch width {
        case 1: narrow.append(UInt8(truncatingIfNeeded: id))
        case 2: medium.append(UInt16(truncatingIfNeeded: id))
        default: wide.append(UInt32(bitPattern: id))
        }
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
