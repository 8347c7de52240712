import Foundation

@testable import CharRNN

/// Paths of the repository, found from this file's location.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// Runs `Tools/reference.py` (numpy) on a JSON request and returns its JSON answer.
enum NumpyReference {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func run(_ mode: String, _ request: [String: Any]) throws -> [String: Any] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-ref-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("in.json"), output = folder.appendingPathComponent("out.json")
        try JSONSerialization.data(withJSONObject: request).write(to: input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Repository.path("Tools/reference.py"), mode, input.path, output.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "Tools/reference.py failed (python3 with numpy is needed): \(String(decoding: message, as: UTF8.self))")
        }
        let answer = try JSONSerialization.jsonObject(with: Data(contentsOf: output))
        guard let dictionary = answer as? [String: Any] else { throw Failure(description: "unexpected reference output") }
        return dictionary
    }
}

extension Array where Element == Any {
    var doubles: [Double] { map { ($0 as! NSNumber).doubleValue } }
}
