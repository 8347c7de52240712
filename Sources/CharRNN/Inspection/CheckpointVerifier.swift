import Foundation

/// One thing wrong with a checkpoint file: the object (a path in the file, `@` for an attribute,
/// or `file`) and the problem.
public struct VerificationProblem: Equatable, Sendable, CustomStringConvertible {
    public let object: String
    public let problem: String

    public var description: String { "\(object): \(problem)" }
}

/// The outcome of `CheckpointVerifier.verify`: every problem found and the checks made.
public struct VerificationReport: Sendable {
    public let path: String
    public let problems: [VerificationProblem]
    /// What was checked, in words (for the report of a sound file).
    public let checks: [String]
    /// The checkpoint, when the reader could read it (possibly with non-finite values).
    public let checkpoint: Checkpoint?

    public var isSound: Bool { problems.isEmpty }

    public var lines: [String] {
        if isSound {
            var head = "\(path): sound"
            if let c = checkpoint {
                head += " (\(Checkpoint.formatName) version \(Checkpoint.formatVersion), \(c.config.cell.rawValue) \(c.config.layers)x\(c.config.hiddenSize)"
                head += c.training.map { ", \(Format.grouped($0.progress.iteration)) iterations)" } ?? ", model only)"
            }
            return [head] + checks.map { "  ok  " + $0 }
        }
        return ["\(path): \(problems.count) problem\(problems.count == 1 ? "" : "s")"] + problems.map { "  " + $0.description }
    }

    public var json: JSONValue {
        .object([
            ("file", .string(path)),
            ("sound", .bool(isSound)),
            ("problems", .array(problems.map { .object([("object", .string($0.object)), ("problem", .string($0.problem))]) })),
            ("checks", .array(checks.map { .string($0) })),
        ])
    }
}

