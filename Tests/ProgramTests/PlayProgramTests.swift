import Foundation
import Testing

@testable import CharRNN

/// rnn-play as a user runs it: sampling controls, several samples, beam search, scoring, and
/// memorised patterns continued exactly from saved checkpoints.
@Suite(.serialized)
struct PlayProgramTests {
    /// One small trained checkpoint shared by the tests of this suite.
    static let checkpoint: String = {
        let folder = try! Programs.temporaryFolder()
        let result = try! Programs.run("rnn-train", [
            "--data", Programs.fixture("multilingual.txt"), "--cell", "lstm", "--layers", "1", "--hidden-size", "24",
            "--batch-size", "4", "--seq-length", "16", "--val-fraction", "0", "--max-iterations", "40",
            "--learning-rate", "0.01", "--sample-every", "0", "--checkpoint-dir", folder.path,
        ])
        precondition(result.status == 0, result.errors)
        return folder.appendingPathComponent("latest.h5").path
    }()

    static func play(_ arguments: [String]) throws -> ProgramResult {
        try Programs.run("rnn-play", [checkpoint] + arguments)
    }

    /// A few iterations on FizzBuzz: a vocabulary of digits, "Fizz", "Buzz" and newline only.
    static let fizzbuzzCheckpoint: String = {
        let folder = try! Programs.temporaryFolder()
        let result = try! Programs.run("rnn-train", [
            "--data", Programs.fixture("fizzbuzz.txt"), "--layers", "1", "--hidden-size", "16", "--batch-size", "4",
            "--seq-length", "16", "--val-fraction", "0", "--max-iterations", "5", "--sample-every", "0",
            "--checkpoint-dir", folder.path,
        ])
        precondition(result.status == 0, result.errors)
        return folder.appendingPathComponent("latest.h5").path
    }()

