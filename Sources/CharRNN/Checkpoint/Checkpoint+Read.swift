import Foundation

extension Checkpoint {
    /// Largest checkpoint file accepted.
    public static let maximumFileSize = 1 << 36
    /// Largest number of parameters accepted (4 GiB of float32).
    public static let maximumParameterCount = 1 << 30

    /// Reads and validates a checkpoint. Nothing is trusted before it is checked: the file's
    /// signature, the format name and version, that every object is a hard link of the expected
    /// kind, every dataset's type, byte order, layout, rank, shape and stored size against
    /// `/config`, sane sizes, and finite weights (unless `allowNonFinite`, for inspecting a broken
    /// file, which also lets data whose CRC-32C does not match pass). Variable-length data is
    /// never read.
    ///
    /// The whole reading is rehearsed in a child process first (see `HDF5Rehearsal`): a file that
    /// makes libhdf5 crash or hang is refused with one line, and the program survives it.
    public static func read(from path: String, allowNonFinite: Bool = false) throws(CheckpointError) -> Checkpoint {
        let reader = CheckpointReader(path: path, allowNonFinite: allowNonFinite)
        try reader.rehearse()
        return try reader.read()
    }
}

/// The validating reader behind `Checkpoint.read`.
struct CheckpointReader {
    let path: String
    let allowNonFinite: Bool

    enum Element {
        case float32, int64, uint32, uint64
        var typeClass: HDF5DatasetInfo.TypeClass { self == .float32 ? .float : .integer }
        var size: Int { self == .int64 || self == .uint64 ? 8 : 4 }
        var signed: Bool { self == .int64 || self == .float32 }
        var standard: HDF5DatasetInfo.StandardType {
            switch self {
            case .float32: .float32LE
            case .int64: .int64LE
            case .uint32: .uint32LE
            case .uint64: .uint64LE
            }
        }
        var name: String {
            switch self {
            case .float32: "float32"
            case .int64: "int64"
            case .uint32: "uint32"
            case .uint64: "uint64"
            }
        }
    }

    func invalid(_ object: String, _ problem: String) -> CheckpointError {
        .invalid(path: path, object: object, problem: problem)
    }

    /// Reads the file in a forked child first. Returns when the child read it (or refused it
    /// with an error, which is thrown here as the child worded it) without crashing.
    func rehearse() throws(CheckpointError) {
        let size = try checkFileBeforeOpening()
        let outcome = HDF5Rehearsal.run(
            deadline: HDF5Rehearsal.deadline(forFileOfSize: size), memory: HDF5Rehearsal.memoryAllowance(forFileOfSize: size)
        ) {
            do throws(CheckpointError) {
                _ = try read()
                return (0, "")
            } catch {
                return (1, error.encoded)
            }
        }
        switch outcome {
        case .skipped, .finished(status: 0, message: _):
            return
        case .finished(status: 1, let message):
            throw CheckpointError(encoded: message) ?? .notACheckpoint(path: path, reason: message)
        case .finished(let status, _):
            throw .notACheckpoint(path: path, reason: "the child process reading it ended with status \(status)")
        case .crashed(let signal):
            throw .notACheckpoint(path: path, reason: Self.crashReason(signal))
        case .timedOut(let seconds):
            throw .notACheckpoint(path: path, reason: Self.timeoutReason(seconds))
        }
    }

    static func crashReason(_ signal: Int32) -> String {
        "libhdf5 crashed (\(HDF5Rehearsal.name(of: signal))) reading it in a child process: the file is damaged or made to harm its reader"
    }

    static func timeoutReason(_ seconds: Double) -> String {
        "libhdf5 was still reading it after \(Int(seconds)) s in a child process: the file is damaged or made to harm its reader"
    }

    /// libhdf5's reason in the reader's words where it has a common one: a truncated file says
    /// "truncated file: eof = 60000, sblock->base_addr = 0, stored_eof = 128169".
    static func openFailure(_ message: String) -> String {
        let numbers = message.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        if message.hasPrefix("truncated file"), message.contains("stored_eof"), numbers.count >= 3 {
            return "the file is truncated: \(Format.grouped(numbers[0])) of its \(Format.grouped(numbers[numbers.count - 1])) bytes are there"
        }
        return "libhdf5 cannot open it (\(message.isEmpty ? "damaged" : message))"
    }

