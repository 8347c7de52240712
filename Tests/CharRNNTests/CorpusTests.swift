import Foundation
import Testing

@testable import CharRNN

/// Reading text files and folders into a vocabulary and compact token ids.
struct CorpusTests {
    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-corpus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func multilingualTextIsReadAsUnicodeScalars() throws {
        let path = Repository.path("Fixtures/multilingual.txt")
        let corpus = try Corpus.load(CorpusOptions(trainingPaths: [path]))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(corpus.training.count == text.unicodeScalars.count)
        #expect(corpus.vocabulary.decode(corpus.training.ids) == text)
        let distinct = Set(text.unicodeScalars.map(\.value)).sorted()
        #expect(corpus.vocabulary.codepoints == distinct)
        #expect(corpus.vocabulary.codepoints.contains(0x1F98A))  // the fox emoji
        // Counts per token.
        let spaces = text.unicodeScalars.filter { $0 == " " }.count
        #expect(corpus.vocabulary.counts[Int(corpus.vocabulary.id(of: 0x20)!)] == Int64(spaces))
        // More than 256 distinct characters would need 2 bytes; this text fits in one.
        #expect(corpus.training.bytesPerToken == 1)
    }

    @Test func bytesModeReadsRawBytes() throws {
        let path = Repository.path("Fixtures/multilingual.txt")
        let corpus = try Corpus.load(CorpusOptions(trainingPaths: [path], unit: .byte))
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(corpus.training.count == data.count)
        #expect(corpus.vocabulary.codepoints == Set(data.map(UInt32.init)).sorted())
    }

    @Test func foldersAreReadInPathOrderSkippingHiddenFiles() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("b"), withIntermediateDirectories: true)
        try "second".write(to: folder.appendingPathComponent("b/2.txt"), atomically: true, encoding: .utf8)
        try "first ".write(to: folder.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try "hidden".write(to: folder.appendingPathComponent(".hidden"), atomically: true, encoding: .utf8)
        let corpus = try Corpus.load(CorpusOptions(trainingPaths: [folder.path]))
        #expect(corpus.vocabulary.decode(corpus.training.ids) == "first second")
        #expect(corpus.trainingFiles.map { URL(fileURLWithPath: $0).lastPathComponent } == ["a.txt", "2.txt"])
    }

    @Test func validationFilesAreSeparate() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "abcabc".write(to: folder.appendingPathComponent("train.txt"), atomically: true, encoding: .utf8)
        try "cab!".write(to: folder.appendingPathComponent("val.txt"), atomically: true, encoding: .utf8)
        let corpus = try Corpus.load(CorpusOptions(
            trainingPaths: [folder.appendingPathComponent("train.txt").path],
            validationPaths: [folder.appendingPathComponent("val.txt").path]))
        #expect(corpus.vocabulary.decode(corpus.training.ids) == "abcabc")
        #expect(corpus.vocabulary.decode(corpus.validation!.ids) == "cab!")
        #expect(corpus.vocabulary.codepoints == [33, 97, 98, 99])
        #expect(corpus.vocabulary.counts == [0, 2, 2, 2])
    }

    @Test func invalidUTF8NamesFileAndOffset() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("bad.txt")
        try Data([0x61, 0x62, 0xC3, 0xA9, 0x63, 0xFF, 0x64]).write(to: file)
        #expect(throws: CorpusError.invalidUTF8(path: file.path, byteOffset: 5)) {
            try Corpus.load(CorpusOptions(trainingPaths: [file.path]))
        }
        let error = CorpusError.invalidUTF8(path: file.path, byteOffset: 5).description
        #expect(error.contains("--bytes") && error.contains("bad.txt") && error.contains("offset 5"))
        // Overlong encodings, surrogates and truncated sequences are invalid too.
        for (bytes, offset) in [([0x41, 0xC0, 0x80], 1), ([0xED, 0xA0, 0x80], 0), ([0x41, 0x42, 0xE2, 0x82], 2)] {
            try Data(bytes.map(UInt8.init)).write(to: file)
            #expect(throws: CorpusError.invalidUTF8(path: file.path, byteOffset: offset)) {
                try Corpus.load(CorpusOptions(trainingPaths: [file.path]))
            }
        }
        // The same bytes train fine as bytes.
        #expect((try? Corpus.load(CorpusOptions(trainingPaths: [file.path], unit: .byte))) != nil)
    }

    @Test func sequencesAcrossReadChunksDecode() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("long.txt")
        // 3-byte characters straddle the 8 MiB chunk boundary (8 MiB is not a multiple of 3).
        let text = String(repeating: "€", count: TextFiles.chunkSize / 3 + 10) + "a"
        try text.write(to: file, atomically: true, encoding: .utf8)
        let corpus = try Corpus.load(CorpusOptions(trainingPaths: [file.path]))
        #expect(corpus.training.count == text.unicodeScalars.count)
        #expect(corpus.vocabulary.codepoints == [0x61, 0x20AC])
        #expect(corpus.vocabulary.counts == [1, Int64(text.unicodeScalars.count - 1)])
    }

    @Test func missingAndEmptyInputsAreClearErrors() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: CorpusError.missingPath("/no/such/file.txt")) {
            try Corpus.load(CorpusOptions(trainingPaths: ["/no/such/file.txt"]))
        }
        #expect(throws: CorpusError.noFiles(folder: folder.path)) {
            try Corpus.load(CorpusOptions(trainingPaths: [folder.path]))
        }
        let empty = folder.appendingPathComponent("empty.txt")
        FileManager.default.createFile(atPath: empty.path, contents: Data())
        #expect(throws: CorpusError.empty(path: empty.path)) {
            try Corpus.load(CorpusOptions(trainingPaths: [empty.path]))
        }
    }

    @Test func fixedVocabularyRejectsUnknownCharacters() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("t.txt")
        try "abz\n".write(to: file, atomically: true, encoding: .utf8)
        let vocabulary = Vocabulary(unit: .unicodeScalar, codepoints: [97, 98, 99])
        #expect(throws: CorpusError.unknownCharacters(source: file.path, characters: [0x0A, 0x7A])) {
            try Corpus.load(CorpusOptions(trainingPaths: [file.path]), vocabulary: vocabulary)
        }
        #expect(CorpusError.unknownCharacters(source: "t.txt", characters: [0x0A, 0x7A]).description.contains("'\\n' 'z'"))
    }
}
