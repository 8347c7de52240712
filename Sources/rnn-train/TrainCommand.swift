import ArgumentParser
import CharRNN
import CommandLineSupport
import Foundation

@main
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnn-train",
        abstract: "Train a character-level RNN, LSTM or GRU language model on text.",
        discussion: """
            The text is cut into --batch-size contiguous streams; each batch continues every \
            stream where the previous batch stopped, and the hidden state is carried across \
            batches and epochs (truncated backpropagation through time over --seq-length steps).

            Checkpoints go to --checkpoint-dir: numbered files named by iteration and validation \
            loss, latest.h5 and (with validation text) best.h5; a folder holds one run (see --overwrite). Ctrl-C finishes the current step, saves and exits with \
            status 130; a second Ctrl-C exits at once. --resume continues a run exactly where it \
            stopped; --init-from starts a new run from a checkpoint's weights (fine-tuning).

            Examples:
              rnn-train --data plays/ --cell lstm --layers 2 --hidden-size 256 --epochs 10
              rnn-train --resume checkpoints/latest.h5 --epochs 20
              rnn-train --init-from checkpoints/best.h5 --data my-text.txt --learning-rate 1e-3
            """,
        version: ToolkitVersion.string)

    @OptionGroup(title: "Data") var data: DataArguments
    @OptionGroup(title: "Model") var model: ModelArguments

    @Option(help: "Time steps per batch (truncated backpropagation through time). (default: 50)")
    var seqLength: Int?

    @Option(help: "Parallel text streams per batch. (default: 50)")
    var batchSize: Int?

    @Option(help: "Optimizer: sgd, adagrad, rmsprop or adam, with PyTorch's update rules. (default: adam)")
    var optimizer: OptimizerKind?

    @Option(help: "Learning rate. (default: 0.002)")
    var learningRate: Double?

    @Option(help: "Multiply the learning rate by this at the end of every epoch from --lr-decay-after on; 1 keeps it constant. (default: 0.97)")
    var lrDecay: Double?

    @Option(help: "The epoch at whose end the learning-rate decay starts. (default: 10)")
    var lrDecayAfter: Int?

    @Option(help: "SGD momentum. (default: 0)")
    var momentum: Double?

    @Option(help: "RMSprop smoothing constant. (default: 0.99)")
    var alpha: Double?

    @Option(help: "Adam's beta1. (default: 0.9)")
    var beta1: Double?

    @Option(help: "Adam's beta2. (default: 0.999)")
    var beta2: Double?

    @Option(help: "Epsilon of adagrad, rmsprop and adam. (default: PyTorch's, 1e-10 for adagrad, 1e-8 otherwise)")
    var epsilon: Double?

    @Option(help: "Gradient clipping threshold; 0 turns clipping off. (default: 5)")
    var gradClip: Double?

    @Option(help: "Clipping: norm (scale all gradients to a global 2-norm of at most --grad-clip) or value (clamp each element). (default: norm)")
    var clipMode: ClipMode?

    @Option(help: "Train until this many epochs (passes over the training text) are complete. (default: 50)")
    var epochs: Int?

    @Option(help: "Stop after this many iterations in all, counting those of a resumed run; 0 means no limit. (default: 0)")
    var maxIterations: Int?

    @Option(help: "Compute the validation loss every this many iterations (and at the end); 0 means only at the end. (default: 1000)")
    var evalEvery: Int?

    @Option(help: "Random seed for initialisation and dropout. (default: 0)")
    var seed: UInt64?

    @Option(help: "Folder for checkpoints. (default: ./checkpoints, or the resumed checkpoint's folder)")
    var checkpointDir: String?

    @Option(help: "Save a checkpoint every this many iterations, besides at every new best validation loss and at the end. (default: --eval-every, or 1000)")
    var checkpointEvery: Int?

    @Option(help: "Keep only the newest this many numbered checkpoints; 0 keeps them all.")
    var keep = 0

    @Flag(help: "Start this run in a --checkpoint-dir (or --logdir) that holds another run's checkpoints (or TensorBoard log), deleting them first (without it such a folder is refused).")
    var overwrite = false

    @Option(help: "Continue the training recorded in this checkpoint exactly (same weights, optimizer, hidden state, data position, schedule and random stream).")
    var resume: String?

    @Option(help: "Start a new training run from this checkpoint's weights (fine-tuning); the new text may only use the checkpoint's characters.")
    var initFrom: String?

    @Option(help: "Write TensorBoard event files to this folder (training and validation loss, learning rate, gradient norm, speed, samples); view with `tensorboard --logdir DIR`. Give the same folder again with --resume to continue its log.")
    var logdir: String?

    @Option(help: "Stop after this many minutes of training, save a checkpoint and exit normally (continue later with --resume); 0 means no limit. The progress ETA counts to it when it comes before the end of the plan.")
    var timeLimit = 0.0

    @Option(help: "When the output is not a terminal, print a progress line every this many iterations (on a terminal one live line, fitted to its width, is redrawn instead).")
    var printEvery = 10

    @Flag(help: "Print nothing but warnings and errors.")
    var quiet = false

    @Option(help: "Print a generated sample every this many iterations; 0 means never.")
    var sampleEvery = 1000

    @Option(help: "Length of the samples printed during training.")
    var sampleLength = 200

    @Option(help: "Temperature of the samples printed during training.")
    var sampleTemperature = 0.8

    @Option(help: "Threads for the matrix products (results are reproducible for a given thread count). (default: the number of cores)")
    var threads: Int?

    func validate() throws {
        if resume != nil && initFrom != nil { throw ValidationError("--resume and --init-from exclude each other") }
        if !data.valData.isEmpty && data.valFraction != nil { throw ValidationError("--val-fraction and --val-data exclude each other") }
        if data.data.isEmpty && resume == nil { throw ValidationError("give the training text with --data PATH...") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if printEvery < 1 { throw ValidationError("--print-every must be at least 1") }
        if keep < 0 { throw ValidationError("--keep must not be negative") }
        if let every = checkpointEvery, every < 1 { throw ValidationError("--checkpoint-every must be at least 1") }
        if sampleEvery < 0 || sampleLength < 0 { throw ValidationError("--sample-every and --sample-length must not be negative") }
        if sampleTemperature < 0 { throw ValidationError("--sample-temperature must not be negative") }
        if timeLimit < 0 { throw ValidationError("--time-limit must not be negative") }
        if let seed, seed > UInt64(Int64.max) { throw ValidationError("--seed must be at most \(Int64.max)") }
    }

    func run() throws {
        try Console.failingCleanly("rnn-train") { try train() }
    }

    // MARK: Setting up the three kinds of run

    /// Training options from the command line over `base`.
    func trainingOptions(over base: TrainingOptions) -> TrainingOptions {
        var o = base
        if let seqLength { o.seqLength = seqLength }
        if let batchSize { o.batchSize = batchSize }
        if let optimizer {
            o.optimizer.kind = optimizer
            o.optimizer.epsilon = optimizer.defaultEpsilon
        }
        if let learningRate { o.optimizer.learningRate = learningRate }
        if let momentum { o.optimizer.momentum = momentum }
        if let alpha { o.optimizer.alpha = alpha }
        if let beta1 { o.optimizer.beta1 = beta1 }
        if let beta2 { o.optimizer.beta2 = beta2 }
        if let epsilon { o.optimizer.epsilon = epsilon }
        if let lrDecay { o.learningRateDecay = lrDecay }
        if let lrDecayAfter { o.learningRateDecayAfter = lrDecayAfter }
        if let gradClip { o.gradientClip = gradClip }
        if let clipMode { o.clipMode = clipMode }
        if let epochs { o.epochs = epochs }
        if let maxIterations { o.maxIterations = maxIterations }
        if let evalEvery { o.evalEvery = evalEvery }
        if let seed { o.seed = seed }
        return o
    }

    /// Paths as given on the command line are made absolute, so that the checkpoint's record of
    /// them works from any directory.
    func corpusOptions(validationPaths: [String]? = nil, fraction: Double? = nil, trainingPaths: [String]? = nil) -> CorpusOptions {
        func absolute(_ paths: [String]) -> [String] { paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path } }
        let validation = data.valData.isEmpty ? (validationPaths ?? []) : absolute(data.valData)
        return CorpusOptions(
            trainingPaths: data.data.isEmpty ? (trainingPaths ?? []) : absolute(data.data), validationPaths: validation,
            validationFraction: validation.isEmpty ? (data.valFraction ?? fraction ?? 0.05) : 0,
            unit: data.bytes ? .byte : .unicodeScalar)
    }

    /// An optimizer setting given for another optimizer would be silently ignored.
    func checkOptimizerSettings(_ kind: OptimizerKind) throws {
        let misplaced: [(given: Bool, option: String, applies: [OptimizerKind])] = [
            (momentum != nil, "--momentum", [.sgd]),
            (alpha != nil, "--alpha", [.rmsprop]),
            (beta1 != nil, "--beta1", [.adam]),
            (beta2 != nil, "--beta2", [.adam]),
            (epsilon != nil, "--epsilon", [.adagrad, .rmsprop, .adam]),
        ]
        for m in misplaced where m.given && !m.applies.contains(kind) {
            let names = m.applies.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError("\(m.option) applies only to --optimizer \(names), and this run uses \(kind.rawValue)")
        }
    }

    func freshRun() throws -> Trainer {
        let options = trainingOptions(over: TrainingOptions())
        try checkOptimizerSettings(options.optimizer.kind)
        try options.validate()
        let source = corpusOptions()
        let corpus = try Corpus.load(source)
        let config = ModelConfig(
            cell: model.cell ?? .lstm, layers: model.layers ?? 2, hiddenSize: model.hiddenSize ?? 128,
            embeddingSize: model.embeddingSize ?? 0, vocabSize: corpus.vocabulary.count, dropout: model.dropout ?? 0)
        let trainer = try Trainer(config: config, corpus: corpus, options: options)
        trainer.corpusOptions = source
        return trainer
    }

    /// An option given on the command line that differs from what the checkpoint holds.
    func contradiction<T: Equatable>(_ name: String, _ given: T?, _ stored: T, _ path: String, hint: String) -> ConfigurationError? {
        guard let given, given != stored else { return nil }
        return ConfigurationError("\(path): \(name) \(given) contradicts the checkpoint's \(stored); \(hint)")
    }

    func resumedRun(_ path: String) throws -> Trainer {
        let checkpoint = try Checkpoint.read(from: path)
        guard let saved = checkpoint.training else { throw CheckpointError.notResumable(path: path) }
        let c = checkpoint.config, o = saved.options
        let hint = "a resumed run keeps its settings (drop the option, or start a new run with --init-from)"
        let checks: [ConfigurationError?] = [
            contradiction("--cell", model.cell, c.cell, path, hint: hint),
            contradiction("--layers", model.layers, c.layers, path, hint: hint),
            contradiction("--hidden-size", model.hiddenSize, c.hiddenSize, path, hint: hint),
            contradiction("--embedding-size", model.embeddingSize, c.embeddingSize, path, hint: hint),
            contradiction("--dropout", model.dropout, c.dropout, path, hint: hint),
            contradiction("--seq-length", seqLength, o.seqLength, path, hint: hint),
            contradiction("--batch-size", batchSize, o.batchSize, path, hint: hint),
            contradiction("--optimizer", optimizer, o.optimizer.kind, path, hint: hint),
            contradiction("--learning-rate", learningRate, o.optimizer.learningRate, path, hint: hint),
            contradiction("--lr-decay", lrDecay, o.learningRateDecay, path, hint: hint),
            contradiction("--lr-decay-after", lrDecayAfter, o.learningRateDecayAfter, path, hint: hint),
            contradiction("--momentum", momentum, o.optimizer.momentum, path, hint: hint),
            contradiction("--alpha", alpha, o.optimizer.alpha, path, hint: hint),
            contradiction("--beta1", beta1, o.optimizer.beta1, path, hint: hint),
            contradiction("--beta2", beta2, o.optimizer.beta2, path, hint: hint),
            contradiction("--epsilon", epsilon, o.optimizer.epsilon, path, hint: hint),
            contradiction("--grad-clip", gradClip, o.gradientClip, path, hint: hint),
            contradiction("--clip-mode", clipMode, o.clipMode, path, hint: hint),
            contradiction("--seed", seed, o.seed, path, hint: hint),
            contradiction("--val-fraction", data.valFraction, saved.data.validationFraction, path, hint: hint),
        ]
        if let problem = checks.compactMap({ $0 }).first { throw problem }
        if data.bytes && checkpoint.vocabulary.unit != .byte {
            throw ConfigurationError("\(path): --bytes contradicts the checkpoint: the model reads Unicode characters; drop --bytes")
        }
        if !data.bytes && checkpoint.vocabulary.unit == .byte {
            throw ConfigurationError("\(path): the model reads bytes; add --bytes")
        }
        var options = o
        if let epochs { options.epochs = epochs }
        if let maxIterations { options.maxIterations = maxIterations }
        if let evalEvery { options.evalEvery = evalEvery }
        try options.validate()
        let source = corpusOptions(
            validationPaths: saved.data.validationPaths, fraction: saved.data.validationFraction,
            trainingPaths: saved.data.trainingPaths)
        let corpus = try Corpus.load(source, vocabulary: checkpoint.vocabulary)
        let trainer = try Trainer(resuming: checkpoint, path: path, corpus: corpus, options: options)
        trainer.corpusOptions = source
        return trainer
    }

    func fineTuningRun(_ path: String) throws -> Trainer {
        let checkpoint = try Checkpoint.read(from: path)
        let c = checkpoint.config
        let hint = "--init-from keeps the checkpoint's architecture"
        let checks: [ConfigurationError?] = [
            contradiction("--cell", model.cell, c.cell, path, hint: hint),
            contradiction("--layers", model.layers, c.layers, path, hint: hint),
            contradiction("--hidden-size", model.hiddenSize, c.hiddenSize, path, hint: hint),
            contradiction("--embedding-size", model.embeddingSize, c.embeddingSize, path, hint: hint),
        ]
        if let problem = checks.compactMap({ $0 }).first { throw problem }
        let options = trainingOptions(over: TrainingOptions())
        try checkOptimizerSettings(options.optimizer.kind)
        try options.validate()
        let source = corpusOptions()
        let corpus = try Corpus.load(source, vocabulary: checkpoint.vocabulary)
        var config = c
        config.dropout = model.dropout ?? c.dropout
        let fineTuned = try Model(config: config, vocabulary: corpus.vocabulary)
        try fineTuned.copyWeights(from: try checkpoint.makeModel())
        let trainer = try Trainer(model: fineTuned, corpus: corpus, options: options, random: RandomGenerator(seed: options.seed))
        trainer.corpusOptions = source
        return trainer
    }

    // MARK: Training

    func train() throws {
        BLASThreads.set(threads ?? ProcessInfo.processInfo.activeProcessorCount)
        Interrupts.install()
        let display = ProgressDisplay(quiet: quiet)
        let folderPath = checkpointDir ?? resume.map(Self.folder(of:)) ?? "checkpoints"
        try checkFolderIsFree(folderPath)
        try checkLogIsFree()
        let trainer: Trainer
        if let resume {
            trainer = try resumedRun(resume)
        } else if let initFrom {
            trainer = try fineTuningRun(initFrom)
        } else {
            trainer = try freshRun()
        }
        let folder = try CheckpointFolder(path: folderPath, keep: keep)
        try folder.lock()
        folder.removeUnfinishedSaves()
        if overwrite && !continuesInPlace(folderPath) { try folder.removeCheckpoints() }
        try removeOldLog()

        printSummary(trainer, display)
        if let resume {
            let p = trainer.progress
            display.message("resuming \(resume) at iteration \(p.iteration) (epoch \(p.epoch), batch \(p.batchIndex))")
        } else if let initFrom {
            display.message("fine-tuning the weights of \(initFrom)")
        }
        // A validation that was due at the resumed iteration but cut short by Ctrl-C is made up
        // first, so that the history (and best.h5) are those of a run that never stopped.
        let p = trainer.progress
        let validationOwed = resume != nil && trainer.hasValidation && p.iteration > 0
            && ((trainer.options.evalEvery > 0 && p.iteration % trainer.options.evalEvery == 0) || p.iteration == trainer.totalIterations)
            && p.history.validationSteps.last != Int64(p.iteration)
        if trainer.progress.iteration >= trainer.totalIterations && !validationOwed {
            display.message("nothing to train: the run is at iteration \(trainer.progress.iteration) and its plan ends at \(trainer.totalIterations); raise --epochs or --max-iterations")
            return
        }
        if Interrupts.requested {
            display.message("interrupted before the first iteration; nothing was saved")
            throw ExitCode(Interrupts.exitStatus)
        }
        trainer.isInterrupted = { Interrupts.requested }

        let saveEvery = checkpointEvery ?? (trainer.options.evalEvery > 0 ? trainer.options.evalEvery : 1000)
        // A file name carries the validation loss only when it was measured at the file's iteration.
        var lastValidation: Double? = nil
        if let step = trainer.progress.history.validationSteps.last, step == Int64(trainer.progress.iteration) {
            lastValidation = trainer.progress.history.validationLoss.last.map(Double.init)
        }
        var lastValidationIteration = lastValidation == nil ? -1 : trainer.progress.iteration
        var lastSaved = trainer.progress.iteration
        var newBest = false
        let createdBy = "rnn-train \(ToolkitVersion.string)"

        func save(isBest: Bool, mustSucceed: Bool) throws {
            do {
                let measuredHere = lastValidationIteration == trainer.progress.iteration
                let file = try folder.save(
                    trainer.checkpoint(createdBy: createdBy), validationLoss: measuredHere ? lastValidation : nil, isBest: isBest)
                lastSaved = trainer.progress.iteration
                display.message("saved \(file)\(isBest ? " (best so far)" : "")")
            } catch {
                if mustSucceed { throw error }
                Console.warning("rnn-train", "\(error); training goes on and saving is tried again at the next checkpoint")
            }
        }

        let events = try logdir.map { try TensorBoardWriter(logdir: $0, resumingAt: resume != nil ? trainer.progress.iteration : nil) }
        var loggingFailed = false
        /// A full disk or a removed folder must not stop training: warn once, keep trying.
        func log(_ body: (TensorBoardWriter) throws(TensorBoardError) -> Void) {
            guard let events else { return }
            do throws(TensorBoardError) {
                try body(events)
                loggingFailed = false
            } catch {
                if !loggingFailed { Console.warning("rnn-train", "\(error); training goes on") }
                loggingFailed = true
            }
        }
        defer { log { (w) throws(TensorBoardError) in try w.close() } }

        let started = Date()
        let progress = ProgressPrinter(
            trainer: trainer, printEvery: printEvery, display: display,
            deadline: timeLimit > 0 ? started.addingTimeInterval(timeLimit * 60) : nil)
        var saveError: Error?
        if validationOwed, let validation = trainer.recordValidation() {
            progress.handle(.validation(validation))
            log { (w) throws(TensorBoardError) in try w.log(validation) }
            lastValidation = validation.loss
            lastValidationIteration = validation.iteration
            newBest = validation.isBest
            lastSaved = -1  // the history changed: save even if nothing else does
        }
        var timeUp = false
        let outcome = try trainer.run { event in
            progress.handle(event)
            switch event {
            case .iteration(let report):
                log { (w) throws(TensorBoardError) in try w.log(report) }
                if sampleEvery > 0 && report.iteration % sampleEvery == 0, let sample = printSample(trainer, display) {
                    log { (w) throws(TensorBoardError) in try w.logSample(sample, step: report.iteration) }
                }
            case .validation(let v):
                log { (w) throws(TensorBoardError) in try w.log(v) }
                lastValidation = v.loss
                lastValidationIteration = v.iteration
                if v.isBest { newBest = true }
            case .epochCompleted:
                break
            case .stepCompleted(let iteration):
                if Interrupts.requested { return .stop }
                if timeLimit > 0 && Date().timeIntervalSince(started) >= timeLimit * 60 { timeUp = true }
                // The last step is saved once, by the final save below (which must succeed).
                let last = iteration >= trainer.totalIterations || timeUp
                if !last && (newBest || iteration % saveEvery == 0) {
                    do { try save(isBest: newBest, mustSucceed: false) } catch { saveError = error }
                    newBest = false
                }
            }
            return saveError == nil && !timeUp ? .proceed : .stop
        }
        if let saveError { throw saveError }
        // A time limit is a planned end: evaluate as at the end of the plan (Ctrl-C skips this).
        if outcome == .stopped && timeUp, let validation = trainer.recordValidation() {
            progress.handle(.validation(validation))
            log { (w) throws(TensorBoardError) in try w.log(validation) }
            lastValidation = validation.loss
            lastValidationIteration = validation.iteration
            if validation.isBest { newBest = true }
        }
        if lastSaved != trainer.progress.iteration || newBest {
            try save(isBest: newBest, mustSucceed: true)
        }
        progress.finish(outcome: outcome)
        // Also when the plan completed but Ctrl-C cut its final evaluation short.
        if Interrupts.requested {
            display.message("interrupted; continue with: rnn-train --resume \(folder.latestPath)")
            throw ExitCode(Interrupts.exitStatus)
        }
        if outcome == .stopped && timeUp {
            display.message("time limit of \(Console.duration(timeLimit * 60)) reached; continue with: rnn-train --resume \(folder.latestPath)")
        }
    }

    /// The folder a checkpoint really lives in (through a symbolic link to it, too).
    static func folder(of checkpoint: String) -> String {
        URL(fileURLWithPath: checkpoint).resolvingSymlinksInPath().deletingLastPathComponent().resolvingSymlinksInPath().path
    }

    /// A resumed run that saves into its checkpoint's own folder.
    func continuesInPlace(_ folderPath: String) -> Bool {
        guard let resume else { return false }
        return Self.folder(of: resume) == URL(fileURLWithPath: folderPath).resolvingSymlinksInPath().path
    }

    /// One folder, one run: a new run must not prune another's numbered checkpoints or replace
    /// its latest.h5 and best.h5 (a worse model would silently become "best").
    func checkFolderIsFree(_ folderPath: String) throws {
        let existing = CheckpointFolder.existingCheckpoints(in: folderPath)
        guard !existing.isEmpty, !continuesInPlace(folderPath), !overwrite else { return }
        try CheckpointFolder.checkNotHeld(folderPath)
        let latest = (folderPath as NSString).appendingPathComponent("latest.h5")
        let numbered = existing.filter { ($0 as NSString).lastPathComponent.contains("-iter") }.count
        let files = numbered == 1 ? "1 numbered checkpoint" : "\(numbered) numbered checkpoints"
        let continuation = FileManager.default.fileExists(atPath: latest) ? "continue it with --resume \(latest), " : ""
        throw ConfigurationError(
            "\(folderPath): the folder holds another run's checkpoints (\(files)); \(continuation)choose another --checkpoint-dir, or add --overwrite to delete them and start over")
    }

    /// A new run's log in a folder that holds another run's would make TensorBoard drop that
    /// run's curves: refused like a checkpoint folder, and --overwrite deletes the old files.
    func checkLogIsFree() throws {
        guard let logdir, resume == nil else { return }
        let existing = TensorBoardWriter.eventFiles(in: logdir)
        guard !existing.isEmpty, !overwrite else { return }
        throw ConfigurationError(
            "\(logdir): the folder holds another run's TensorBoard log (\(existing.count) event file\(existing.count == 1 ? "" : "s")); choose another --logdir, or add --overwrite to delete it")
    }

    /// --overwrite, once the checkpoint folder is ours: the old log goes too.
    func removeOldLog() throws {
        guard overwrite, let logdir, resume == nil else { return }
        for file in TensorBoardWriter.eventFiles(in: logdir) where unlink(file) != 0 && errno != ENOENT {
            throw ConfigurationError("\(file): cannot delete it: \(String(cString: strerror(errno)))")
        }
    }

    func printSummary(_ trainer: Trainer, _ display: ProgressDisplay) {
        let corpus = trainer.corpus, config = trainer.model.config
        let files = corpus.trainingFiles.count
        var line = "corpus: \(files) file\(files == 1 ? "" : "s"), vocabulary \(corpus.vocabulary.count)"
        line += corpus.vocabulary.unit == .byte ? " bytes" : " characters"
        line += "; training \(Console.grouped(corpus.training.count)) tokens"
        if let validation = corpus.validation {
            line += ", validation \(Console.grouped(validation.count))"
        } else {
            line += ", no validation text"
        }
        display.message(line)
        let input = config.usesEmbedding ? "embedding \(config.embeddingSize)" : "one-hot input"
        display.message(
            "model: \(config.cell.rawValue), \(config.layers) layer\(config.layers == 1 ? "" : "s") of \(config.hiddenSize), \(input), dropout \(config.dropout), \(Console.grouped(trainer.model.parameterCount)) parameters"
        )
        let o = trainer.options
        display.message(
            "training: \(trainer.batchesPerEpoch) batches of \(o.batchSize) x \(o.seqLength) per epoch, \(Console.grouped(trainer.totalIterations)) iteration\(trainer.totalIterations == 1 ? "" : "s"), \(o.optimizer.kind.rawValue) lr \(o.optimizer.learningRate), \(BLASThreads.current) thread\(BLASThreads.current == 1 ? "" : "s")"
        )
    }

    @discardableResult
    func printSample(_ trainer: Trainer, _ display: ProgressDisplay) -> String? {
        guard sampleLength > 0 else { return nil }
        let model = trainer.model
        let generator = Generator(model: model)
        let sampler = TokenSampler(
            vocabularySize: model.config.vocabSize, options: SamplingOptions(temperature: sampleTemperature))
        var random = RandomGenerator.derived(seed: trainer.options.seed, stream: UInt64(trainer.progress.iteration))
        var token = model.vocabulary.id(of: 0x0A) ?? 0
        var ids: [Int32] = []
        for _ in 0..<sampleLength where !Interrupts.requested {
            token = sampler.draw(generator.step(token), random: &random)
            ids.append(token)
        }
        let text = model.vocabulary.decode(ids)
        display.message("---- sample at iteration \(trainer.progress.iteration) ----\n\(text)\n----")
        return text
    }
}
