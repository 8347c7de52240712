import Foundation

/// The text an activation probe reads, encoded with a model's vocabulary.
public struct ProbeText: Sendable {
    /// "--text" or the file's path, for messages.
    public let source: String
    public let tokens: [Int32]
    /// The code point (or byte value) of every token, in order.
    public let codepoints: [UInt32]

    /// A text given on the command line; characters outside the vocabulary are an error that
    /// lists them.
    public init(text: String, vocabulary: Vocabulary, source: String = "--text") throws {
        guard !text.isEmpty else { throw InspectionError.emptyText(source: source) }
        let tokens = try vocabulary.encode(text, source: source)
        self.init(source: source, tokens: tokens, vocabulary: vocabulary)
    }

    /// A text file, read like training text (UTF-8, or bytes for a byte-level model).
    public init(file: String, vocabulary: Vocabulary) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isFolder), !isFolder.boolValue,
            let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber, size.intValue == 0
        {
            throw InspectionError.emptyText(source: file)
        }
        let corpus: Corpus
        do {
            corpus = try Corpus.load(CorpusOptions(trainingPaths: [file], unit: vocabulary.unit), vocabulary: vocabulary)
        } catch {
            throw CorpusError.invalidOption(error.description(notUTF8Hint: CorpusError.modelNotUTF8Hint))
        }
        let stream = corpus.training
        self.init(source: file, tokens: (0..<stream.count).map { stream[$0] }, vocabulary: vocabulary)
    }

    private init(source: String, tokens: [Int32], vocabulary: Vocabulary) {
        self.source = source
        self.tokens = tokens
        codepoints = tokens.map { vocabulary.codepoints[Int($0)] }
    }
}