    /// A write that fails (here a file-size limit of 0 blocks, as on a full disk) is one error
    /// line naming the destination and a non-zero exit, for generated text and for scores.
    @Test func failedWritesAreReported() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("out.txt").path
        for extra in [["--length", "50", "--seed", "1"], ["--score", Programs.fixture("multilingual.txt")]] {
            let result = try Programs.run("/bin/bash", [
                "-c", "ulimit -f 0; exec \"$0\" \"$@\"", Programs.binaries.appendingPathComponent("rnn-play").path,
                Self.checkpoint, "--output", file,
            ] + extra)
            #expect(!result.signaled, "\(extra): killed by a signal")
            #expect(result.status == 1, "\(extra): status \(result.status)")
            #expect(result.errors == "rnn-play: error: \(file): cannot write: File too large\n", "\(extra): \(result.errors)")
        }
    }

    /// The text that is not UTF-8 of the defect report: the bad byte 0xFF is at offset 6.
    static let invalidUTF8 = Data([0x31, 0x0A, 0x32, 0x0A, 0x46, 0x69, 0xFF, 0x7A, 0x7A, 0x0A])

    @Test func sameSeedSameTextOtherSeedOtherText() throws {
        let a = try Self.play(["--length", "200", "--seed", "11", "--prime", "The "])
        let b = try Self.play(["--length", "200", "--seed", "11", "--prime", "The "])
        let c = try Self.play(["--length", "200", "--seed", "12", "--prime", "The "])
        #expect(a.status == 0, "\(a.errors)")
        #expect(a.output == b.output)
        #expect(a.output != c.output)
        #expect(a.output.hasPrefix("The "))
        #expect(a.output.unicodeScalars.count == 4 + 200, "the prime and the generated text, no newline added")
        let quiet = try Self.play(["--length", "200", "--seed", "11", "--prime", "The ", "--no-echo-prime"])
        #expect("The " + quiet.output == a.output)
    }

    /// Replays generated text through the model and returns, for each generated token, the
    /// temperature-scaled probabilities it was drawn from.
    static func distributions(_ model: Model, prime: String, generated: String, temperature: Double) throws -> [(token: Int, p: [Double])] {
        let ids = try model.vocabulary.encode(prime + generated, source: "test")
        let primeCount = prime.unicodeScalars.count
        let generator = Generator(model: model)
        var result: [(Int, [Double])] = []
        var logits = generator.step(ids[0])
        for (i, id) in ids.enumerated().dropFirst() {
            if i >= primeCount {
                var p = [Double](repeating: 0, count: model.config.vocabSize)
                TokenSampler.softmax(logits, temperature: temperature, into: &p)
                result.append((Int(id), p))
            }
            logits = generator.step(id)
        }
        return result
    }

    @Test func temperatureZeroIsArgmaxAndTopKTopPStayInTheirSets() throws {
        let model = try Checkpoint.read(from: Self.checkpoint).makeModel()
        let greedy = try Self.play(["--length", "120", "--temperature", "0", "--prime", "Der "])
        let generated = String(greedy.output.dropFirst(4))
        for (token, p) in try Self.distributions(model, prime: "Der ", generated: generated, temperature: 1) {
            #expect(p[token] == p.max(), "greedy picked a token that is not the most likely")
        }
        for seed in 1...3 {
            let k = 3
            let topK = try Self.play(["--length", "150", "--temperature", "1.3", "--top-k", "\(k)", "--seed", "\(seed)", "--prime", "Der "])
            for (token, p) in try Self.distributions(model, prime: "Der ", generated: String(topK.output.dropFirst(4)), temperature: 1.3) {
                let rank = p.filter { $0 > p[token] }.count
                #expect(rank < k, "top-k emitted the token of rank \(rank)")
            }
            let threshold = 0.7
            let topP = try Self.play(["--length", "150", "--temperature", "1.3", "--top-p", "\(threshold)", "--seed", "\(seed)", "--prime", "Der "])
            for (token, p) in try Self.distributions(model, prime: "Der ", generated: String(topP.output.dropFirst(4)), temperature: 1.3) {
                // The nucleus: tokens whose more-likely predecessors have not yet reached the threshold.
                let before = p.filter { $0 > p[token] }.reduce(0, +)
                #expect(before < threshold + 1e-9, "top-p emitted a token outside the nucleus")
            }
        }
    }

    @Test func severalSamplesStopStringsOutputFilesAndPrimeFiles() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let many = try Self.play(["--length", "60", "--seed", "4", "--num-samples", "3", "--prime", "a"])
        #expect(many.status == 0, "\(many.errors)")
        for i in 1...3 { #expect(many.output.contains("----- sample \(i) of 3 -----\na")) }
        let stopped = try Self.play(["--length", "400", "--seed", "4", "--stop", " "])
        let text = stopped.output
        #expect(text.hasSuffix(" ") && text.dropLast().firstIndex(of: " ") == nil, "stops at the first space: \(text)")
        let primeFile = folder.appendingPathComponent("prime.txt")
        try "Быстрая".write(to: primeFile, atomically: true, encoding: .utf8)
        let outputFile = folder.appendingPathComponent("out.txt")
        let filed = try Self.play(["--length", "30", "--seed", "2", "--prime-file", primeFile.path, "--output", outputFile.path])
        #expect(filed.status == 0 && filed.output.isEmpty)
        let written = try String(contentsOf: outputFile, encoding: .utf8)
        #expect(written.hasPrefix("Быстрая") && written.unicodeScalars.count == 7 + 30)
        let unknown = try Self.play(["--prime", "Hello ☃ ♞"])
        #expect(unknown.status == 1)
        #expect(unknown.errors.contains("--prime: 2 character(s) not in the model's vocabulary: '☃' '♞'"))
    }

    @Test func beamSearchPrintsItsContinuationAndLogProbability() throws {
        let model = try Checkpoint.read(from: Self.checkpoint).makeModel()
        let result = try Self.play(["--beam-width", "6", "--length", "12", "--prime", "The "])
        #expect(result.status == 0, "\(result.errors)")
        let expected = BeamSearch(model: model).search(prime: try model.vocabulary.encode("The ", source: "t"), length: 12, width: 6)
        #expect(result.output == "The " + model.vocabulary.decode(expected.tokens))
        #expect(result.errors.contains(String(format: "log-probability %.6f", expected.logProbability)))
    }

    @Test func scoringPerFileOverallAndJSON() throws {
        let a = Programs.fixture("multilingual.txt")
        let text = try Self.play(["--score", a, a])
        let lines = text.output.split(separator: "\n")
        #expect(lines.count == 3 && lines[2].hasPrefix("overall: "))
        let json = try Self.play(["--score", a, "--json"])
        let document = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as! [String: Any]
        let files = document["files"] as! [[String: Any]]
        let nats = (files[0]["nats_per_char"] as! NSNumber).doubleValue
        #expect(lines[0].contains(String(format: "%.6f nats/char", nats)))
        #expect((files[0]["characters"] as! Int) == 570)
        let bits = (files[0]["bits_per_char"] as! NSNumber).doubleValue
        #expect(abs(bits - nats / log(2.0)) < 1e-12)
    }

    /// FizzBuzz and the digits of 1/7, trained with rnn-train and saved, are continued exactly by
    /// rnn-play --temperature 0.
    @Test func memorisedPatternsContinueExactlyFromCheckpoints() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fizzbuzz = Programs.fixture("fizzbuzz.txt")
        let trained = try Programs.run("rnn-train", [
            "--data", fizzbuzz, fizzbuzz, fizzbuzz, fizzbuzz, "--val-fraction", "0", "--cell", "lstm", "--layers", "2",
            "--hidden-size", "128", "--batch-size", "1", "--seq-length", "100", "--learning-rate", "5e-3", "--lr-decay", "1",
            "--max-iterations", "1200", "--epochs", "100000", "--seed", "1", "--sample-every", "0",
            "--checkpoint-dir", folder.appendingPathComponent("fizzbuzz").path,
        ])
        #expect(trained.status == 0, "\(trained.errors)")
        // One whole cycle as the prime (training sees "1" follow "100" with a carried state, a
        // zero state only once): the next whole cycle must follow.
        let expected = try String(contentsOfFile: fizzbuzz, encoding: .utf8)
        let played = try Programs.run("rnn-play", [
            folder.appendingPathComponent("fizzbuzz/latest.h5").path, "--temperature", "0", "--prime-file", fizzbuzz,
            "--no-echo-prime", "--length", "\(expected.count)",
        ])
        #expect(played.output == expected)

        let sevenths = Programs.fixture("sevenths.txt")
        let trainedSevenths = try Programs.run("rnn-train", [
            "--data", sevenths, "--val-fraction", "0", "--cell", "rnn", "--layers", "1", "--hidden-size", "32",
            "--batch-size", "4", "--seq-length", "25", "--learning-rate", "1e-2", "--max-iterations", "150",
            "--epochs", "1000", "--seed", "1", "--sample-every", "0", "--checkpoint-dir", folder.appendingPathComponent("sevenths").path,
        ])
        #expect(trainedSevenths.status == 0, "\(trainedSevenths.errors)")
        let digits = try Programs.run("rnn-play", [
            folder.appendingPathComponent("sevenths/latest.h5").path, "--temperature", "0", "--prime", "14", "--length", "118",
        ])
        #expect(digits.output == String(repeating: "142857", count: 20))
    }

    @Test func scoringRefusesTextsTooShortToScoreBeforeReportingAny() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let one = folder.appendingPathComponent("one.txt").path
        let empty = folder.appendingPathComponent("empty.txt").path
        let two = folder.appendingPathComponent("two.txt").path
        try "a".write(toFile: one, atomically: true, encoding: .utf8)
        try "".write(toFile: empty, atomically: true, encoding: .utf8)
        try "ab".write(toFile: two, atomically: true, encoding: .utf8)
        let tooShort = "rnn-play: error: \(one): too short to score: 1 character; at least 2 are needed (the first is only context)\n"
        let single = try Self.play(["--score", one])
        #expect(single.status == 1 && single.output.isEmpty)
        #expect(single.errors == tooShort)
        let nothing = try Self.play(["--score", empty])
        #expect(nothing.status == 1 && nothing.output.isEmpty)
        #expect(nothing.errors == "rnn-play: error: \(empty): the text is empty\n")
        // One short file among good ones: refused, named, and no line printed for the others.
        let mixed = try Self.play(["--score", Programs.fixture("multilingual.txt"), one, two])
        #expect(mixed.status == 1 && mixed.output.isEmpty, "\(mixed.output)")
        #expect(mixed.errors == tooShort)
        // Two characters make one prediction.
        let shortest = try Self.play(["--score", two, "--json"])
        #expect(shortest.status == 0, "\(shortest.errors)")
        let document = try JSONSerialization.jsonObject(with: Data(shortest.output.utf8)) as! [String: Any]
        let overall = document["overall"] as! [String: Any]
        #expect(overall["characters"] as? Int == 2 && overall["predictions"] as? Int == 1)
        #expect((overall["nats_per_char"] as! NSNumber).doubleValue.isFinite)
    }

    @Test func textsThatAreNotUTF8AreRefusedAtTheirOffsetWithAdviceThatApplies() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appendingPathComponent("bad.txt")
        try Self.invalidUTF8.write(to: bad)
        let message = "rnn-play: error: \(bad.path): invalid UTF-8 at byte offset 6 (the model reads Unicode characters; "
            + "a byte-level model, trained with rnn-train --bytes, reads any file)\n"
        for arguments in [["--prime-file", bad.path, "--seed", "1"], ["--score", bad.path]] {
            let result = try Programs.run("rnn-play", [Self.fizzbuzzCheckpoint] + arguments)
            #expect(result.status == 1 && result.output.isEmpty, "\(arguments)")
            #expect(result.errors == message, "\(arguments)")
        }
        let empty = folder.appendingPathComponent("empty.txt")
        try Data().write(to: empty)
        let emptyPrime = try Programs.run("rnn-play", [Self.fizzbuzzCheckpoint, "--prime-file", empty.path, "--seed", "1"])
        #expect(emptyPrime.status == 1)
        #expect(emptyPrime.errors == "rnn-play: error: \(empty.path): the text is empty\n")

        // A byte-level model reads the same file as the bytes it is, and echoes them unchanged.
        let corpus = folder.appendingPathComponent("corpus.bin")
        try Data((0..<20).flatMap { _ in Self.invalidUTF8 }).write(to: corpus)
        let trained = try Programs.run("rnn-train", [
            "--data", corpus.path, "--bytes", "--layers", "1", "--hidden-size", "8", "--batch-size", "2", "--seq-length", "8",
            "--val-fraction", "0", "--max-iterations", "2", "--sample-every", "0", "--checkpoint-dir", folder.appendingPathComponent("bytes").path,
        ])
        #expect(trained.status == 0, "\(trained.errors)")
        let out = folder.appendingPathComponent("out.bin")
        let played = try Programs.run("rnn-play", [
            folder.appendingPathComponent("bytes/latest.h5").path, "--prime-file", bad.path, "--length", "5", "--seed", "1", "--output", out.path,
        ])
        #expect(played.status == 0, "\(played.errors)")
        let written = try Data(contentsOf: out)
        #expect(written.count == Self.invalidUTF8.count + 5 && written.prefix(Self.invalidUTF8.count) == Self.invalidUTF8)
        // Bytes it does not know are listed as bytes, not as Latin-1 characters.
        let unknown = try Programs.run("rnn-play", [folder.appendingPathComponent("bytes/latest.h5").path, "--prime", "é"])
        #expect(unknown.status == 1)
        #expect(unknown.errors == "rnn-play: error: --prime: 2 character(s) not in the model's vocabulary: '\\xA9' '\\xC3'\n")
    }

    @Test func optionsThatWouldHaveNoEffectAreRefused() throws {
        let a = Programs.fixture("multilingual.txt")
        let beam = "--beam-width finds the most likely continuation of --length characters, without sampling; drop "
        let score = "--score reads the files instead of generating; drop "
        let cases: [([String], String)] = [
            (["--beam-width", "4", "--stop", "x"], beam + "--stop"),
            (["--beam-width", "4", "--temperature", "0.5", "--top-k", "3", "--top-p", "0.9"], beam + "--temperature, --top-k, --top-p"),
            (["--beam-width", "4", "--temperature", "1"], beam + "--temperature"),
            (["--beam-width", "4", "--num-samples", "2"], "--beam-width finds one continuation; drop --num-samples"),
            (["--score", a, "--length", "10", "--seed", "1", "--no-echo-prime"], score + "--length, --seed, --no-echo-prime"),
            (["--score", a, "--temperature", "0.5", "--top-k", "2", "--top-p", "0.5", "--stop", "x"], score + "--temperature, --top-k, --top-p, --stop"),
            (["--score", a, "--prime", "The ", "--num-samples", "2", "--beam-width", "3"], score + "--prime, --num-samples, --beam-width"),
            (["--score", a, "--prime-file", a, "--echo-prime"], score + "--prime-file, --echo-prime"),
        ]
        for (arguments, message) in cases {
            let result = try Self.play(arguments)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.errors.hasPrefix("Error: \(message)\nUsage: "), "\(arguments): \(result.errors)")
            #expect(result.output.isEmpty)
        }
        // What beam search does use is still accepted.
        let beamed = try Self.play(["--beam-width", "3", "--length", "5", "--prime", "The ", "--no-echo-prime", "--seed", "2"])
        #expect(beamed.status == 0, "\(beamed.errors)")
        #expect(beamed.output.unicodeScalars.count == 5)
    }

    @Test func scoresGoToTheOutputFile() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = Programs.fixture("multilingual.txt")
        for extra in [[], ["--json"]] {
            let printed = try Self.play(["--score", a, a] + extra)
            let file = folder.appendingPathComponent("scores\(extra.count).txt")
            let filed = try Self.play(["--score", a, a, "--output", file.path] + extra)
            #expect(filed.status == 0 && filed.output.isEmpty, "\(filed.errors)")
            #expect(try String(contentsOf: file, encoding: .utf8) == printed.output)
            #expect(printed.output.hasSuffix("\n") && printed.output.contains(extra.isEmpty ? "overall: " : "\"overall\""))
        }
    }

    @Test func anOutputFileThatCannotBeCreatedIsNamedAsSuch() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("missing/out.txt").path
        for arguments in [["--length", "5", "--seed", "1"], ["--beam-width", "2", "--length", "5"], ["--score", Programs.fixture("multilingual.txt")]] {
            let result = try Self.play(arguments + ["--output", path])
            #expect(result.status == 1, "\(arguments)")
            #expect(result.errors == "rnn-play: error: \(path): cannot create the output file: No such file or directory\n", "\(arguments)")
        }
    }

    @Test func theSeedIsPrintedOnlyWhenTheTextDependsOnItAndTheInputIsGood() throws {
        let drawn = try Self.play(["--length", "40", "--prime", "The "])
        #expect(drawn.status == 0)
        let seedLine = String(try #require(drawn.errors.split(separator: "\n").first))
        #expect(drawn.errors == seedLine + "\n" && seedLine.hasPrefix("rnn-play: seed "))
        let replayed = try Self.play(["--length", "40", "--prime", "The ", "--seed", String(seedLine.dropFirst("rnn-play: seed ".count))])
        #expect(replayed.output == drawn.output && replayed.errors.isEmpty, "the printed seed gives the same text")
        let greedy = try Self.play(["--length", "40", "--prime", "The ", "--temperature", "0"])
        #expect(greedy.status == 0 && greedy.errors.isEmpty, "greedy sampling uses no randomness: \(greedy.errors)")
        let refused = try Self.play(["--length", "40", "--prime", "☃"])
        #expect(refused.status == 1)
        #expect(refused.errors == "rnn-play: error: --prime: 1 character(s) not in the model's vocabulary: '☃'\n")
    }

    @Test func aFileOrPipeGetsExactlyTheTextATerminalAFinalNewline() throws {
        let folder = try Programs.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let arguments = ["--length", "30", "--seed", "5", "--prime", "The "]
        let piped = try Self.play(arguments)
        #expect(piped.output.unicodeScalars.count == 4 + 30 && piped.output.hasPrefix("The "))
        let file = folder.appendingPathComponent("out.txt")
        #expect(try Self.play(arguments + ["--output", file.path]).status == 0)
        #expect(try String(contentsOf: file, encoding: .utf8) == piped.output)
        // The terminal turns "\n" into "\r\n".
        let (status, shown) = try ProgressProgramTests.onTerminal("rnn-play", [Self.checkpoint] + arguments)
        #expect(status == 0)
        let onTerminal = piped.output.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(shown == onTerminal + (piped.output.hasSuffix("\n") ? "" : "\r\n"))
        // A text that ends its own line gets no second newline (and nothing drawn, no seed line).
        let (_, ended) = try ProgressProgramTests.onTerminal("rnn-play", [Self.checkpoint, "--length", "0", "--prime", "The\n"])
        #expect(ended == "The\r\n")
    }

    @Test func missingCharactersAreListedUnambiguously() throws {
        let result = try Programs.run("rnn-play", [Self.fizzbuzzCheckpoint, "--prime", "a' b,\t!\u{301}\\"])
        #expect(result.status == 1)
        #expect(result.errors == "rnn-play: error: --prime: 9 character(s) not in the model's vocabulary: '\\t' ' ' '!' '\\'' ',' '\\\\' 'a' 'b' U+0301\n")
    }
}
