import ArgumentParser
import CharRNN
import CommandLineSupport
import Foundation

@main
struct PlayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnn-play",
        abstract: "Generate text from a trained model, or score a text under it.",
        discussion: """
            Generation starts from a zero state, warms it up on the prime (--prime or \
            --prime-file; a newline when neither is given) and then draws one character at a \
            time, streaming them to standard output (or --output). A file or pipe gets exactly \
            the text (the prime, unless --no-echo-prime, and the generated characters); on a \
            terminal an unfinished last line is ended with a newline. --num-samples generates \
            several samples together as one batch and prints them one after another, each under \
            a header line and ending with a newline.

            --beam-width searches for the most likely continuation of --length characters \
            instead of sampling (so --temperature, --top-k, --top-p and --stop are refused with it), \
            and prints its log-probability on standard error.

            --score prints the mean loss of texts in nats, bits per character and perplexity \
            (to standard output or --output): every character after the first is predicted from \
            all those before it, from a zero state, so each file needs at least 2 characters. \
            The generation options are refused with it.

            Examples:
              rnn-play checkpoints/best.h5 --length 2000 --temperature 0.8 --prime "ROMEO:"
              rnn-play checkpoints/best.h5 --num-samples 4 --top-p 0.9 --stop "\\n\\n"
              rnn-play checkpoints/best.h5 --beam-width 8 --length 40 --prime "To be"
              rnn-play checkpoints/best.h5 --score test.txt --json
            """,
        version: ToolkitVersion.string)

    @Argument(help: "The checkpoint (.h5) to load.")
    var checkpoint: String

    // Options with a default are optional (the default named in their help) so that one given
    // where it has no effect can be refused.

    @Option(help: "Characters to generate per sample (after the prime). (default: 500)")
    var length: Int?

    @Option(help: "Sampling temperature: lower is more conservative; 0 always takes the most likely character (greedy). (default: 1.0)")
    var temperature: Double?

    @Option(help: "Draw only from the K most likely characters; 0 means no limit. (default: 0)")
    var topK: Int?

    @Option(help: "Draw only from the smallest set of most likely characters whose probability reaches P (nucleus sampling); 1 means no limit. (default: 1.0)")
    var topP: Double?

    @Option(help: "Random seed: the same seed gives the same text. (default: a random seed, printed to standard error when the text depends on it)")
    var seed: UInt64?

    @Option(help: "Text to warm the state up on before generating.")
    var prime: String?

    @Option(help: "Read the prime text from this file (UTF-8; any bytes for a byte-level model).")
    var primeFile: String?

    @Flag(inversion: .prefixedNo, help: "Print the prime before the generated text. (default: --echo-prime)")
    var echoPrime: Bool?

    @Option(help: "End a sample right after this text appears in it (escapes \\n and \\t are understood).")
    var stop: String?

    @Option(help: "Samples to generate together as one batch; they are printed one after another. (default: 1)")
    var numSamples: Int?

    @Option(help: "Find the most likely continuation by beam search with this many beams, instead of sampling.")
    var beamWidth: Int?

    @Option(help: "Write the generated text (with --score: the scores) to this file instead of standard output.")
    var output: String?

    @Option(parsing: .upToNextOption, help: "Score these text files (each, and all together) instead of generating; each needs at least 2 characters.")
    var score: [String] = []

    @Flag(help: "With --score: print the scores as JSON.")
    var json = false

    @Option(help: "Threads for generation and scoring (small models use one whatever this says). (default: the number of cores)")
    var threads: Int?

    var sampleLength: Int { length ?? 500 }
    var echoesPrime: Bool { echoPrime ?? true }

    var sampling: SamplingOptions {
        let defaults = SamplingOptions()
        return SamplingOptions(
            temperature: temperature ?? defaults.temperature, topK: topK ?? defaults.topK, topP: topP ?? defaults.topP)
    }

    func validate() throws {
        if let length, length < 0 { throw ValidationError("--length must not be negative") }
        if let temperature, temperature < 0 || !temperature.isFinite { throw ValidationError("--temperature must be 0 or more") }
        if let topK, topK < 0 { throw ValidationError("--top-k must not be negative") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
        if let numSamples, numSamples < 1 || numSamples > 4096 { throw ValidationError("--num-samples must be between 1 and 4096") }
        if let beamWidth, beamWidth < 1 || beamWidth > 4096 { throw ValidationError("--beam-width must be between 1 and 4096") }
        if prime != nil && primeFile != nil { throw ValidationError("give --prime or --prime-file, not both") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if json && score.isEmpty { throw ValidationError("--json goes with --score") }
        if !score.isEmpty {
            let unused = Self.given([
                ("--length", length != nil), ("--temperature", temperature != nil), ("--top-k", topK != nil),
                ("--top-p", topP != nil), ("--seed", seed != nil), ("--prime", prime != nil), ("--prime-file", primeFile != nil),
                (echoPrime == false ? "--no-echo-prime" : "--echo-prime", echoPrime != nil), ("--stop", stop != nil),
                ("--num-samples", numSamples != nil), ("--beam-width", beamWidth != nil),
            ])
            if !unused.isEmpty { throw ValidationError("--score reads the files instead of generating; drop \(unused)") }
        } else if beamWidth != nil {
            if (numSamples ?? 1) > 1 { throw ValidationError("--beam-width finds one continuation; drop --num-samples") }
            let unused = Self.given([
                ("--temperature", temperature != nil), ("--top-k", topK != nil), ("--top-p", topP != nil), ("--stop", stop != nil),
            ])
            if !unused.isEmpty {
                throw ValidationError("--beam-width finds the most likely continuation of --length characters, without sampling; drop \(unused)")
            }
        }
    }

    /// The names of the options given, as a list for a message ("" when none).
    static func given(_ options: [(name: String, given: Bool)]) -> String {
        options.filter(\.given).map(\.name).joined(separator: ", ")
    }

    /// A problem with the user's input, shown as it is.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func run() throws {
        try Console.failingCleanly("rnn-play") {
            do {
                BLASThreads.set(threads ?? ProcessInfo.processInfo.activeProcessorCount)
                let model = try Checkpoint.read(from: checkpoint).makeModel()
                if !score.isEmpty {
                    try scoreFiles(model)
                } else if let beamWidth {
                    try searchBeams(model, width: beamWidth)
                } else {
                    try generate(model)
                }
            } catch let error as CorpusError {
                throw Failure(description: error.description(notUTF8Hint: CorpusError.modelNotUTF8Hint))
            }
        }
    }

    /// Prime tokens, and the bytes to echo. Without a prime the state is warmed up on a newline
    /// (not echoed), or on a random character when the vocabulary has no newline.
    func primeTokens(_ vocabulary: Vocabulary, random: inout RandomGenerator) throws -> (ids: [Int32], echo: [UInt8]) {
        let ids: [Int32]
        if let prime {
            ids = try vocabulary.encode(prime, source: "--prime")
            if ids.isEmpty { throw ValidationError("the prime text is empty") }
        } else if let primeFile {
            ids = try vocabulary.encode(file: primeFile)
        } else if let newline = vocabulary.id(of: 0x0A) {
            return ([newline], [])
        } else {
            let first = Int32(random.next() % UInt64(vocabulary.count))
            return ([first], vocabulary.bytes(of: first))
        }
        return (ids, ids.flatMap(vocabulary.bytes(of:)))
    }

    /// Whether the prime is drawn at random (no prime given, no newline in the vocabulary).
    func drawsPrime(_ vocabulary: Vocabulary) -> Bool {
        prime == nil && primeFile == nil && vocabulary.id(of: 0x0A) == nil
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\t", with: "\t")
    }

    func destination() throws -> StreamingOutput {
        guard let output else { return StreamingOutput() }
        let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        if fd < 0 { throw Failure(description: "\(output): cannot create the output file: \(String(cString: strerror(errno)))") }
        return StreamingOutput(handle: FileHandle(fileDescriptor: fd, closeOnDealloc: true), name: output)
    }

    func generate(_ model: Model) throws {
        let vocabulary = model.vocabulary
        let numSamples = self.numSamples ?? 1
        let seed = self.seed ?? UInt64.random(in: 0...UInt64(Int64.max))
        var random = RandomGenerator(seed: seed)
        let (primeIDs, echo) = try primeTokens(vocabulary, random: &random)
        let stopIDs = try stop.map { try vocabulary.encode(Self.unescape($0), source: "--stop") } ?? []
        let request = GenerationRequest(
            prime: primeIDs, length: sampleLength, sampling: sampling, seed: seed, stop: stopIDs, samples: numSamples)
        let out = try destination()
        // Only once the inputs are accepted (an error stays one line), and only when the text
        // depends on it.
        if self.seed == nil && ((request.length > 0 && sampling.temperature > 0) || drawsPrime(vocabulary)) {
            Console.writeError("rnn-play: seed \(seed)\n")
        }
        let generator = TextGenerator(model: model)
        if numSamples == 1 {
            if echoesPrime { out.write(echo) }
            generator.generate(request, emit: { _, token in out.write(vocabulary.bytes(of: token)) }, finished: { _ in })
        } else {
            // Rows advance together; each sample is printed whole, in order, once it is complete.
            var texts = [[UInt8]](repeating: echoesPrime ? echo : [], count: numSamples)
            var complete = [Bool](repeating: false, count: numSamples)
            var printed = 0
            func printReady() {
                while printed < numSamples && complete[printed] {
                    out.write(Array("----- sample \(printed + 1) of \(numSamples) -----\n".utf8))
                    out.write(texts[printed] + [0x0A])
                    printed += 1
                }
            }
            generator.generate(
                request, emit: { row, token in texts[row] += vocabulary.bytes(of: token) },
                finished: { row in
                    complete[row] = true
                    printReady()
                })
        }
        try out.finish()
    }

    func searchBeams(_ model: Model, width: Int) throws {
        var random = RandomGenerator(seed: seed ?? 0)
        let (primeIDs, echo) = try primeTokens(model.vocabulary, random: &random)
        let length = sampleLength
        let out = try destination()
        let result = BeamSearch(model: model).search(prime: primeIDs, length: length, width: width)
        if echoesPrime { out.write(echo) }
        for token in result.tokens { out.write(model.vocabulary.bytes(of: token)) }
        try out.finish()
        Console.writeError(String(
            format: "rnn-play: beam search (width %d): log-probability %.6f (%.4f nats/char)\n",
            width, result.logProbability, length > 0 ? -result.logProbability / Double(length) : 0))
    }

    func scoreFiles(_ model: Model) throws {
        // Every file is read and checked first: a bad one stops the run before any report.
        var texts: [(file: String, tokens: TokenStream)] = []
        for file in score {
            let corpus = try Corpus.load(CorpusOptions(trainingPaths: [file], unit: model.vocabulary.unit), vocabulary: model.vocabulary)
            if corpus.training.count < 2 { throw CorpusError.tooShortToScore(path: file, characters: corpus.training.count) }
            texts.append((file, corpus.training))
        }
        let out = try destination()
        func writeLine(_ line: String) { out.write(Array((line + "\n").utf8)) }
        let scorer = Scorer(model: model)
        var overall = Scorer.Score(totalNats: 0, predictions: 0)
        var characters = 0
        var entries: [[String: Any]] = []
        let display = ProgressDisplay(quiet: false, standardError: true)
        for (file, tokens) in texts {
            let total = tokens.count - 1
            let result = scorer.score(tokens) { done in
                let fraction = Double(done) / Double(total)
                display.updatePeriodically(
                    "scoring \(file) \(ProgressDisplay.bar(fraction)) \(Int(fraction * 100))%  \(Console.grouped(done)) of \(Console.grouped(total)) characters")
            }
            display.finish()
            overall = overall + result
            characters += tokens.count
            if json {
                entries.append(Self.json(result, characters: tokens.count, path: file))
            } else {
                writeLine(Self.format(result, label: file))
            }
        }
        if json {
            let document: [String: Any] = [
                "checkpoint": checkpoint, "files": entries, "overall": Self.json(overall, characters: characters, path: nil),
            ]
            let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            writeLine(String(decoding: data, as: UTF8.self))
        } else if score.count > 1 {
            writeLine(Self.format(overall, label: "overall"))
        }
        try out.finish()
    }

    static func json(_ s: Scorer.Score, characters: Int, path: String?) -> [String: Any] {
        var entry: [String: Any] = [
            "characters": characters, "predictions": s.predictions,
            "nats_per_char": s.meanNats, "bits_per_char": s.bitsPerCharacter, "perplexity": s.perplexity,
            "total_nats": s.totalNats,
        ]
        if let path { entry["path"] = path }
        return entry
    }

    static func format(_ s: Scorer.Score, label: String) -> String {
        String(format: "%@: %.6f nats/char, %.6f bits/char, perplexity %.4f over %@ predicted characters",
               label, s.meanNats, s.bitsPerCharacter, s.perplexity, Console.grouped(s.predictions))
    }
}
