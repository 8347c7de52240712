import Foundation

/// What a token is: a Unicode scalar (the default) or a byte (`--bytes`).
public enum TokenUnit: String, Sendable, Codable {
    case unicodeScalar = "unicode_scalar"
    case byte
}

/// The tokens of a model, sorted by code point (or byte value), with how often each occurs in the
/// training text. Token id i stands for `codepoints[i]`.
public struct Vocabulary: Equatable, Sendable {
    public let unit: TokenUnit
    public let codepoints: [UInt32]
    public let counts: [Int64]
    private let index: [UInt32: Int32]

    /// `codepoints` must be strictly increasing.
    public init(unit: TokenUnit, codepoints: [UInt32], counts: [Int64]? = nil) {
        precondition(zip(codepoints, codepoints.dropFirst()).allSatisfy { $0 < $1 }, "vocabulary not sorted")
        self.unit = unit
        self.codepoints = codepoints
        self.counts = counts ?? Array(repeating: 0, count: codepoints.count)
        var index = [UInt32: Int32](minimumCapacity: codepoints.count)
        for (i, c) in codepoints.enumerated() { index[c] = Int32(i) }
        self.index = index
    }

    public static func == (a: Vocabulary, b: Vocabulary) -> Bool {
        a.unit == b.unit && a.codepoints == b.codepoints && a.counts == b.counts
    }

    public var count: Int { codepoints.count }

    public func id(of codepoint: UInt32) -> Int32? { index[codepoint] }

    /// The token ids of a text; unknown characters are an error that lists them.
    public func encode(_ text: String, source: String) throws(CorpusError) -> [Int32] {
        try encode(values: unit == .byte ? text.utf8.map(UInt32.init) : text.unicodeScalars.map(\.value), source: source)
    }

    /// The token ids of a file, read and checked as training text is: bytes for a byte-level
    /// vocabulary, else UTF-8 (errors give the byte offset).
    public func encode(file path: String) throws(CorpusError) -> [Int32] {
        var values: [UInt32] = []
        try TextFiles.scan(path, unit: unit) { values.append(contentsOf: $0) }
        return try encode(values: values, source: path)
    }

    private func encode(values: [UInt32], source: String) throws(CorpusError) -> [Int32] {
        var ids: [Int32] = []
        var unknown: [UInt32] = []
        ids.reserveCapacity(values.count)
        for v in values {
            if let id = index[v] {
                ids.append(id)
            } else if !unknown.contains(v) {
                unknown.append(v)
            }
        }
        if !unknown.isEmpty { throw .unknownCharacters(source: source, characters: unknown.sorted(), unit: unit) }
        return ids
    }

    /// The UTF-8 bytes of one token, for streaming output. Byte-level tokens are raw bytes.
    public func bytes(of id: Int32) -> [UInt8] {
        let value = codepoints[Int(id)]
        if unit == .byte { return [UInt8(value)] }
        guard let scalar = Unicode.Scalar(value) else { return [0xEF, 0xBF, 0xBD] }
        return Array(String(Character(scalar)).utf8)
    }

    /// Decodes token ids to text (byte-level models: invalid UTF-8 shows as U+FFFD).
    public func decode(_ ids: [Int32]) -> String {
        if unit == .byte { return String(decoding: ids.map { UInt8(codepoints[Int($0)]) }, as: UTF8.self) }
        var s = String.UnicodeScalarView()
        for id in ids { s.append(Unicode.Scalar(codepoints[Int(id)]) ?? "\u{FFFD}") }
        return String(s)
    }

    /// A character in a list of characters, so that none can be mistaken for another or for the
    /// list's spaces: quoted, with escapes for the quote, the backslash, newline, tab and carriage
    /// return ('a', ' ', '\'', '\n'); U+XXXX for those that do not show on their own (other
    /// controls and spaces, format characters, combining marks, unassigned code points). Bytes
    /// above 0x7F are no characters: '\xFF'.
    public static func quoted(_ codepoint: UInt32, unit: TokenUnit = .unicodeScalar) -> String {
        if unit == .byte && codepoint > 0x7F { return String(format: "'\\x%02X'", codepoint) }
        switch codepoint {
        case 0x0A: return "'\\n'"
        case 0x09: return "'\\t'"
        case 0x0D: return "'\\r'"
        case 0x27: return "'\\''"
        case 0x5C: return "'\\\\'"
        case 0x20: return "' '"
        default:
            guard let scalar = Unicode.Scalar(codepoint) else { return String(format: "U+%04X", codepoint) }
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .unassigned, .surrogate,
                .privateUse, .nonspacingMark, .spacingMark, .enclosingMark:
                return String(format: "U+%04X", codepoint)
            default:
                return "'\(Character(scalar))'"
            }
        }
    }

    /// A character shown so that whitespace and control characters are visible: "\n", "\t",
    /// "' '" for a space, U+XXXX for other invisible ones and for combining marks and other
    /// zero-width characters, which would merge with whatever is printed before them.
    public static func visible(_ codepoint: UInt32) -> String {
        switch codepoint {
        case 0x0A: return "\\n"
        case 0x09: return "\\t"
        case 0x0D: return "\\r"
        case 0x20: return "' '"
        case 0x5C: return "\\\\"
        default:
            guard let scalar = Unicode.Scalar(codepoint) else { return String(format: "U+%04X", codepoint) }
            let p = scalar.properties
            if codepoint < 0x20 || (0x7F...0x9F).contains(codepoint) || escapedCategories.contains(p.generalCategory)
                || p.isGraphemeExtend || p.isDefaultIgnorableCodePoint
            {
                return String(format: "U+%04X", codepoint)
            }
            return String(Character(scalar))
        }
    }

    /// Shown as U+XXXX: invisible, or (marks) drawn onto the character before.
    private static let escapedCategories: Set<Unicode.GeneralCategory> = [
        .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .unassigned, .surrogate, .privateUse,
        .nonspacingMark, .spacingMark, .enclosingMark,
    ]
}
