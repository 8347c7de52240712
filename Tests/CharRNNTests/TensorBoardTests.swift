import Foundation
import Testing

@testable import CharRNN

/// The TensorBoard event-file writer: checksums and protobuf bytes against known answers (the
/// event bytes were produced by TensorBoard's own protobuf classes), and whole log folders read
/// back by TensorBoard's reader through `Tools/read_events.py`.
struct TensorBoardTests {
    // MARK: - Checksums

    @Test func crc32cKnownAnswers() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // RFC 3720, appendix B.4.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        let readCommand = Self.bytes("01c000000000000000000000000000001400000000000400000000140000001828000000000000000200000000000000")
        #expect(CRC32C.checksum(readCommand) == 0xD996_3A56)
    }

    @Test func maskedChecksum() {
        #expect(TFRecord.masked(0) == 0xA282_EAD8)
        // Rotate right by 15, add the constant (wrapping): 0x80000000 -> 0x00010000 + 0xA282EAD8.
        #expect(TFRecord.masked(0x8000_0000) == 0xA283_EAD8)
        #expect(TFRecord.masked(0xFFFF_FFFF) == 0xA282_EAD7)
        // TensorBoard's masked_crc32c(b"123456789").
        #expect(TFRecord.maskedChecksum(Array("123456789".utf8)) == 0xC78A_B0E5)
    }

    // MARK: - Protocol buffers

    @Test func varints() {
        func varint(_ value: UInt64) -> [UInt8] {
            var encoder = ProtobufEncoder()
            encoder.appendVarint(value)
            return encoder.bytes
        }
        #expect(varint(0) == [0x00])
        #expect(varint(1) == [0x01])
        #expect(varint(127) == [0x7F])
        #expect(varint(128) == [0x80, 0x01])
        #expect(varint(150) == [0x96, 0x01])
        #expect(varint(300) == [0xAC, 0x02])
        #expect(varint(16_384) == [0x80, 0x80, 0x01])
        #expect(varint(UInt64.max) == [UInt8](repeating: 0xFF, count: 9) + [0x01])
    }

    @Test func fieldEncodings() {
        func encoded(_ body: (inout ProtobufEncoder) -> Void) -> [UInt8] {
            var encoder = ProtobufEncoder()
            body(&encoder)
            return encoder.bytes
        }
        #expect(encoded { $0.appendInt64(field: 1, 150) } == [0x08, 0x96, 0x01])
        #expect(encoded { $0.appendInt64(field: 2, 300) } == [0x10, 0xAC, 0x02])
        // A negative int64 is its two's complement: ten bytes.
        #expect(encoded { $0.appendInt64(field: 2, -1) } == [0x10] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
        #expect(encoded { $0.appendDouble(field: 1, 1.0) } == [0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        #expect(encoded { $0.appendFloat(field: 2, 1.5) } == [0x15, 0, 0, 0xC0, 0x3F])
        #expect(encoded { $0.appendString(field: 2, "testing") } == [0x12, 0x07] + Array("testing".utf8))
        #expect(encoded { $0.appendMessage(field: 3) { $0.appendInt64(field: 1, 150) } } == [0x1A, 0x03, 0x08, 0x96, 0x01])
        #expect(encoded { $0.appendMessage(field: 2) { _ in } } == [0x12, 0x00])
        // A key with a field number above 15 takes two bytes.
        #expect(encoded { $0.appendInt64(field: 16, 1) } == [0x80, 0x01, 0x01])
    }

    /// The expected bytes are `Event(...).SerializeToString()` from tensorboard.compat.proto.
    @Test func eventsEncodeAsTensorBoardEncodesThem() {
        let wallTime = 1_700_000_000.25
        #expect(TensorBoardEvent(wallTime: wallTime, step: 0, content: .fileVersion).encoded
            == Self.bytes("0900001040fc54d9411a0d627261696e2e4576656e743a32"))
        #expect(TensorBoardEvent(wallTime: wallTime, step: 300, content: .scalar(tag: "train/loss", value: 1.5)).encoded
            == Self.bytes("0900001040fc54d94110ac022a130a110a0a747261696e2f6c6f7373150000c03f"))
        #expect(TensorBoardEvent(wallTime: wallTime, step: 21, content: .sessionStart).encoded
            == Self.bytes("0900001040fc54d94110153a020801"))
        // tensorboard.plugins.text.summary_v2.text_pb("samples", "hi") inside an Event.
        #expect(TensorBoardEvent(wallTime: 0, step: 0, content: .text(tag: "samples", value: "hi")).encoded
            == Self.bytes("2a1f0a1d0a0773616d706c6573420808071200420268694a080a060a0474657874"))
        // proto3 leaves out a zero step but writes a negative one.
        #expect(TensorBoardEvent(wallTime: 0.5, step: -1, content: .sessionStart).encoded
            == Self.bytes("09000000000000e03f10ffffffffffffffffff01") + [0x3A, 0x02, 0x08, 0x01])
    }

    /// The expected bytes were framed with TensorBoard's masked_crc32c.
    @Test func recordFraming() {
        let data = Self.bytes("0a1d0a0773616d706c6573420808071200420268694a080a060a0474657874")
        var record: [UInt8] = []
        TFRecord.append(data, to: &record)
        #expect(record == Self.bytes("1f00000000000000514b4418") + data + Self.bytes("e6c19d80"))
    }

    // MARK: - File names

    @Test func fileNamesSortAfterTheFilesAlreadyThere() {
        #expect(TensorBoardWriter.fileName(existing: [], now: 1_700_000_000, host: "vm", pid: 42)
            == "events.out.tfevents.1700000000.vm.42")
        #expect(TensorBoardWriter.fileName(existing: [], now: 5, host: "vm", pid: 42) == "events.out.tfevents.0000000005.vm.42")
        let existing = ["events.out.tfevents.1700000000.vm.41", "notes.txt", "events.out.tfevents.1700000003.other.7"]
        #expect(TensorBoardWriter.fileName(existing: existing, now: 1_700_000_001, host: "vm", pid: 42)
            == "events.out.tfevents.1700000004.vm.42")
        #expect(TensorBoardWriter.fileName(existing: existing, now: 1_800_000_000, host: "vm", pid: 42)
            == "events.out.tfevents.1800000000.vm.42")
    }

    @Test func writersCreatedInOneSecondGetFilesInCreationOrder() throws {
        let logdir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: logdir) }
        var paths: [String] = []
        for _ in 0..<3 {
            let writer = try TensorBoardWriter(logdir: logdir.path)
            try writer.close()
            paths.append((writer.path as NSString).lastPathComponent)
        }
        #expect(Set(paths).count == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: logdir.path).sorted() == paths)
        let pattern = #/events\.out\.tfevents\.\d{10}\.[^/]+\.\d+/#
        #expect(paths.allSatisfy { $0.wholeMatch(of: pattern) != nil })
    }

    // MARK: - Flushing and errors

    @Test func recordsWaitInMemoryUntilAFlushPoint() throws {
        let logdir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: logdir) }
        let writer = try TensorBoardWriter(logdir: logdir.path, flushInterval: 1_000_000)
        let header = try Self.size(writer.path)
        #expect(header > 0)  // the file version is written at once
        try writer.log(Self.iteration(1))
        #expect(try Self.size(writer.path) == header)
        #expect(writer.pendingByteCount > 0)
        try writer.flush()
        #expect(writer.pendingByteCount == 0)
        let flushed = try Self.size(writer.path)
        #expect(flushed > header)
        // Validation results and samples are written out at once.
        try writer.log(ValidationReport(iteration: 1, loss: 2, isBest: true))
        #expect(try Self.size(writer.path) > flushed)
        let validated = try Self.size(writer.path)
        try writer.logSample("abc", step: 1)
        #expect(try Self.size(writer.path) > validated)
        // Close writes out the rest; a second close does nothing; later logging is an error.
        try writer.scalar("x", 1, step: 2)
        let beforeClose = try Self.size(writer.path)
        try writer.close()
        #expect(try Self.size(writer.path) > beforeClose)
        try writer.close()
        #expect(throws: TensorBoardError.closed(path: writer.path)) { try writer.scalar("x", 1, step: 3) }
        #expect(throws: TensorBoardError.closed(path: writer.path)) { try writer.flush() }
    }

    @Test func aZeroIntervalWritesEveryRecordAtOnce() throws {
        let logdir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: logdir) }
        let writer = try TensorBoardWriter(logdir: logdir.path, flushInterval: 0)
        var size = try Self.size(writer.path)
        for step in 1...3 {
            try writer.scalar("x", Double(step), step: step)
            let now = try Self.size(writer.path)
            #expect(now > size)
            size = now
        }
    }

    @Test func aLogFolderThatCannotBeMadeIsATypedError() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: file)
        let error = #expect(throws: TensorBoardError.self) { try TensorBoardWriter(logdir: file.path) }
        guard case .fileSystem(let path, let operation, _) = error else {
            Issue.record("expected a file-system error, got \(String(describing: error))")
            return
        }
        #expect(path == file.path)
        #expect(operation == "create the log folder")
    }

    #if os(Linux)
    /// /dev/full stands in for the event file: writes fail with ENOSPC. The writer throws, drops
    /// what it could not write, and writes again once the disk has room.
    @Test func aFullDiskIsReportedAndLoggingGoesOnAfterwards() throws {
        let logdir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: logdir) }
        let writer = try TensorBoardWriter(logdir: logdir.path, flushInterval: 1_000_000)
        try writer.scalar("a", 1, step: 1)
        let saved = dup(writer.descriptor)
        let full = open("/dev/full", O_WRONLY)
        try #require(saved >= 0 && full >= 0)
        #expect(dup2(full, writer.descriptor) == writer.descriptor)
        _ = close(full)

        let noSpace = TensorBoardError.fileSystem(path: writer.path, operation: "write", reason: "No space left on device")
        #expect(throws: noSpace) { try writer.flush() }
        #expect(writer.pendingByteCount == 0)
        #expect(throws: noSpace) { try writer.log(ValidationReport(iteration: 2, loss: 1, isBest: false)) }
        #expect(throws: noSpace) { try writer.logSample("lost", step: 2) }

        #expect(dup2(saved, writer.descriptor) == writer.descriptor)
        _ = close(saved)
        try writer.scalar("a", 3, step: 3)
        try writer.close()
        let read = try EventReader.read(logdir)
        #expect(read.problems.isEmpty, "\(read.problems)")
        for (name, view) in read.views {
            #expect(view.scalars.keys.sorted() == ["a"], "\(name)")
            #expect(view.scalars["a"]?.map(\.step) == [3], "\(name)")
            #expect(view.texts.isEmpty, "\(name)")
        }
    }
    #endif

    // MARK: - Read back by TensorBoard

    @Test func everyTagReadsBackInTensorBoard() throws {
        let logdir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: logdir) }
        let writer = try TensorBoardWriter(logdir: logdir.path)
        let sample = "First Citizen:\n  Before we proceed,  any further\n\nÄ – ünïcödé 🙂\r\nend"
        for step in 1...25 {
            try writer.log(Self.iteration(step))
            if step % 5 == 0 { try writer.log(ValidationReport(iteration: step, loss: 3.0 / Double(step), isBest: true)) }
            if step % 10 == 0 { try writer.logSample(sample + " \(step)", step: step) }
        }
        try writer.text("notes", "raw **Markdown**, as given", step: 3)
        try writer.close()

        let read = try EventReader.read(logdir)
        #expect(read.problems.isEmpty, "\(read.problems)")
        #expect(read.files.count == 1)
        #expect(read.files.first?.fileVersion == "brain.Event:2")
        #expect(read.files.first?.sessionStarts == [0])

        let steps = Array(1...25)
        let expected: [String: [(step: Int, value: Double)]] = [
            "train/loss": steps.map { ($0, Self.loss($0)) },
            "train/learning_rate": steps.map { ($0, Self.rate($0)) },
            "train/grad_norm": steps.map { ($0, Self.norm($0)) },
            "train/chars_per_second": steps.map { ($0, 3200 / Self.seconds($0)) },
            "val/loss": stride(from: 5, through: 25, by: 5).map { ($0, 3.0 / Double($0)) },
        ]
        for (name, view) in read.views {
            #expect(view.scalars.keys.sorted() == expected.keys.sorted(), "\(name)")
            for (tag, points) in expected {
                let got = view.scalars[tag] ?? []
                #expect(got.map(\.step) == points.map(\.step), "\(name) \(tag)")
                // Stored as float32: exactly the float nearest the double.
                #expect(got.map(\.value) == points.map { Float($0.value) }, "\(name) \(tag)")
            }
            // Only tensors tagged for the text plugin are listed as texts.
            #expect(view.texts.keys.sorted() == ["notes", "samples"], "\(name)")
            #expect(view.texts["samples"]?.map(\.step) == [10, 20], "\(name)")
            #expect(view.texts["samples"]?.first?.text
                == "    First Citizen:\n      Before we proceed,  any further\n    \n    Ä – ünïcödé 🙂\n    end 10", "\(name)")
            #expect(view.texts["notes"]?.map(\.step) == [3], "\(name)")
            #expect(view.texts["notes"]?.first?.text == "raw **Markdown**, as given", "\(name)")
        }
    }

    /// Run 1 logs steps 1 through `lastStep` and crashes (or stops cleanly at 20); run 2 resumes
    /// from the checkpoint of step 20 and logs 21 through 40. Each of TensorBoard's readers must
    /// show each step once, with run 2's values from step 21 on (the classic accumulator purges
    /// no text, so only its scalars are checked).
    @Test(arguments: [(30, false), (20, true)])
    func aResumedRunReplacesWhatFollowedItsCheckpoint(lastStep: Int, closedCleanly: Bool) throws {
        let logdir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: logdir) }
        try Self.run(1, logdir: logdir, steps: 1...lastStep, resumingAt: nil, crash: !closedCleanly)
        try Self.run(2, logdir: logdir, steps: 21...40, resumingAt: 20, crash: false)

        let read = try EventReader.read(logdir)
        #expect(read.problems.isEmpty, "\(read.problems)")
        #expect(read.files.map(\.sessionStarts) == [[0], [21]])
        let run = { (step: Int) in step <= 20 ? 1 : 2 }
        for (name, view) in read.views {
            #expect(view.scalars.keys.sorted() == Self.scalarTags, "\(name)")
            for tag in Self.scalarTags {
                let steps = tag == "val/loss" ? [10, 20, 30, 40] : Array(1...40)
                #expect(view.scalars[tag]?.map(\.step) == steps, "\(name) \(tag)")
                #expect(view.scalars[tag]?.map(\.value) == steps.map { Self.runValue(tag, step: $0, run: run($0)) }, "\(name) \(tag)")
            }
            guard name != "event_accumulator" else { continue }
            #expect(view.texts["samples"]?.map(\.text) == [10, 20, 30, 40].map { Self.sampleText(step: $0, run: run($0)) }, "\(name)")
        }
    }

    /// A new run in a folder that holds an earlier run's files (not resumed) replaces it: its START
    /// at step 0 hides everything before, and so does the data server's preemption by step.
    @Test func aNewRunInAUsedFolderReplacesWhatWasThere() throws {
        let logdir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: logdir) }
        try Self.run(1, logdir: logdir, steps: 1...30, resumingAt: nil, crash: true)
        try Self.run(2, logdir: logdir, steps: 1...15, resumingAt: nil, crash: false)
        let read = try EventReader.read(logdir)
        #expect(read.problems.isEmpty, "\(read.problems)")
        #expect(read.files.map(\.sessionStarts) == [[0], [0]])
        for (name, view) in read.views {
            for tag in Self.scalarTags {
                let steps = tag == "val/loss" ? [10] : Array(1...15)
                #expect(view.scalars[tag]?.map(\.step) == steps, "\(name) \(tag)")
                #expect(view.scalars[tag]?.map(\.value) == steps.map { Self.runValue(tag, step: $0, run: 2) }, "\(name) \(tag)")
            }
            guard name != "event_accumulator" else { continue }
            #expect(view.texts["samples"]?.map(\.text) == [Self.sampleText(step: 10, run: 2)], "\(name)")
        }
    }

    // MARK: - Helpers

    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-tb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    static func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? -1
    }

    static let scalarTags = ["train/chars_per_second", "train/grad_norm", "train/learning_rate", "train/loss", "val/loss"]

    static func sampleText(step: Int, run: Int) -> String { TensorBoardWriter.codeBlock("run \(run) step \(step)") }

    // Values that float32 cannot hold exactly, so that the precision check means something.
    static func loss(_ step: Int) -> Double { 4.0 / Double(step) + 0.1 }
    static func rate(_ step: Int) -> Double { 0.002 * pow(0.97, Double(step)) }
    static func norm(_ step: Int) -> Double { Double(step).squareRoot() }
    static func seconds(_ step: Int) -> Double { 0.01 * Double(step) + 0.003 }

    static func iteration(_ step: Int, run: Int = 1) -> IterationReport {
        let offset = Double(run - 1) * 1000
        return IterationReport(
            iteration: step, totalIterations: 40, epoch: Double(step) / 10, loss: loss(step) + offset,
            gradientNorm: norm(step) + offset, learningRate: rate(step) + offset, characters: 3200,
            seconds: seconds(step) / Double(run))
    }

    /// What TensorBoard should read for a tag at a step logged by a run.
    static func runValue(_ tag: String, step: Int, run: Int) -> Float {
        let report = iteration(step, run: run)
        let value: Double
        switch tag {
        case "train/loss": value = report.loss
        case "train/learning_rate": value = report.learningRate
        case "train/grad_norm": value = report.gradientNorm
        case "train/chars_per_second": value = Double(report.characters) / report.seconds
        default: value = Double(run) * 10 + 1 / Double(step)
        }
        return Float(value)
    }

    /// One training run's logging: every iteration, validation and a sample every 10 steps. A
    /// crash leaves the file as it was at the last write-out and writes nothing more.
    static func run(_ number: Int, logdir: URL, steps: ClosedRange<Int>, resumingAt: Int?, crash: Bool) throws {
        let writer = try TensorBoardWriter(logdir: logdir.path, resumingAt: resumingAt)
        for step in steps {
            try writer.log(iteration(step, run: number))
            if step % 10 == 0 {
                try writer.log(ValidationReport(iteration: step, loss: Double(number) * 10 + 1 / Double(step), isBest: false))
                try writer.logSample("run \(number) step \(step)", step: step)
            }
        }
        if crash {
            try writer.flush()
            _ = close(writer.descriptor)
            writer.descriptor = -1
        } else {
            try writer.close()
        }
    }
}

