import Foundation

/// Finding text files and streaming their tokens.
enum TextFiles {
    /// The files a path names: the file itself, or every regular file below a folder (names that
    /// start with a dot are skipped, as are their folders), sorted by path.
    static func list(_ path: String) throws(CorpusError) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw .missingPath(path)
        }
        guard isFolder.boolValue else { return [path] }
        let root = URL(fileURLWithPath: path)
        guard
            let walker = FileManager.default.enumerator(
                at: root, includingPropertiesForKeys: [.isRegularFileKey],
                options: [.skipsHiddenFiles], errorHandler: { _, _ in true })
        else { throw .unreadable(path: path, reason: "cannot list the folder") }
        var files: [String] = []
        for case let url as URL in walker {
            let values = try? url.resourceValues(forKeys: [.isRegularFileKey])
            if values?.isRegularFile == true { files.append(url.path) }
        }
        files.sort()
        if files.isEmpty { throw .noFiles(folder: path) }
        return files
    }

    /// The path with symbolic links and relative parts resolved (for comparing file names).
    static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
    }

    static let chunkSize = 8 << 20

    /// Streams the tokens of a file, chunk by chunk, as code points (or byte values for
    /// `.byte`). Invalid UTF-8 and NUL bytes in text mode are errors with the byte offset.
    static func scan(
        _ path: String, unit: TokenUnit, _ body: (UnsafeBufferPointer<UInt32>) -> Void
    ) throws(CorpusError) {
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: chunkSize + 4)
        var scalars = [UInt32](repeating: 0, count: chunkSize + 4)
        var pending = 0  // bytes of an incomplete sequence carried to the next chunk
        var consumed = 0  // file offset of bytes[0]
        var sawAny = false
        while true {
            let got = bytes.withUnsafeMutableBufferPointer { p in
                read(fd, p.baseAddress! + pending, chunkSize)
            }
            if got < 0 { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
            let available = pending + got
            let atEnd = got == 0
            if available == 0 { break }
            sawAny = true
            var produced = 0
            var position = 0
            let failure: Int? = bytes.withUnsafeBufferPointer { b in
                scalars.withUnsafeMutableBufferPointer { out in
                    if unit == .byte {
                        for i in 0..<available { out[i] = UInt32(b[i]) }
                        produced = available
                        position = available
                        return nil
                    }
                    while position < available {
                        let lead = b[position]
                        if lead < 0x80 {
                            if lead == 0 { return -1 - position }
                            out[produced] = UInt32(lead)
                            produced += 1
                            position += 1
                            continue
                        }
                        let length: Int
                        var low: UInt8 = 0x80, high: UInt8 = 0xBF
                        switch lead {
                        case 0xC2...0xDF: length = 2
                        case 0xE0: length = 3; low = 0xA0
                        case 0xE1...0xEC, 0xEE...0xEF: length = 3
                        case 0xED: length = 3; high = 0x9F
                        case 0xF0: length = 4; low = 0x90
                        case 0xF1...0xF3: length = 4
                        case 0xF4: length = 4; high = 0x8F
                        default: return position
                        }
                        if position + length > available {
                            if atEnd { return position }
                            break  // incomplete: carry over
                        }
                        let second = b[position + 1]
                        if second < low || second > high { return position }
                        var value = UInt32(lead) & (length == 2 ? 0x1F : (length == 3 ? 0x0F : 0x07))
                        value = value << 6 | UInt32(second & 0x3F)
                        for k in 2..<max(length, 2) {
                            let next = b[position + k]
                            if next & 0xC0 != 0x80 { return position }
                            value = value << 6 | UInt32(next & 0x3F)
                        }
                        out[produced] = value
                        produced += 1
                        position += length
                    }
                    return nil
                }
            }
            if let failure {
                // A NUL near the start says "binary file" more usefully than the first bad byte.
                let nul = bytes.prefix(min(available, 8192)).firstIndex(of: 0)
                if failure < 0 || nul != nil {
                    throw .binaryFile(path: path, byteOffset: consumed + (nul ?? (-1 - failure)))
                }
                throw .invalidUTF8(path: path, byteOffset: consumed + failure)
            }
            scalars.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[0..<produced])) }
            pending = available - position
            if pending > 0 {
                for k in 0..<pending { bytes[k] = bytes[position + k] }
            }
            consumed += position
            if atEnd { break }
        }
        if !sawAny { throw .empty(path: path) }
    }
}