    func read() throws(CheckpointError) -> Checkpoint {
        try checkFileBeforeOpening()
        let file: HDF5File
        do {
            file = try HDF5File.open(path)
        } catch {
            throw .notACheckpoint(path: path, reason: Self.openFailure(error.message))
        }
        do throws(CheckpointError) {
            let checkpoint = try readContents(file.root)
            do { try file.close() } catch { throw CheckpointError.hdf5(error) }
            return checkpoint
        } catch {
            try? file.close()
            throw error
        }
    }

    /// A regular file, of a sane size, that starts with HDF5's signature: libhdf5 does not get
    /// to parse anything else. Returns the file's size.
    @discardableResult
    func checkFileBeforeOpening() throws(CheckpointError) -> Int {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw .fileSystem(path: path, operation: "open the checkpoint", reason: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw .notACheckpoint(path: path, reason: "not a regular file")
        }
        guard status.st_size <= Checkpoint.maximumFileSize else {
            throw .notACheckpoint(path: path, reason: "\(status.st_size) bytes is larger than any checkpoint this program writes")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .fileSystem(path: path, operation: "open the checkpoint", reason: String(cString: strerror(errno)))
        }
        defer { try? handle.close() }
        let signature = (try? handle.read(upToCount: 8)) ?? Data()
        guard signature == Data([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw .notACheckpoint(path: path, reason: status.st_size == 0 ? "the file is empty" : "not an HDF5 file")
        }
        return Int(status.st_size)
    }

    // MARK: Checked access

    /// Every link of a group we read must be a hard link, and the only link to its object: a
    /// second link (or a cycle) would let one object stand for another.
    func checkLinks(_ group: HDF5Group) throws(CheckpointError) {
        let links: [(name: String, kind: HDF5LinkKind)]
        do { links = try group.links() } catch { throw .hdf5(error) }
        for (name, kind) in links {
            if kind != .hard {
                let what = kind == .soft ? "a soft" : kind == .external ? "an external" : "a user-defined"
                throw invalid(group.child(name), "is \(what) link; only plain objects are accepted")
            }
            let count: Int
            do { count = try group.linkCount(name) } catch { throw .hdf5(error) }
            if count != 1 {
                throw invalid(group.child(name), "is one of \(count) links to the same object; every object has exactly one")
            }
        }
    }

    func openGroup(_ parent: HDF5Group, _ name: String) throws(CheckpointError) -> HDF5Group {
        let where_ = parent.child(name)
        guard parent.hasLink(name) else { throw invalid(where_, "missing") }
        do {
            guard try parent.linkKind(name) == .hard else { throw invalid(where_, "is a link; only plain objects are accepted") }
            guard try parent.objectKind(name) == .group else { throw invalid(where_, "is not a group") }
            let group = try parent.openGroup(name)
            try checkLinks(group)
            return group
        } catch let error as HDF5Error {
            throw .hdf5(error)
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw invalid(where_, "\(error)")
        }
    }

    /// Checks a dataset's header against what the format says, then reads it into a buffer of
    /// our own.
    func checkDataset(_ group: HDF5Group, _ name: String, _ element: Element, shape: [Int]) throws(CheckpointError) {
        let where_ = group.child(name)
        let info = try datasetInfo(group, name)
        if info.variableLength || info.typeClass != element.typeClass || info.typeSize != element.size
            || !info.littleEndian || info.signed != element.signed || info.standardType != element.standard
        {
            throw invalid(where_, "has the wrong data type (\(element.name) little-endian expected)")
        }
        if info.shape != shape || !info.fixedSimpleSpace {
            throw invalid(where_, info.fixedSimpleSpace ? "has shape \(info.shape) where \(shape) is expected"
                : "has a scalar, empty or extendible dataspace where a fixed shape \(shape) is expected")
        }
        if !info.plainLayout || info.filterCount != 0 || info.externalFileCount != 0 {
            throw invalid(where_, "is stored chunked, filtered, virtual or in external files; only plain contiguous storage is accepted")
        }
        let count = shape.reduce(1, *)
        if info.storageSize != count * element.size {
            throw invalid(where_, "stores \(info.storageSize) bytes where \(count * element.size) are expected (truncated or damaged)")
        }
    }

    /// Checks a dataset, reads it into a buffer of our own, and checks its CRC-32C.
    private func checkedRead<T>(
        _ group: HDF5Group, _ name: String, _ element: Element, shape: [Int],
        _ read: (HDF5Group, String, Int) throws(HDF5Error) -> [T]
    ) throws(CheckpointError) -> [T] {
        try checkDataset(group, name, element, shape: shape)
        let values: [T]
        do { values = try read(group, name, shape.reduce(1, *)) } catch { throw .hdf5(error) }
        try checkChecksum(group, name, values)
        return values
    }

    func floats(_ group: HDF5Group, _ name: String, shape: [Int], finite: Bool = true) throws(CheckpointError) -> [Float] {
        let values = try checkedRead(group, name, .float32, shape: shape) { (g, n, c) throws(HDF5Error) in try g.readFloats(n, count: c) }
        if finite && !allowNonFinite, let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw invalid(group.child(name), "holds a non-finite value (\(values[bad]) at element \(bad)); the model diverged or the file is damaged")
        }
        return values
    }