/// Full structural and numeric validation of a checkpoint file, reporting every problem it can
/// find rather than stopping at the first:
///
/// 1. the reader's validation (`Checkpoint.read`): structure, types, shapes, ranges, finite
///    weights; it stops at its first problem, which is reported as it words it;
/// 2. every float32 dataset in the file scanned for NaN and infinities, and objects in `/model`
///    and `/optimizer` that the configuration does not have (PyTorch's strict loading refuses
///    them);
/// 3. consistency of the training record: optimizer step and characters seen against the
///    iteration, the sequencer position, the learning-rate schedule, the loss history, the best
///    validation loss, the vocabulary counts against the corpus length, the range of the hidden
///    state and of the optimizer's sums of squares.
public enum CheckpointVerifier {
    ///
    /// Everything is rehearsed in a child process first (see `HDF5Rehearsal`): a file that makes
    /// libhdf5 crash or hang is reported as one problem.
    public static func verify(path: String) -> VerificationReport {
        let size = (try? CheckpointReader(path: path, allowNonFinite: true).checkFileBeforeOpening()) ?? 0
        let outcome = HDF5Rehearsal.run(
            deadline: HDF5Rehearsal.deadline(forFileOfSize: size), memory: HDF5Rehearsal.memoryAllowance(forFileOfSize: size)
        ) {
            let report = examine(path: path)
            // A sound file is examined again by the parent (for the checkpoint it reports); the
            // problems of an unsound one are passed back, so the parent does not repeat what
            // only succeeded within the child's limits.
            if report.isSound { return (0, "") }
            let separator = "\u{1F}", record = "\u{1E}"
            return (1, (report.problems.map { $0.object + separator + $0.problem } + ["\u{1D}"] + report.checks).joined(separator: record))
        }
        let problem: String
        switch outcome {
        case .crashed(let signal): problem = "not a checkpoint: " + CheckpointReader.crashReason(signal)
        case .timedOut(let seconds): problem = "not a checkpoint: " + CheckpointReader.timeoutReason(seconds)
        case .finished(status: 1, let message):
            let records = message.split(separator: "\u{1E}", omittingEmptySubsequences: false).map(String.init)
            let cut = records.firstIndex(of: "\u{1D}") ?? records.count
            let problems = records[..<cut].compactMap { line -> VerificationProblem? in
                let parts = line.split(separator: "\u{1F}", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                return parts.count == 2 ? VerificationProblem(object: parts[0], problem: parts[1]) : nil
            }
            if !problems.isEmpty {
                return VerificationReport(path: path, problems: problems, checks: Array(records[min(cut + 1, records.count)...]), checkpoint: nil)
            }
            return examine(path: path)
        default: return examine(path: path)
        }
        return VerificationReport(path: path, problems: [VerificationProblem(object: "file", problem: problem)], checks: [], checkpoint: nil)
    }

    static func examine(path: String) -> VerificationReport {
        var problems: [VerificationProblem] = []
        var checks: [String] = []
        func add(_ object: String, _ problem: String) { problems.append(VerificationProblem(object: object, problem: problem)) }

        var checkpoint: Checkpoint?
        var readerObject: String?
        do {
            checkpoint = try CheckpointReader(path: path, allowNonFinite: false).read()
            checks.append("structure, types, shapes and ranges (the reader's validation)")
        } catch {
            let problem = Self.problem(from: error, path: path)
            readerObject = problem.object
            problems.append(problem)
            // Non-finite values stop the strict reader; the lenient one gets past them so the
            // other checks can run.
            checkpoint = try? CheckpointReader(path: path, allowNonFinite: true).read()
        }

        let scanned = scan(path: path, checkpoint: checkpoint)
        problems += scanned.problems.filter { $0.object != readerObject }
        if scanned.datasets > 0 {
            checks.append("\(scanned.datasets) float32 datasets scanned (\(Format.grouped(scanned.values)) values): no NaN or infinity")
        }
        if let checkpoint {
            checks += Self.consistency(checkpoint, add)
        }
        return VerificationReport(path: path, problems: problems, checks: checks, checkpoint: checkpoint)
    }

    /// A reader error as a problem: its object when it names one, without the file's path.
    static func problem(from error: CheckpointError, path: String) -> VerificationProblem {
        switch error {
        case .invalid(_, let object, let problem):
            return VerificationProblem(object: object, problem: problem)
        default:
            var text = error.description
            if text.hasPrefix(path + ": ") { text.removeFirst(path.count + 2) }
            return VerificationProblem(object: "file", problem: text)
        }
    }

    // MARK: Scanning the file

    struct Scan {
        var problems: [VerificationProblem] = []
        var datasets = 0
        var values = 0
    }

    /// Walks every group over hard links, lists every object's attributes (which decodes them),
    /// reads each plainly stored float32 dataset and counts its non-finite values; reports
    /// objects the format does not have (tensors the configuration does not have, where PyTorch
    /// loads state dicts strictly) and `/optimizer` hyper-parameters that disagree with `/config`.
    static func scan(path: String, checkpoint: Checkpoint?) -> Scan {
        var scan = Scan()
        do throws(CheckpointError) {
            try CheckpointReader(path: path, allowNonFinite: true).checkFileBeforeOpening()
        } catch {
            return scan
        }
        guard let file = try? HDF5File.open(path) else { return scan }
        defer { try? file.close() }
        var visited = 0
        var attributeLists: [String: [String]] = [:]
        func attributes(_ group: HDF5Group, _ name: String) {
            do throws(HDF5Error) {
                let names = try group.attributeNames(on: name)
                let count = try group.objectHeaderAttributeCount(name)
                if count != names.count {
                    throw HDF5Error(call: "H5Oget_info_by_name2", object: name, file: path, message: "\(count) attributes counted, \(names.count) listed")
                }
                attributeLists[name == "." ? group.path : group.child(name)] = names
            } catch {
                scan.problems.append(VerificationProblem(
                    object: name == "." ? group.path : group.child(name),
                    problem: "its object header or attributes are damaged (\(error.message.isEmpty ? "damaged" : error.message))"))
            }
        }
        func walk(_ group: HDF5Group, depth: Int) {
            guard depth < 8, let links = try? group.links() else { return }
            for (name, kind) in links {
                visited += 1
                guard visited < 100_000, kind == .hard, (try? group.linkCount(name)) == 1,
                    let kind = try? group.objectKind(name)
                else { continue }
                attributes(group, name)
                if kind == .group {
                    if let child = try? group.openGroup(name) { walk(child, depth: depth + 1) }
                } else if kind == .dataset {
                    check(group, name)
                }
            }
        }
        func check(_ group: HDF5Group, _ name: String) {
            guard let info = try? group.datasetInfo(name), info.standardType == .float32LE, info.fixedSimpleSpace,
                info.plainLayout, info.filterCount == 0, info.externalFileCount == 0
            else { return }
            let count = info.shape.reduce(1, *)
            guard count <= Checkpoint.maximumParameterCount, info.storageSize == count * 4,
                let values = try? group.readFloats(name, count: count)
            else { return }
            scan.datasets += 1
            scan.values += count
            var nan = 0, inf = 0, first: Int? = nil
            for (i, v) in values.enumerated() where !v.isFinite {
                if v.isNaN { nan += 1 } else { inf += 1 }
                if first == nil { first = i }
            }
            if let first {
                scan.problems.append(VerificationProblem(
                    object: group.child(name),
                    problem: "holds \(Format.grouped(nan)) NaN and \(Format.grouped(inf)) infinite value\(nan + inf == 1 ? "" : "s") of \(Format.grouped(count)) (first at element \(first))"))
            }
        }
        let root = file.root
        attributes(root, ".")
        walk(root, depth: 0)
        if let checkpoint {
            scan.problems += unknownObjects(root, checkpoint)
            scan.problems += unknownAttributes(attributeLists, checkpoint)
            scan.problems += optimizerAttributes(root, checkpoint)
            if checkpoint.training == nil, let config = try? root.openGroup("config"),
                attributeLists["/config"]?.contains("optimizer") == true
            {
                // A model-only checkpoint made by removing the training state keeps /config's
                // training settings: they must still be what the format says.
                do throws(CheckpointError) {
                    _ = try CheckpointReader(path: path, allowNonFinite: true).trainingOptions(config)
                } catch {
                    scan.problems.append(problem(from: error, path: path))
                }
            }
        }
        return scan
    }

    /// Objects in the groups of the layout that the format (for this configuration) does not have.
    static func unknownObjects(_ root: HDF5Group, _ checkpoint: Checkpoint) -> [VerificationProblem] {
        var problems: [VerificationProblem] = []
        let tensors = Set(checkpoint.parameterTable.entries.map(\.name))
        func tensorProblem(_ object: String) -> VerificationProblem {
            VerificationProblem(
                object: object,
                problem: "is not a tensor of this \(checkpoint.config.cell.rawValue) configuration (PyTorch's strict load_state_dict would refuse it)")
        }
        func check(_ group: HDF5Group, expected: Set<String>, _ problem: (String) -> VerificationProblem) {
            for name in (try? group.linkNames()) ?? [] where !expected.contains(name) {
                problems.append(problem(group.child(name)))
            }
        }
        func other(_ object: String) -> VerificationProblem {
            VerificationProblem(object: object, problem: "is not part of the checkpoint format")
        }
        var top: Set<String> = ["config", "vocab", "model"]
        if checkpoint.training != nil { top.formUnion(["optimizer", "train", "history"]) }
        check(root, expected: top, other)
        if let config = try? root.openGroup("config") { check(config, expected: [], other) }
        if let vocab = try? root.openGroup("vocab") { check(vocab, expected: ["codepoints", "counts"], other) }
        if let model = try? root.openGroup("model") { check(model, expected: tensors, tensorProblem) }
        guard let training = checkpoint.training else { return problems }
        if let optimizer = try? root.openGroup("optimizer") {
            let slots = Set(training.options.optimizer.slotNames)
            check(optimizer, expected: slots) { object in
                VerificationProblem(
                    object: object,
                    problem: "is not a slot of \(training.options.optimizer.kind.rawValue) (its slots: \(slots.isEmpty ? "none" : slots.sorted().joined(separator: ", ")))")
            }
            for slot in slots.sorted() {
                if let group = try? optimizer.openGroup(slot) { check(group, expected: tensors, tensorProblem) }
            }
        }
        if let train = try? root.openGroup("train") {
            check(train, expected: ["hidden", "rng"], other)
            if let hidden = try? train.openGroup("hidden") {
                check(hidden, expected: checkpoint.config.cell.hasCellState ? ["h", "c"] : ["h"], other)
            }
        }
        if let history = try? root.openGroup("history") {
            check(history, expected: ["step", "train_loss", "elapsed", "val_step", "val_loss"], other)
        }
        return problems
    }

    /// Attributes the format does not give an object (a missing `crc32c` is allowed: files written
    /// by other tools may lack it; missing required attributes are the reader's to report).
    static func unknownAttributes(_ lists: [String: [String]], _ checkpoint: Checkpoint) -> [VerificationProblem] {
        let model = ["cell", "num_layers", "hidden_size", "embedding_size", "vocab_size", "dropout"]
        let training = [
            "seq_length", "batch_size", "optimizer", "learning_rate", "lr_decay", "lr_decay_after", "momentum", "alpha",
            "beta1", "beta2", "epsilon", "grad_clip", "clip_mode", "epochs", "max_iterations", "eval_every", "seed",
            "val_fraction", "data_paths", "val_data_paths",
        ]
        var expected: [String: Set<String>] = [
            "/": ["format", "format_version", "created_by", "created_utc"],
            "/config": Set(model + training),  // a model-only file may keep the training settings
            "/vocab": [], "/vocab/codepoints": ["unit", "crc32c"], "/vocab/counts": ["crc32c"], "/model": [],
        ]
        let tensors = checkpoint.parameterTable.entries.map(\.name)
        for name in tensors { expected["/model/" + name] = ["crc32c"] }
        if let t = checkpoint.training {
            expected["/optimizer"] = ["name", "step", "learning_rate", "lr", "momentum", "alpha", "betas_0", "betas_1", "eps"]
            for slot in t.options.optimizer.slotNames {
                expected["/optimizer/" + slot] = []
                for name in tensors { expected["/optimizer/\(slot)/\(name)"] = ["crc32c"] }
            }
            expected["/train"] = [
                "epoch", "iteration", "batch_index", "characters_seen", "best_val_loss", "reference_loss", "elapsed_seconds",
                "corpus_length", "corpus_fingerprint", "val_length", "val_fingerprint",
            ]
            expected["/train/hidden"] = []
            expected["/train/hidden/h"] = ["crc32c"]
            expected["/train/hidden/c"] = ["crc32c"]
            expected["/train/rng"] = ["algorithm", "crc32c"]
            expected["/history"] = []
            for name in ["step", "train_loss", "elapsed", "val_step", "val_loss"] { expected["/history/" + name] = ["crc32c"] }
        }
        var problems: [VerificationProblem] = []
        for (object, names) in lists.sorted(by: { $0.key < $1.key }) {
            guard let allowed = expected[object] else { continue }  // objects the format lacks are reported as such
            for name in names where !allowed.contains(name) {
                problems.append(VerificationProblem(object: "\(object)@\(name)", problem: "is not part of the checkpoint format"))
            }
        }
        return problems
    }

    /// `/optimizer`'s copies of the hyper-parameters (PyTorch's names) against `/config`.
    static func optimizerAttributes(_ root: HDF5Group, _ checkpoint: Checkpoint) -> [VerificationProblem] {
        guard let training = checkpoint.training, let optimizer = try? root.openGroup("optimizer") else { return [] }
        let o = training.options.optimizer
        let copies: [(String, String, Double)] = [
            ("lr", "learning_rate", o.learningRate), ("momentum", "momentum", o.momentum), ("alpha", "alpha", o.alpha),
            ("betas_0", "beta1", o.beta1), ("betas_1", "beta2", o.beta2), ("eps", "epsilon", o.epsilon),
        ]
        var problems: [VerificationProblem] = []
        for (name, configName, expected) in copies {
            let object = "/optimizer@\(name)"
            guard optimizer.hasAttribute(name) else {
                problems.append(VerificationProblem(object: object, problem: "missing"))
                continue
            }
            guard let value = try? optimizer.doubleAttribute(name) else {
                problems.append(VerificationProblem(object: object, problem: "is not a float64 scalar"))
                continue
            }
            if value.bitPattern != expected.bitPattern {
                problems.append(VerificationProblem(object: object, problem: "is \(value) but /config@\(configName) is \(expected)"))
            }
        }
        return problems
    }
}
