/// The vocabulary, token by token: id, the character shown visibly, its code point, and how often
/// it occurs in the training text (count and share).
public struct VocabularyReport: Sendable {
    public let vocabulary: Vocabulary

    public init(vocabulary: Vocabulary) { self.vocabulary = vocabulary }

    /// All counts are zero when the checkpoint records none; shares are then unknown.
    public var total: Int64 { vocabulary.counts.reduce(0, +) }

    public func share(of id: Int) -> Double? {
        total > 0 ? Double(vocabulary.counts[id]) / Double(total) : nil
    }

    /// "U+000A" or "0x0A" for a byte-level model.
    public func codeLabel(_ codepoint: UInt32) -> String {
        let hex = String(codepoint, radix: 16, uppercase: true)
        let digits = vocabulary.unit == .byte ? 2 : 4
        let padded = String(repeating: "0", count: max(0, digits - hex.count)) + hex
        return vocabulary.unit == .byte ? "0x" + padded : "U+" + padded
    }

    /// How the table (and the JSON's "visible") shows a token: bytes above 0x7F of a byte-level
    /// model are not characters of their own.
    func shown(_ codepoint: UInt32) -> String {
        vocabulary.unit == .byte && codepoint >= 0x80 ? "\\x" + String(codepoint, radix: 16, uppercase: true) : Vocabulary.visible(codepoint)
    }

    public var table: TextTable {
        var table = TextTable([("id", .right), ("char", .left), ("code", .left), ("count", .right), ("share", .right)])
        for (id, codepoint) in vocabulary.codepoints.enumerated() {
            table.append([
                String(id), shown(codepoint), codeLabel(codepoint), Format.grouped(vocabulary.counts[id]),
                share(of: id).map { Format.percent($0, 2) } ?? "-",
            ])
        }
        return table
    }

    public var lines: [String] {
        let unit = vocabulary.unit == .byte ? "bytes" : "characters"
        let counted = total > 0 ? ", \(Format.grouped(total)) tokens counted in the training text" : ", no counts recorded"
        return ["vocabulary: \(Format.grouped(vocabulary.count)) \(unit)\(counted)"] + table.lines(indent: 2)
    }

    public var json: JSONValue {
        .object([
            ("size", .int(vocabulary.count)),
            ("unit", .string(vocabulary.unit.rawValue)),
            ("counted_tokens", .int(total)),
            ("tokens", .array(vocabulary.codepoints.enumerated().map { id, codepoint in
                .object([
                    ("id", .int(id)),
                    ("codepoint", .int(Int64(codepoint))),
                    ("char", vocabulary.unit == .byte && codepoint >= 0x80 ? .null : .string(String(Character(Unicode.Scalar(codepoint)!)))),
                    ("visible", .string(shown(codepoint))),
                    ("count", .int(vocabulary.counts[id])),
                    ("share", share(of: id).map(JSONValue.double) ?? .null),
                ])
            })),
        ])
    }
}
