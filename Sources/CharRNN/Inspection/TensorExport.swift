import Foundation

/// One tensor as a file for other tools: NumPy's `.npy` (format 1.0, little-endian float32,
/// C order) or comma-separated text.
public enum TensorExport {
    public enum FileFormat: String, Sendable {
        case npy, csv

        /// The format a file name asks for by its extension, if any.
        public init?(fileName: String) {
            let lower = fileName.lowercased()
            if lower.hasSuffix(".npy") { self = .npy } else if lower.hasSuffix(".csv") { self = .csv } else { return nil }
        }
    }

    /// The bytes of a `.npy` file, format version 1.0: the magic string, the version, a
    /// little-endian 16-bit header length, a Python dict literal describing dtype, order and
    /// shape padded with spaces and a newline so that the data starts at a multiple of 64 bytes,
    /// then the values.
    public static func npy<C: Collection>(_ values: C, shape: [Int]) -> Data where C.Element == Float {
        precondition(values.count == shape.reduce(1, *), "values do not fill shape \(shape)")
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        let preamble = 10  // magic (6) + version (2) + header length (2)
        let total = preamble + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.reserveCapacity(data.count + values.count * 4)
        for v in values {
            let bits = v.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { data.append(contentsOf: $0) }
        }
        return data
    }

    /// Comma-separated text: one line per row of the last dimension, every leading dimension
    /// flattened into rows (a 1-D tensor is one value per line). Values in the shortest form that
    /// reads back as the same float32; "nan", "inf", "-inf" for non-finite ones (numpy's
    /// `loadtxt` reads them).
    public static func csv<C: Collection>(_ values: C, shape: [Int]) -> Data where C.Element == Float {
        precondition(values.count == shape.reduce(1, *), "values do not fill shape \(shape)")
        let columns = shape.count >= 2 ? shape.last! : 1
        var text = ""
        text.reserveCapacity(values.count * 12)
        var column = 0
        for v in values {
            if column > 0 { text += "," }
            text += v.description
            column += 1
            if column == columns {
                text += "\n"
                column = 0
            }
        }
        return Data(text.utf8)
    }

    /// Writes one tensor to `file` in the format its extension names.
    public static func write(_ tensor: InspectedTensor, to file: String) throws(InspectionError) {
        guard let format = FileFormat(fileName: file) else { throw .unsupportedExport(path: file) }
        let data = format == .npy ? npy(tensor.values, shape: tensor.shape) : csv(tensor.values, shape: tensor.shape)
        try InspectionOutput.write(data, to: file)
    }
}

/// Writing the inspector's files.
public enum InspectionOutput {
    /// Writes `data` to `path` atomically (a temporary file renamed into place), so a failed
    /// write leaves no half file; the error names the path and the reason.
    public static func write(_ data: Data, to path: String) throws(InspectionError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw .cannotWrite(path: path, reason: "the folder \(folder) does not exist")
        }
        if let reason = FileSystem.writeAtomically(data, to: path) { throw .cannotWrite(path: path, reason: reason) }
    }

    public static func write(_ text: String, to path: String) throws(InspectionError) {
        try write(Data(text.utf8), to: path)
    }
}
