/// A problem with the training or validation text, as one line that names the file.
public enum CorpusError: Swift.Error, CustomStringConvertible, Equatable, Sendable {
    case missingPath(String)
    case unreadable(path: String, reason: String)
    case noFiles(folder: String)
    case empty(path: String)
    case invalidUTF8(path: String, byteOffset: Int)
    case binaryFile(path: String, byteOffset: Int)
    case unknownCharacters(source: String, characters: [UInt32], unit: TokenUnit = .unicodeScalar)
    case tooShort(what: String, length: Int, minimum: Int, reason: String)
    case tooManyDistinct(count: Int, limit: Int)
    case singleCharacter(source: String, character: UInt32)
    case tooShortToScore(path: String, characters: Int)
    case invalidOption(String)

    /// With rnn-train's advice for text that is not UTF-8.
    public var description: String { description(notUTF8Hint: "use --bytes to train on raw bytes") }

    /// The advice for programs that read text for a trained model (they have no --bytes): only a
    /// model of Unicode characters refuses such text.
    public static let modelNotUTF8Hint = "the model reads Unicode characters; a byte-level model, trained with rnn-train --bytes, reads any file"

    /// The message, with `hint` as the advice for text that is not UTF-8 (a program without
    /// --bytes must not suggest it).
    public func description(notUTF8Hint hint: String) -> String {
        switch self {
        case .missingPath(let path):
            return "\(path): no such file or folder"
        case .unreadable(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .noFiles(let folder):
            return "\(folder): the folder holds no text files"
        case .empty(let path):
            return "\(path): the text is empty"
        case .invalidUTF8(let path, let offset):
            return "\(path): invalid UTF-8 at byte offset \(offset) (\(hint))"
        case .binaryFile(let path, let offset):
            return "\(path): looks like a binary file (NUL byte at offset \(offset)); \(hint)"
        case .unknownCharacters(let source, let characters, let unit):
            let shown = characters.prefix(20).map { Vocabulary.quoted($0, unit: unit) }.joined(separator: " ")
            let more = characters.count > 20 ? " and \(characters.count - 20) more" : ""
            return "\(source): \(characters.count) character(s) not in the model's vocabulary: \(shown)\(more)"
        case .tooShort(let what, let length, let minimum, let reason):
            return "\(what) is too short: \(length) tokens, at least \(minimum) needed (\(reason))"
        case .tooManyDistinct(let count, let limit):
            return "the text has \(count) distinct characters, more than the limit of \(limit)"
        case .singleCharacter(let source, let character):
            return "\(source): the text consists of one distinct character (\(Vocabulary.visible(character))): there is nothing to learn"
        case .tooShortToScore(let path, let characters):
            return "\(path): too short to score: \(characters) character\(characters == 1 ? "" : "s"); at least 2 are needed (the first is only context)"
        case .invalidOption(let message):
            return message
        }
    }
}