    func int64s(_ group: HDF5Group, _ name: String, shape: [Int]) throws(CheckpointError) -> [Int64] {
        try checkedRead(group, name, .int64, shape: shape) { (g, n, c) throws(HDF5Error) in try g.readInt64s(n, count: c) }
    }

    func uint32s(_ group: HDF5Group, _ name: String, shape: [Int]) throws(CheckpointError) -> [UInt32] {
        try checkedRead(group, name, .uint32, shape: shape) { (g, n, c) throws(HDF5Error) in try g.readUInt32s(n, count: c) }
    }

    func uint64s(_ group: HDF5Group, _ name: String, shape: [Int]) throws(CheckpointError) -> [UInt64] {
        try checkedRead(group, name, .uint64, shape: shape) { (g, n, c) throws(HDF5Error) in try g.readUInt64s(n, count: c) }
    }

    /// Data written by this program carries its CRC-32C; a mismatch means the bytes changed after
    /// writing. (Files written by other tools may lack the attribute; their data is then taken as
    /// is. The lenient reading used to inspect broken files lets a mismatch pass.)
    func checkChecksum<T>(_ group: HDF5Group, _ name: String, _ values: [T]) throws(CheckpointError) {
        guard !allowNonFinite, group.hasAttribute(HDF5Group.checksumAttribute, on: name) else { return }
        let stored = try int(group, HDF5Group.checksumAttribute, 0...Int64(UInt32.max), on: name)
        let actual = CRC32C.checksum(of: values)
        if UInt32(stored) != actual {
            throw invalid(group.child(name), "checksum mismatch (crc32c \(String(UInt32(stored), radix: 16)) stored, \(String(actual, radix: 16)) computed): the data is damaged")
        }
    }

    /// What libhdf5 says of a dataset that must exist and be a dataset.
    func datasetInfo(_ group: HDF5Group, _ name: String) throws(CheckpointError) -> HDF5DatasetInfo {
        guard group.hasLink(name) else { throw invalid(group.child(name), "missing") }
        do {
            guard try group.objectKind(name) == .dataset else { throw invalid(group.child(name), "is not a dataset") }
            return try group.datasetInfo(name)
        } catch let error as HDF5Error {
            throw .hdf5(error)
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw invalid(group.child(name), "\(error)")
        }
    }

    /// The length of a 1-D dataset (for the history, whose length is not in /config).
    func length(_ group: HDF5Group, _ name: String, limit: Int) throws(CheckpointError) -> Int {
        let info = try datasetInfo(group, name)
        guard info.shape.count == 1, info.shape[0] <= limit, info.fixedSimpleSpace else {
            throw invalid(group.child(name), "has shape \(info.shape) where a list of at most \(limit) values is expected")
        }
        return info.shape[0]
    }

    func attributeMissing(_ group: HDF5Group, _ name: String, on object: String = ".") -> CheckpointError {
        invalid(group.attributePath(name, on: object), "missing")
    }

