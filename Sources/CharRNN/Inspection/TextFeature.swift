/// A simple property of each character of a text, against which hidden units are correlated
/// (the features Karpathy, Johnson and Fei-Fei found single LSTM cells tracking).
///
/// Each value describes the text up to and including the character, which is what the model has
/// read when its state is taken.
public enum TextFeature: String, CaseIterable, Sendable {
    /// 1 inside a double-quoted span, 0 outside: an opening `"` is inside, its closing `"` is
    /// outside again. Quotes pair up over line ends.
    case quotes
    /// The character's column in its line: 0 for the first character after a newline; a newline
    /// has the column it stands at.
    case linePosition = "line-position"
    /// The number of spaces and tabs at the start of the character's line, counted so far.
    case indentation

    public var title: String {
        switch self {
        case .quotes: "inside quotes"
        case .linePosition: "position in line"
        case .indentation: "indentation"
        }
    }

    /// Why a text can make the feature constant.
    var constantHint: String {
        switch self {
        case .quotes: "the text needs a double-quoted span"
        case .linePosition: "the text needs characters after the start of a line"
        case .indentation: "the text needs lines that start with spaces or tabs"
        }
    }

    /// The feature at every character of a text given as code points (or byte values).
    public func values(_ codepoints: [UInt32]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(codepoints.count)
        var inside = false
        var column = 0
        var indent = 0, atLineStart = true
        for c in codepoints {
            switch self {
            case .quotes:
                if c == 0x22 { inside.toggle() }
                out.append(inside ? 1 : 0)
            case .linePosition:
                out.append(Double(column))
                column = c == 0x0A ? 0 : column + 1
            case .indentation:
                if atLineStart && (c == 0x20 || c == 0x09) {
                    indent += 1
                } else if c != 0x0A {
                    atLineStart = false
                }
                out.append(Double(indent))
                if c == 0x0A {
                    indent = 0
                    atLineStart = true
                }
            }
        }
        return out
    }
}
