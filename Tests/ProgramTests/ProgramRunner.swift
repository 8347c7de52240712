import Foundation

/// Runs the built programs and captures what they print.
struct ProgramResult {
    let status: Int32
    let output: String
    let errors: String
    /// Terminated by a signal rather than exiting.
    let signaled: Bool
}

enum Programs {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The folder of the built executables: next to the test bundle.
    static let binaries: URL = {
        var url = Bundle.main.bundleURL
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("rnn-train").path) && url.path != "/" {
            url = url.deletingLastPathComponent()
        }
        return url
    }()

    static func fixture(_ name: String) -> String { repository.appendingPathComponent("Fixtures/\(name)").path }

    @discardableResult
    static func run(_ program: String, _ arguments: [String], input: Data? = nil, environment: [String: String] = [:]) throws -> ProgramResult {
        let process = Process()
        process.executableURL = program.hasPrefix("/") ? URL(fileURLWithPath: program) : binaries.appendingPathComponent(program)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inputPipe = Pipe()
        process.standardInput = inputPipe
        try process.run()
        if let input { inputPipe.fileHandleForWriting.write(input) }
        try? inputPipe.fileHandleForWriting.close()
        // Read both pipes concurrently so that neither fills up.
        nonisolated(unsafe) var errorData = Data()
        let reader = Thread { errorData = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let outputData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return ProgramResult(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            errors: String(decoding: errorData, as: UTF8.self), signaled: process.terminationReason == .uncaughtSignal)
    }

    /// Starts a program without waiting for it (output discarded).
    static func start(_ program: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = binaries.appendingPathComponent(program)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs python3 (with numpy and h5py, installed by Tools/install-deps.sh).
    static func runPython(_ arguments: [String]) throws -> ProgramResult {
        try run("/usr/bin/env", ["python3"] + arguments)
    }

    /// Whether python3 imports torch; with CHARRNN_REQUIRE_TORCH=1 (CI) a missing torch fails the
    /// tests that need it instead of skipping them.
    static let torchAvailable: Bool = (try? runPython(["-c", "import torch"]).status) == 0
    static let torchRequired = ProcessInfo.processInfo.environment["CHARRNN_REQUIRE_TORCH"] == "1"

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-program-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