    func int(_ group: HDF5Group, _ name: String, _ range: ClosedRange<Int64>, on object: String = ".") throws(CheckpointError) -> Int64 {
        guard group.hasAttribute(name, on: object) else { throw attributeMissing(group, name, on: object) }
        let value: Int64
        do { value = try group.int64Attribute(name, on: object) } catch {
            throw invalid(group.attributePath(name, on: object), "is not an int64 scalar")
        }
        guard range.contains(value) else {
            throw invalid(group.attributePath(name, on: object), "is \(value), outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func double(_ group: HDF5Group, _ name: String, _ check: (Double) -> Bool = { $0.isFinite }, on object: String = ".") throws(CheckpointError) -> Double {
        guard group.hasAttribute(name, on: object) else { throw attributeMissing(group, name, on: object) }
        let value: Double
        do { value = try group.doubleAttribute(name, on: object) } catch {
            throw invalid(group.attributePath(name, on: object), "is not a float64 scalar")
        }
        guard check(value) else { throw invalid(group.attributePath(name, on: object), "has the impossible value \(value)") }
        return value
    }

    func string(_ group: HDF5Group, _ name: String, on object: String = ".") throws(CheckpointError) -> String {
        guard group.hasAttribute(name, on: object) else { throw attributeMissing(group, name, on: object) }
        do { return try group.stringAttribute(name, on: object) } catch {
            throw invalid(group.attributePath(name, on: object), "is not a fixed-length string (\(error.message))")
        }
    }

    func choice<T: RawRepresentable>(_ group: HDF5Group, _ name: String, _ type: T.Type) throws(CheckpointError) -> T where T.RawValue == String {
        let text = try string(group, name)
        guard let value = T(rawValue: text) else { throw invalid(group.attributePath(name, on: "."), "has the unknown value \"\(text)\"") }
        return value
    }

    // MARK: The layout

    func readContents(_ root: HDF5Group) throws(CheckpointError) -> Checkpoint {
        guard root.hasAttribute("format") else {
            throw .notACheckpoint(path: path, reason: "an HDF5 file without the 'format' attribute of a charrnn checkpoint")
        }
        let format = try string(root, "format")
        guard format == Checkpoint.formatName else {
            throw .notACheckpoint(path: path, reason: "format is \"\(format)\", not \"\(Checkpoint.formatName)\"")
        }
        let version = try int(root, "format_version", Int64.min...Int64.max)
        if version > Checkpoint.formatVersion { throw .newerVersion(path: path, version: version) }
        guard version == Checkpoint.formatVersion else { throw invalid("/@format_version", "is \(version); only version 1 exists") }
        let createdBy = (try? string(root, "created_by")) ?? ""
        let createdUTC = (try? string(root, "created_utc")) ?? ""
        try checkLinks(root)

        let configGroup = try openGroup(root, "config")
        let config = ModelConfig(
            cell: try choice(configGroup, "cell", CellKind.self),
            layers: Int(try int(configGroup, "num_layers", 1...64)),
            hiddenSize: Int(try int(configGroup, "hidden_size", 1...16384)),
            embeddingSize: Int(try int(configGroup, "embedding_size", 0...16384)),
            vocabSize: Int(try int(configGroup, "vocab_size", 1...Int64(Corpus.maximumVocabularySize))),
            dropout: try double(configGroup, "dropout") { $0 >= 0 && $0 < 1 })
        let table = ParameterTable(config: config)
        guard table.totalCount <= Checkpoint.maximumParameterCount else {
            throw invalid("/config", "describes \(table.totalCount) parameters, more than the limit of \(Checkpoint.maximumParameterCount)")
        }

        let vocab = try openGroup(root, "vocab")
        let v = config.vocabSize
        let codepoints = try uint32s(vocab, "codepoints", shape: [v])
        let unitText = try string(vocab, "unit", on: "codepoints")
        guard let unit = TokenUnit(rawValue: unitText) else {
            throw invalid("/vocab/codepoints@unit", "has the unknown value \"\(unitText)\"")
        }
        for (i, c) in codepoints.enumerated() {
            let valid = unit == .byte ? c <= 0xFF : Unicode.Scalar(c) != nil
            guard valid, i == 0 || codepoints[i - 1] < c else {
                throw invalid("/vocab/codepoints", "entry \(i) (\(c)) is not a valid \(unit == .byte ? "byte" : "Unicode scalar") in increasing order")
            }
        }
        var counts: [Int64]? = nil
        if vocab.hasLink("counts") {
            let values = try int64s(vocab, "counts", shape: [v])
            guard values.allSatisfy({ $0 >= 0 }) else { throw invalid("/vocab/counts", "holds a negative count") }
            counts = values
        }
        let vocabulary = Vocabulary(unit: unit, codepoints: codepoints, counts: counts)

        let model = try openGroup(root, "model")
        var parameters = [Float](repeating: 0, count: table.totalCount)
        for spec in table.entries {
            let values = try floats(model, spec.name, shape: spec.shape)
            parameters.replaceSubrange(spec.offset..<spec.offset + spec.count, with: values)
        }

        var training: TrainingState? = nil
        if root.hasLink("train") || root.hasLink("optimizer") {
            training = try readTraining(root, configGroup, config, table)
        }
        return Checkpoint(
            createdBy: createdBy, createdUTC: createdUTC, config: config, vocabulary: vocabulary,
            parameters: parameters, training: training)
    }

    /// The training settings of `/config` (the `/config` part of `readTraining`; also used by
    /// the verifier on model-only checkpoints that still carry them).
    func trainingOptions(_ c: HDF5Group) throws(CheckpointError) -> TrainingOptions {
        let positive: (Double) -> Bool = { $0 > 0 && $0.isFinite }
        let unitInterval: (Double) -> Bool = { $0 >= 0 && $0 < 1 }
        let kind = try choice(c, "optimizer", OptimizerKind.self)
        let optimizerSettings = OptimizerSettings(
            kind: kind, learningRate: try double(c, "learning_rate", positive),
            momentum: try double(c, "momentum", unitInterval), alpha: try double(c, "alpha", unitInterval),
            beta1: try double(c, "beta1", unitInterval), beta2: try double(c, "beta2", unitInterval),
            epsilon: try double(c, "epsilon", positive))
        let options = TrainingOptions(
            batchSize: Int(try int(c, "batch_size", 1...65536)), seqLength: Int(try int(c, "seq_length", 1...65536)),
            optimizer: optimizerSettings,
            learningRateDecay: try double(c, "lr_decay") { $0 > 0 && $0 <= 1 },
            learningRateDecayAfter: Int(try int(c, "lr_decay_after", 0...Int64(Int32.max))),
            gradientClip: try double(c, "grad_clip") { $0 >= 0 && $0.isFinite },
            clipMode: try choice(c, "clip_mode", ClipMode.self),
            epochs: Int(try int(c, "epochs", 1...Int64(Int32.max))),
            maxIterations: Int(try int(c, "max_iterations", 0...Int64(Int32.max) * 1024)),
            evalEvery: Int(try int(c, "eval_every", 0...Int64(Int32.max))),
            seed: UInt64(bitPattern: try int(c, "seed", Int64.min...Int64.max)))
        _ = try string(c, "data_paths")
        _ = try string(c, "val_data_paths")
        _ = try double(c, "val_fraction", unitInterval)
        return options
    }

    func readTraining(_ root: HDF5Group, _ c: HDF5Group, _ config: ModelConfig, _ table: ParameterTable) throws(CheckpointError) -> TrainingState {
        let positive: (Double) -> Bool = { $0 > 0 && $0.isFinite }
        let unitInterval: (Double) -> Bool = { $0 >= 0 && $0 < 1 }
        let options = try trainingOptions(c)
        let kind = options.optimizer.kind
        let optimizerSettings = options.optimizer
        let batch = options.batchSize
        guard config.layers * batch * config.hiddenSize <= Checkpoint.maximumParameterCount else {
            throw invalid("/config", "hidden state of \(config.layers) x \(batch) x \(config.hiddenSize) is too large")
        }

        let optimizer = try openGroup(root, "optimizer")
        guard try string(optimizer, "name") == kind.rawValue else {
            throw invalid("/optimizer@name", "differs from /config@optimizer")
        }
        let step = try int(optimizer, "step", 0...Int64.max)
        let learningRate = try double(optimizer, "learning_rate", positive)
        var slots: [String: [Float]] = [:]
        for slotName in optimizerSettings.slotNames {
            let slot = try openGroup(optimizer, slotName)
            var values = [Float](repeating: 0, count: table.totalCount)
            for spec in table.entries {
                let tensor = try floats(slot, spec.name, shape: spec.shape)
                values.replaceSubrange(spec.offset..<spec.offset + spec.count, with: tensor)
            }
            slots[slotName] = values
        }

        let train = try openGroup(root, "train")
        let maximum = Int64.max / 2
        var progress = TrainingProgress()
        progress.epoch = Int(try int(train, "epoch", 0...Int64(Int32.max)))
        progress.iteration = Int(try int(train, "iteration", 0...maximum))
        progress.batchIndex = Int(try int(train, "batch_index", 0...Int64(Int32.max)))
        progress.charactersSeen = try int(train, "characters_seen", 0...maximum)
        progress.bestValidationLoss = try double(train, "best_val_loss") { !$0.isNaN && $0 >= 0 }
        progress.referenceLoss = try double(train, "reference_loss") { $0.isNaN || $0 >= 0 }
        // At most about 30,000 years: programs turn it into whole seconds for display.
        progress.elapsedSeconds = try double(train, "elapsed_seconds") { $0 >= 0 && $0 <= 1e12 }
        func fingerprint(_ name: String) throws(CheckpointError) -> UInt64 {
            guard let value = DataProvenance.parse(try string(train, name)) else {
                throw invalid(train.attributePath(name, on: "."), "is not an fnv1a64 fingerprint")
            }
            return value
        }
        func paths(_ name: String) throws(CheckpointError) -> [String] {
            let text = try string(c, name)
            return text.isEmpty ? [] : text.split(separator: "\n").map(String.init)
        }
        let data = DataProvenance(
            trainingPaths: try paths("data_paths"), validationPaths: try paths("val_data_paths"),
            validationFraction: try double(c, "val_fraction", unitInterval),
            trainingLength: try int(train, "corpus_length", 1...maximum),
            trainingFingerprint: try fingerprint("corpus_fingerprint"),
            validationLength: try int(train, "val_length", 0...maximum),
            validationFingerprint: try fingerprint("val_fingerprint"))

        let hiddenShape = [config.layers, batch, config.hiddenSize]
        let hiddenGroup = try openGroup(train, "hidden")
        let hidden = try floats(hiddenGroup, "h", shape: hiddenShape)
        let cell = config.cell.hasCellState ? try floats(hiddenGroup, "c", shape: hiddenShape) : nil
        let random = try uint64s(train, "rng", shape: [4])
        guard try string(train, "algorithm", on: "rng") == RandomGenerator.algorithm, RandomGenerator(state: random) != nil else {
            throw invalid("/train/rng", "is not a \(RandomGenerator.algorithm) state")
        }

        let history = try openGroup(root, "history")
        let limit = 1 << 28
        let n = try length(history, "step", limit: limit)
        let m = try length(history, "val_step", limit: limit)
        progress.history.steps = try int64s(history, "step", shape: [n])
        progress.history.trainLoss = try floats(history, "train_loss", shape: [n], finite: false)
        progress.history.elapsed = try floats(history, "elapsed", shape: [n], finite: false)
        progress.history.validationSteps = try int64s(history, "val_step", shape: [m])
        progress.history.validationLoss = try floats(history, "val_loss", shape: [m], finite: false)

        return TrainingState(
            options: options, data: data, progress: progress, optimizerStep: step, learningRate: learningRate,
            optimizerSlots: slots, hidden: hidden, cell: cell, random: random)
    }
}

extension CheckpointError {
    private static let separator: Character = "\u{1F}"

    /// The error as one string, to pass from a rehearsal's child process to its parent.
    var encoded: String {
        let fields: [String]
        switch self {
        case .fileSystem(let path, let operation, let reason): fields = ["fileSystem", path, operation, reason]
        case .hdf5(let e): fields = ["hdf5", e.call, e.object, e.file, e.message]
        case .notACheckpoint(let path, let reason): fields = ["notACheckpoint", path, reason]
        case .newerVersion(let path, let version): fields = ["newerVersion", path, String(version)]
        case .invalid(let path, let object, let problem): fields = ["invalid", path, object, problem]
        case .notResumable(let path): fields = ["notResumable", path]
        }
        return fields.joined(separator: String(Self.separator))
    }

    init?(encoded: String) {
        let f = encoded.split(separator: Self.separator, omittingEmptySubsequences: false).map(String.init)
        switch (f.first, f.count) {
        case ("fileSystem", 4): self = .fileSystem(path: f[1], operation: f[2], reason: f[3])
        case ("hdf5", 5): self = .hdf5(HDF5Error(call: f[1], object: f[2], file: f[3], message: f[4]))
        case ("notACheckpoint", 3): self = .notACheckpoint(path: f[1], reason: f[2])
        case ("newerVersion", 3):
            guard let version = Int64(f[2]) else { return nil }
            self = .newerVersion(path: f[1], version: version)
        case ("invalid", 4): self = .invalid(path: f[1], object: f[2], problem: f[3])
        case ("notResumable", 2): self = .notResumable(path: f[1])
        default: return nil
        }
    }
}
