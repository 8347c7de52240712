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
    public static func verify(path: String) -> VerificationReport {
        var problems: [VerificationProblem] = []
        var checks: [String] = []
        func add(_ object: String, _ problem: String) { problems.append(VerificationProblem(object: object, problem: problem)) }

        var checkpoint: Checkpoint?
        var readerObject: String?
        do {
            checkpoint = try Checkpoint.read(from: path)
            checks.append("structure, types, shapes and ranges (the reader's validation)")
        } catch {
            let problem = Self.problem(from: error, path: path)
            readerObject = problem.object
            problems.append(problem)
            // Non-finite values stop the strict reader; the lenient one gets past them so the
            // other checks can run.
            checkpoint = try? Checkpoint.read(from: path, allowNonFinite: true)
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

    /// Walks every group over hard links, reads each plainly stored float32 dataset and counts
    /// its non-finite values; reports tensors the configuration does not have.
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
        func walk(_ group: HDF5Group, depth: Int) {
            guard depth < 8, let names = try? group.linkNames() else { return }
            for name in names {
                visited += 1
                guard visited < 100_000, (try? group.linkKind(name)) == .hard, let kind = try? group.objectKind(name) else { continue }
                if kind == .group {
                    if let child = try? group.openGroup(name) { walk(child, depth: depth + 1) }
                } else if kind == .dataset {
                    check(group, name)
                }
            }
        }
        func check(_ group: HDF5Group, _ name: String) {
            guard let info = try? group.datasetInfo(name), info.typeClass == .float, info.typeSize == 4, info.littleEndian,
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
        walk(file.root, depth: 0)

        // Tensors beyond the configuration's, where PyTorch loads state dicts strictly.
        if let checkpoint {
            let expected = Set(checkpoint.parameterTable.entries.map(\.name))
            func extras(_ group: HDF5Group) {
                for name in (try? group.linkNames()) ?? [] where !expected.contains(name) {
                    scan.problems.append(VerificationProblem(
                        object: group.child(name),
                        problem: "is not a tensor of this \(checkpoint.config.cell.rawValue) configuration (PyTorch's strict load_state_dict would refuse it)"))
                }
            }
            let root = file.root
            if let model = try? root.openGroup("model") { extras(model) }
            if let training = checkpoint.training, let optimizer = try? root.openGroup("optimizer") {
                let slots = Set(training.options.optimizer.slotNames)
                for name in (try? optimizer.linkNames()) ?? [] {
                    if !slots.contains(name) {
                        scan.problems.append(VerificationProblem(
                            object: optimizer.child(name),
                            problem: "is not a slot of \(training.options.optimizer.kind.rawValue) (its slots: \(slots.isEmpty ? "none" : slots.sorted().joined(separator: ", ")))"))
                    } else if let slot = try? optimizer.openGroup(name) {
                        extras(slot)
                    }
                }
            }
        }
        return scan
    }
}