/// Runs `Tools/read_events.py` (TensorBoard's reader) on a log folder.
enum EventReader {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct File {
        let name: String
        let fileVersion: String?
        let sessionStarts: [Int]
    }

    /// What one of TensorBoard's readers shows.
    struct View {
        /// Float32, as stored. (Read through a double: Foundation's JSON parser on Linux can miss
        /// a double by an ulp, which rounding to float32 undoes.)
        var scalars: [String: [(step: Int, value: Float)]] = [:]
        /// The tensors of the text plugin.
        var texts: [String: [(step: Int, text: String)]] = [:]
    }

    struct Folder {
        var files: [File] = []
        var problems: [String] = []
        /// By reader: "event_accumulator", "plugin_event_accumulator", "data_server".
        var views: [String: View] = [:]
    }

    static let viewNames = ["event_accumulator", "plugin_event_accumulator", "data_server"]

    static func read(_ logdir: URL) throws -> Folder {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-tbread-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let output = scratch.appendingPathComponent("out.json"), errors = scratch.appendingPathComponent("err.txt")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Repository.path("Tools/read_events.py"), logdir.path]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        process.waitUntilExit()
        let message = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            if process.terminationStatus == 3 {
                throw Failure(description: "TensorBoard's reader is needed for this test: python3 -m pip install tensorboard (Tools/install-deps.sh installs it). \(message)")
            }
            throw Failure(description: "Tools/read_events.py failed (status \(process.terminationStatus)): \(message)")
        }
        guard let json = try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any] else {
            throw Failure(description: "Tools/read_events.py printed no JSON object")
        }
        var folder = Folder()
        for file in json["files"] as? [[String: Any]] ?? [] {
            folder.files.append(File(
                name: file["name"] as? String ?? "", fileVersion: file["file_version"] as? String,
                sessionStarts: (file["session_starts"] as? [NSNumber] ?? []).map(\.intValue)))
        }
        folder.problems = json["problems"] as? [String] ?? ["no problems list"]
        let views = json["views"] as? [String: Any] ?? [:]
        for name in viewNames {
            guard let entry = views[name] as? [String: Any] else {
                throw Failure(description: "Tools/read_events.py gave no \(name) view (the data server comes with pip's tensorboard-data-server)")
            }
            var view = View()
            for (tag, points) in entry["scalars"] as? [String: [[NSNumber]]] ?? [:] {
                view.scalars[tag] = points.map { ($0[0].intValue, Float($0[1].doubleValue)) }
            }
            for (tag, points) in entry["texts"] as? [String: [[Any]]] ?? [:] {
                view.texts[tag] = points.map { (($0[0] as? NSNumber)?.intValue ?? -1, $0[1] as? String ?? "") }
            }
            folder.views[name] = view
        }
        return folder
    }
}
