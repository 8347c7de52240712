import CHDF5
import COpenBLAS
import Foundation

/// A failed libhdf5 call: which call, on which object of which file, and the innermost message
/// of HDF5's error stack.
public struct HDF5Error: Swift.Error, CustomStringConvertible, Sendable {
    public let call: String
    public let object: String
    public let file: String
    public let message: String

    public var description: String {
        "\(file): \(call) failed on \(object)" + (message.isEmpty ? "" : ": \(message)")
    }
}

/// The thin internal layer over libhdf5's C API: files, groups, datasets of float32, int64,
/// uint32 and uint64, and scalar attributes (int64, float64, fixed-length UTF-8 strings).
/// Identifiers never leave this file; every failure becomes an `HDF5Error`.
enum HDF5 {
    /// Turns off HDF5's automatic printing of its error stack (once per process).
    static let silenced: Void = {
        H5Eset_auto2(chdf5_e_default(), nil, nil)
    }()

    /// The innermost description on HDF5's error stack, then clears the stack.
    static func innermostMessage() -> String {
        final class Box { var messages: [String] = [] }
        let box = Box()
        let walker: H5E_walk2_t = { _, description, data in
            guard let description, let data else { return 0 }
            let box = Unmanaged<Box>.fromOpaque(data).takeUnretainedValue()
            if let text = description.pointee.desc { box.messages.append(String(cString: text)) }
            return 0
        }
        _ = withExtendedLifetime(box) {
            H5Ewalk2(chdf5_e_default(), H5E_WALK_UPWARD, walker, Unmanaged.passUnretained(box).toOpaque())
        }
        H5Eclear2(chdf5_e_default())
        let first = box.messages.first ?? ""
        return first.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: " ")
    }

    static func failure(_ call: String, _ object: String, _ file: String) -> HDF5Error {
        HDF5Error(call: call, object: object, file: file, message: innermostMessage())
    }
}

/// What a link in a group points at, and how.
enum HDF5LinkKind { case hard, soft, external, other }
enum HDF5ObjectKind { case group, dataset, other }

/// Everything about a dataset that can be checked before its data is read.
struct HDF5DatasetInfo: Equatable {
    enum TypeClass { case integer, float, string, other }
    /// The file types a checkpoint's datasets may have, compared with `H5Tequal` (every field:
    /// size, order, precision, offset, padding, sign or the float's bit layout). Reading a type
    /// equal to the native memory type copies bytes without libhdf5's conversion code.
    enum StandardType { case float32LE, int64LE, uint32LE, uint64LE }
    var typeClass: TypeClass
    /// The standard type the file type equals, if any.
    var standardType: StandardType?
    var typeSize: Int
    var littleEndian: Bool
    var signed: Bool
    var variableLength: Bool
    var shape: [Int]
    /// A simple dataspace (not scalar, not null) whose maximum extent is its extent.
    var fixedSimpleSpace: Bool
    /// Compact or contiguous storage (not chunked, not virtual).
    var plainLayout: Bool
    var filterCount: Int
    var externalFileCount: Int
    /// Bytes actually stored in the file for the data.
    var storageSize: Int
}

/// An open HDF5 file. Close it explicitly to learn whether closing (flushing) worked.
final class HDF5File {
    let path: String
    private var id: hid_t

    private init(path: String, id: hid_t) {
        self.path = path
        self.id = id
    }

    /// File access with the strong close degree: closing the file closes everything in it.
    /// Files are written in HDF5's 1.8 format, whose superblock and object headers carry
    /// checksums, so that damaged metadata is refused by libhdf5 itself (readable by libhdf5 1.8
    /// and later, h5py included).
    private static func accessList(forWriting: Bool = false) -> hid_t {
        let fapl = H5Pcreate(chdf5_p_file_access())
        if fapl >= 0 {
            H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG)
            if forWriting { H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) }
        }
        return fapl
    }

    /// Where the core driver's memory goes: we allocate it, and keep it when the file is closed.
    final class ImageCapture {
        var pointer: UnsafeMutableRawPointer?
        var allocated = 0
        var captured: UnsafeMutableRawPointer?
        deinit { free(captured) }
    }

    private var capture: ImageCapture?

    /// Creates a file in memory (HDF5's core driver, no backing store): nothing touches the disk.
    /// `closeCapturingImage()` then gives the bytes of the finished file, which the caller writes
    /// itself, so that every I/O error is its own to report: libhdf5 1.10 does not survive a
    /// failed write (a later close or its exit-time cleanup crashes). `sizeHint` sizes the buffer
    /// so that it is allocated once.
    static func createInMemory(named name: String, sizeHint: Int) throws(HDF5Error) -> HDF5File {
        _ = HDF5.silenced
        let fapl = accessList(forWriting: true)
        defer { if fapl >= 0 { H5Pclose(fapl) } }
        let capture = ImageCapture()
        var callbacks = H5FD_file_image_callbacks_t()
        callbacks.image_malloc = { size, _, udata in
            let capture = Unmanaged<ImageCapture>.fromOpaque(udata!).takeUnretainedValue()
            capture.allocated = size
            capture.pointer = malloc(max(size, 1))
            return capture.pointer
        }
        callbacks.image_memcpy = { destination, source, size, _, _ in
            guard let destination, let source else { return destination }
            return memcpy(destination, source, size)
        }
        callbacks.image_realloc = { pointer, size, _, udata in
            let capture = Unmanaged<ImageCapture>.fromOpaque(udata!).takeUnretainedValue()
            capture.allocated = size
            capture.pointer = realloc(pointer, max(size, 1))
            return capture.pointer
        }
        callbacks.image_free = { pointer, operation, udata in
            let capture = Unmanaged<ImageCapture>.fromOpaque(udata!).takeUnretainedValue()
            if operation == H5FD_FILE_IMAGE_OP_FILE_CLOSE && pointer == capture.pointer {
                capture.captured = pointer
            } else {
                free(pointer)
            }
            return 0
        }
        callbacks.udata_copy = { $0 }
        callbacks.udata_free = { _ in 0 }
        callbacks.udata = Unmanaged.passUnretained(capture).toOpaque()
        if fapl < 0 || H5Pset_fapl_core(fapl, max(1 << 20, sizeHint), false) < 0
            || H5Pset_file_image_callbacks(fapl, &callbacks) < 0
        {
            throw HDF5.failure("H5Pset_fapl_core", "/", name)
        }
        let id = H5Fcreate(name, chdf5_f_acc_trunc(), chdf5_p_default(), fapl)
        if id < 0 { throw HDF5.failure("H5Fcreate", "/", name) }
        let file = HDF5File(path: name, id: id)
        file.capture = capture
        return file
    }

    /// Closes an in-memory file and returns the bytes of the finished file: the buffer the core
    /// driver hands back at close, cut to the end-of-file address its superblock records
    /// (superblock version 2, 8-byte addresses, as `accessList(forWriting:)` makes them).
    func closeCapturingImage() throws(HDF5Error) -> [UInt8] {
        guard let capture else { preconditionFailure("not an in-memory file") }
        try close()
        guard let image = capture.captured else {
            throw HDF5Error(call: "H5Fclose", object: "/", file: path, message: "the core driver kept no image")
        }
        let raw = UnsafeRawBufferPointer(start: image, count: capture.allocated)
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        guard raw.count >= 48, Array(raw[0..<8]) == signature, raw[8] == 2, raw[9] == 8 else {
            throw HDF5Error(call: "H5Fclose", object: "/", file: path, message: "unexpected superblock in the file image")
        }
        let end = Int(raw.loadUnaligned(fromByteOffset: 28, as: UInt64.self).littleEndian)
        guard end >= 48 && end <= raw.count else {
            throw HDF5Error(call: "H5Fclose", object: "/", file: path, message: "end of file \(end) outside the image of \(raw.count) bytes")
        }
        return Array(raw[0..<end])
    }

    /// Opens a file read-only. The corresponding C function is `H5Fopen`.
    static func open(_ path: String) throws(HDF5Error) -> HDF5File {
        _ = HDF5.silenced
        let fapl = accessList()
        defer { if fapl >= 0 { H5Pclose(fapl) } }
        let id = H5Fopen(path, chdf5_f_acc_rdonly(), fapl)
        if id < 0 { throw HDF5.failure("H5Fopen", "/", path) }
        return HDF5File(path: path, id: id)
    }

    func close() throws(HDF5Error) {
        guard id >= 0 else { return }
        let status = H5Fclose(id)
        id = -1
        if status < 0 { throw HDF5.failure("H5Fclose", "/", path) }
    }

    deinit { if id >= 0 { H5Fclose(id) } }

    var root: HDF5Group { HDF5Group(locationID: id, path: "/", file: path, owned: false) }
}

/// A group (or the file's root). Names are relative to it.
final class HDF5Group {
    let id: hid_t
    let path: String
    let file: String
    private let owned: Bool

    init(locationID: hid_t, path: String, file: String, owned: Bool) {
        id = locationID
        self.path = path
        self.file = file
        self.owned = owned
    }

    deinit { if owned { H5Gclose(id) } }

    func child(_ name: String) -> String { path == "/" ? "/" + name : path + "/" + name }

    private func failure(_ call: String, _ name: String? = nil) -> HDF5Error {
        HDF5.failure(call, name.map(child) ?? path, file)
    }

    // MARK: Structure

    func createGroup(_ name: String) throws(HDF5Error) -> HDF5Group {
        let g = H5Gcreate2(id, name, chdf5_p_default(), chdf5_p_default(), chdf5_p_default())
        if g < 0 { throw failure("H5Gcreate2", name) }
        return HDF5Group(locationID: g, path: child(name), file: file, owned: true)
    }

    func openGroup(_ name: String) throws(HDF5Error) -> HDF5Group {
        let g = H5Gopen2(id, name, chdf5_p_default())
        if g < 0 { throw failure("H5Gopen2", name) }
        return HDF5Group(locationID: g, path: child(name), file: file, owned: true)
    }

    /// The links of this group and their kinds, in name order.
    ///
    /// Listed with `H5Literate` in the name index's native order, then sorted here: asking libhdf5
    /// for names in increasing order (`H5Lget_name_by_idx` with `H5_ITER_INC`) makes it build a
    /// table of every link of a densely stored group, and libhdf5 1.10 frees that table's
    /// unfilled entries when a damaged link stops the building (`free(): invalid pointer` in
    /// `H5G__link_release_table`). The native order walks the B-tree without a table.
    func links() throws(HDF5Error) -> [(name: String, kind: HDF5LinkKind)] {
        var info = H5G_info_t()
        if H5Gget_info(id, &info) < 0 { throw failure("H5Gget_info") }
        guard info.nlinks <= Self.maximumLinks else {
            throw HDF5Error(call: "H5Gget_info", object: path, file: file, message: "\(info.nlinks) links")
        }
        final class Box { var links: [(name: String, kind: HDF5LinkKind)] = []; var tooLong = false }
        let box = Box()
        let visit: H5L_iterate_t = { _, name, linkInfo, data in
            guard let name, let linkInfo, let data else { return -1 }
            let box = Unmanaged<Box>.fromOpaque(data).takeUnretainedValue()
            let length = strnlen(name, 4097)
            guard length <= 4096, box.links.count < HDF5Group.maximumLinks else { box.tooLong = true; return -1 }
            let kind: HDF5LinkKind
            switch linkInfo.pointee.type {
            case H5L_TYPE_HARD: kind = .hard
            case H5L_TYPE_SOFT: kind = .soft
            case H5L_TYPE_EXTERNAL: kind = .external
            default: kind = .other
            }
            let bytes = UnsafeRawBufferPointer(start: name, count: length)
            box.links.append((String(decoding: bytes, as: UTF8.self), kind))
            return 0
        }
        var index: hsize_t = 0
        let status = withExtendedLifetime(box) {
            H5Literate(id, H5_INDEX_NAME, H5_ITER_NATIVE, &index, visit, Unmanaged.passUnretained(box).toOpaque())
        }
        if box.tooLong {
            throw HDF5Error(call: "H5Literate", object: path, file: file, message: "a link name or count beyond any checkpoint's")
        }
        if status < 0 { throw failure("H5Literate") }
        guard box.links.count == Int(info.nlinks) else {
            throw HDF5Error(call: "H5Literate", object: path, file: file, message: "\(box.links.count) links listed of \(info.nlinks)")
        }
        return box.links.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
    }

    static let maximumLinks = 100_000

    /// The names of the links in this group, in name order.
    func linkNames() throws(HDF5Error) -> [String] {
        try links().map(\.name)
    }

    func hasLink(_ name: String) -> Bool {
        let result = H5Lexists(id, name, chdf5_p_default())
        if result < 0 { H5Eclear2(chdf5_e_default()) }
        return result > 0
    }

    func linkKind(_ name: String) throws(HDF5Error) -> HDF5LinkKind {
        var info = H5L_info_t()
        if H5Lget_info(id, name, &info, chdf5_p_default()) < 0 { throw failure("H5Lget_info", name) }
        switch info.type {
        case H5L_TYPE_HARD: return .hard
        case H5L_TYPE_SOFT: return .soft
        case H5L_TYPE_EXTERNAL: return .external
        default: return .other
        }
    }

    /// How many hard links lead to the object `name` names (1 in every file this toolkit writes:
    /// a second link would let one tensor's data stand for another's). Only call for hard links.
    func linkCount(_ name: String) throws(HDF5Error) -> Int {
        var info = H5O_info_t()
        if H5Oget_info_by_name2(id, name, &info, UInt32(H5O_INFO_BASIC), chdf5_p_default()) < 0 {
            throw failure("H5Oget_info_by_name2", name)
        }
        return Int(info.rc)
    }

    /// Only call for hard links: following a soft or external link is what the caller avoids.
    func objectKind(_ name: String) throws(HDF5Error) -> HDF5ObjectKind {
        var info = H5O_info_t()
        if H5Oget_info_by_name2(id, name, &info, UInt32(H5O_INFO_BASIC), chdf5_p_default()) < 0 {
            throw failure("H5Oget_info_by_name2", name)
        }
        switch info.type {
        case H5O_TYPE_GROUP: return .group
        case H5O_TYPE_DATASET: return .dataset
        default: return .other
        }
    }

    // MARK: Datasets

    private func writeDataset(
        _ name: String, shape: [Int], fileType: hid_t, memoryType: hid_t, data: UnsafeRawPointer
    ) throws(HDF5Error) {
        let dims = shape.map { hsize_t($0) }
        let space = dims.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil)
        if space < 0 { throw failure("H5Screate_simple", name) }
        defer { H5Sclose(space) }
        let dataset = H5Dcreate2(id, name, fileType, space, chdf5_p_default(), chdf5_p_default(), chdf5_p_default())
        if dataset < 0 { throw failure("H5Dcreate2", name) }
        defer { H5Dclose(dataset) }
        if shape.reduce(1, *) > 0,
            H5Dwrite(dataset, memoryType, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), data) < 0
        {
            throw failure("H5Dwrite", name)
        }
    }

    private func writeArray<T>(
        _ values: [T], _ name: String, shape: [Int], fileType: hid_t, memoryType: hid_t
    ) throws(HDF5Error) {
        precondition(values.count == shape.reduce(1, *), "\(name): values do not fill shape \(shape)")
        var thrown: HDF5Error?
        values.withUnsafeBytes { p in
            do throws(HDF5Error) {
                try writeDataset(
                    name, shape: shape, fileType: fileType, memoryType: memoryType,
                    data: p.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!)
            } catch { thrown = error }
        }
        if let thrown { throw thrown }
        try setAttribute(Self.checksumAttribute, Int64(CRC32C.checksum(of: values)), on: name)
    }

    /// Every dataset carries the CRC-32C of its data bytes (little-endian) in this attribute.
    static let checksumAttribute = "crc32c"

    func write(_ values: [Float], _ name: String, shape: [Int]) throws(HDF5Error) {
        try writeArray(values, name, shape: shape, fileType: chdf5_t_ieee_f32le(), memoryType: chdf5_t_native_float())
    }

    func write(_ values: [Int64], _ name: String, shape: [Int]) throws(HDF5Error) {
        try writeArray(values, name, shape: shape, fileType: chdf5_t_std_i64le(), memoryType: chdf5_t_native_int64())
    }

    func write(_ values: [UInt32], _ name: String, shape: [Int]) throws(HDF5Error) {
        try writeArray(values, name, shape: shape, fileType: chdf5_t_std_u32le(), memoryType: chdf5_t_native_uint32())
    }

    func write(_ values: [UInt64], _ name: String, shape: [Int]) throws(HDF5Error) {
        try writeArray(values, name, shape: shape, fileType: chdf5_t_std_u64le(), memoryType: chdf5_t_native_uint64())
    }

    /// Type, shape and storage of a dataset, read from its header without touching its data.
    func datasetInfo(_ name: String) throws(HDF5Error) -> HDF5DatasetInfo {
        let dataset = H5Dopen2(id, name, chdf5_p_default())
        if dataset < 0 { throw failure("H5Dopen2", name) }
        defer { H5Dclose(dataset) }
        let type = H5Dget_type(dataset)
        if type < 0 { throw failure("H5Dget_type", name) }
        defer { H5Tclose(type) }
        let space = H5Dget_space(dataset)
        if space < 0 { throw failure("H5Dget_space", name) }
        defer { H5Sclose(space) }
        let plist = H5Dget_create_plist(dataset)
        if plist < 0 { throw failure("H5Dget_create_plist", name) }
        defer { H5Pclose(plist) }

        let typeClass: HDF5DatasetInfo.TypeClass
        switch H5Tget_class(type) {
        case H5T_INTEGER: typeClass = .integer
        case H5T_FLOAT: typeClass = .float
        case H5T_STRING: typeClass = .string
        default: typeClass = .other
        }
        let variable = typeClass == .string ? H5Tis_variable_str(type) != 0 : false
        var standardType: HDF5DatasetInfo.StandardType?
        for (candidate, standard) in [
            (chdf5_t_ieee_f32le(), HDF5DatasetInfo.StandardType.float32LE), (chdf5_t_std_i64le(), .int64LE),
            (chdf5_t_std_u32le(), .uint32LE), (chdf5_t_std_u64le(), .uint64LE),
        ] where H5Tequal(type, candidate) > 0 {
            standardType = standard
        }
        H5Eclear2(chdf5_e_default())
        let rank = H5Sget_simple_extent_ndims(space)
        if rank < 0 || rank > 32 { throw failure("H5Sget_simple_extent_ndims", name) }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        var maximum = [hsize_t](repeating: 0, count: Int(rank))
        if rank > 0 && H5Sget_simple_extent_dims(space, &dims, &maximum) < 0 {
            throw failure("H5Sget_simple_extent_dims", name)
        }
        let layout = H5Pget_layout(plist)
        let filters = H5Pget_nfilters(plist)
        let externals = H5Pget_external_count(plist)
        return HDF5DatasetInfo(
            typeClass: typeClass, standardType: standardType, typeSize: H5Tget_size(type),
            littleEndian: typeClass == .integer || typeClass == .float ? H5Tget_order(type) == H5T_ORDER_LE : true,
            signed: typeClass == .integer ? H5Tget_sign(type) == H5T_SGN_2 : true,
            variableLength: variable, shape: dims.map { Int(clamping: $0) },
            fixedSimpleSpace: H5Sget_simple_extent_type(space) == H5S_SIMPLE && dims == maximum,
            plainLayout: layout == H5D_CONTIGUOUS || layout == H5D_COMPACT,
            filterCount: Int(filters), externalFileCount: Int(externals),
            storageSize: Int(clamping: H5Dget_storage_size(dataset)))
    }

    /// Reads a whole dataset into a buffer of `count` elements this side allocates, converting
    /// to the native memory type.
    private func readDataset<T>(_ name: String, count: Int, memoryType: hid_t, zero: T) throws(HDF5Error) -> [T] {
        let dataset = H5Dopen2(id, name, chdf5_p_default())
        if dataset < 0 { throw failure("H5Dopen2", name) }
        defer { H5Dclose(dataset) }
        let space = H5Dget_space(dataset)
        if space < 0 { throw failure("H5Dget_space", name) }
        let points = H5Sget_simple_extent_npoints(space)
        H5Sclose(space)
        guard points == count else {
            throw HDF5Error(call: "H5Dread", object: child(name), file: file, message: "holds \(points) values, \(count) expected")
        }
        var values = [T](repeating: zero, count: count)
        if count == 0 { return values }
        let status = values.withUnsafeMutableBytes {
            H5Dread(dataset, memoryType, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), $0.baseAddress)
        }
        if status < 0 { throw failure("H5Dread", name) }
        return values
    }

    func readFloats(_ name: String, count: Int) throws(HDF5Error) -> [Float] {
        try readDataset(name, count: count, memoryType: chdf5_t_native_float(), zero: Float(0))
    }

    func readInt64s(_ name: String, count: Int) throws(HDF5Error) -> [Int64] {
        try readDataset(name, count: count, memoryType: chdf5_t_native_int64(), zero: Int64(0))
    }

    func readUInt32s(_ name: String, count: Int) throws(HDF5Error) -> [UInt32] {
        try readDataset(name, count: count, memoryType: chdf5_t_native_uint32(), zero: UInt32(0))
    }

    func readUInt64s(_ name: String, count: Int) throws(HDF5Error) -> [UInt64] {
        try readDataset(name, count: count, memoryType: chdf5_t_native_uint64(), zero: UInt64(0))
    }

    // MARK: Attributes (on this group, or on the object `on` names within it)

    private func writeAttribute(
        _ name: String, on object: String, fileType: hid_t, memoryType: hid_t, data: UnsafeRawPointer
    ) throws(HDF5Error) {
        let space = H5Screate(H5S_SCALAR)
        if space < 0 { throw failure("H5Screate", object) }
        defer { H5Sclose(space) }
        let attribute = H5Acreate_by_name(
            id, object, name, fileType, space, chdf5_p_default(), chdf5_p_default(), chdf5_p_default())
        if attribute < 0 { throw HDF5.failure("H5Acreate_by_name", attributePath(name, on: object), file) }
        defer { H5Aclose(attribute) }
        if H5Awrite(attribute, memoryType, data) < 0 {
            throw HDF5.failure("H5Awrite", attributePath(name, on: object), file)
        }
    }

    func attributePath(_ name: String, on object: String) -> String {
        (object == "." ? path : child(object)) + "@" + name
    }

    func setAttribute(_ name: String, _ value: Int64, on object: String = ".") throws(HDF5Error) {
        var v = value
        try writeAttribute(name, on: object, fileType: chdf5_t_std_i64le(), memoryType: chdf5_t_native_int64(), data: &v)
    }

    func setAttribute(_ name: String, _ value: Double, on object: String = ".") throws(HDF5Error) {
        var v = value
        try writeAttribute(name, on: object, fileType: chdf5_t_ieee_f64le(), memoryType: chdf5_t_native_double(), data: &v)
    }

    /// A fixed-length UTF-8 string (never variable-length: see the checkpoint format).
    func setAttribute(_ name: String, _ value: String, on object: String = ".") throws(HDF5Error) {
        let bytes = Array(value.utf8)
        let type = H5Tcopy(chdf5_t_c_s1())
        if type < 0 { throw failure("H5Tcopy", object) }
        defer { H5Tclose(type) }
        H5Tset_size(type, max(1, bytes.count))
        H5Tset_cset(type, H5T_CSET_UTF8)
        H5Tset_strpad(type, H5T_STR_NULLPAD)
        let padded = bytes.isEmpty ? [UInt8(0)] : bytes
        var thrown: HDF5Error?
        padded.withUnsafeBytes { p in
            do throws(HDF5Error) {
                try writeAttribute(name, on: object, fileType: type, memoryType: type, data: p.baseAddress!)
            } catch { thrown = error }
        }
        if let thrown { throw thrown }
    }

    func hasAttribute(_ name: String, on object: String = ".") -> Bool {
        let result = H5Aexists_by_name(id, object, name, chdf5_p_default())
        if result < 0 { H5Eclear2(chdf5_e_default()) }
        return result > 0
    }

    /// Everything libhdf5 tells about an object's header (`H5O_INFO_ALL`, as h5py asks for it:
    /// this reads the header, and the heaps and B-trees of its attributes), and its number of
    /// attributes.
    func objectHeaderAttributeCount(_ name: String = ".") throws(HDF5Error) -> Int {
        var info = H5O_info_t()
        if H5Oget_info_by_name2(id, name, &info, UInt32(H5O_INFO_BASIC | H5O_INFO_TIME | H5O_INFO_NUM_ATTRS | H5O_INFO_HDR | H5O_INFO_META_SIZE), chdf5_p_default()) < 0 {
            throw HDF5.failure("H5Oget_info_by_name2", name == "." ? path : child(name), file)
        }
        return Int(clamping: info.num_attrs)
    }

    /// The names of the attributes of the object `object` names (in the index's native order,
    /// for the reason given at `links()`); listing decodes every attribute's header.
    func attributeNames(on object: String = ".") throws(HDF5Error) -> [String] {
        final class Box { var names: [String] = []; var tooMany = false }
        let box = Box()
        let visit: H5A_operator2_t = { _, name, _, data in
            guard let name, let data else { return -1 }
            let box = Unmanaged<Box>.fromOpaque(data).takeUnretainedValue()
            let length = strnlen(name, 4097)
            guard length <= 4096, box.names.count < HDF5Group.maximumLinks else { box.tooMany = true; return -1 }
            box.names.append(String(decoding: UnsafeRawBufferPointer(start: name, count: length), as: UTF8.self))
            return 0
        }
        var index: hsize_t = 0
        let status = withExtendedLifetime(box) {
            H5Aiterate_by_name(
                id, object, H5_INDEX_NAME, H5_ITER_NATIVE, &index, visit, Unmanaged.passUnretained(box).toOpaque(),
                chdf5_p_default())
        }
        if box.tooMany {
            throw HDF5Error(call: "H5Aiterate_by_name", object: object == "." ? path : child(object), file: file, message: "an attribute name or count beyond any checkpoint's")
        }
        if status < 0 { throw HDF5.failure("H5Aiterate_by_name", object == "." ? path : child(object), file) }
        return box.names.sorted()
    }

    /// Opens an attribute and checks, before reading it, that it is a scalar of the given class
    /// and, when given, equal to the given standard file type (which is then read without
    /// conversion).
    private func withAttribute<T>(
        _ name: String, on object: String, expecting expected: H5T_class_t, exactly standard: hid_t? = nil,
        _ body: (hid_t, hid_t) throws(HDF5Error) -> T
    ) throws(HDF5Error) -> T {
        let where_ = attributePath(name, on: object)
        let attribute = H5Aopen_by_name(id, object, name, chdf5_p_default(), chdf5_p_default())
        if attribute < 0 { throw HDF5.failure("H5Aopen_by_name", where_, file) }
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        if type < 0 { throw HDF5.failure("H5Aget_type", where_, file) }
        defer { H5Tclose(type) }
        let space = H5Aget_space(attribute)
        if space < 0 { throw HDF5.failure("H5Aget_space", where_, file) }
        let scalar = H5Sget_simple_extent_type(space) == H5S_SCALAR
        H5Sclose(space)
        let typeClass = H5Tget_class(type)
        guard typeClass == expected, scalar, standard.map({ H5Tequal(type, $0) > 0 }) ?? true else {
            H5Eclear2(chdf5_e_default())
            throw HDF5Error(call: "H5Aread", object: where_, file: file, message: "not a scalar of the expected type")
        }
        if typeClass == H5T_STRING && H5Tis_variable_str(type) != 0 {
            throw HDF5Error(call: "H5Aread", object: where_, file: file, message: "variable-length strings are not accepted")
        }
        return try body(attribute, type)
    }

    func int64Attribute(_ name: String, on object: String = ".") throws(HDF5Error) -> Int64 {
        try withAttribute(name, on: object, expecting: H5T_INTEGER, exactly: chdf5_t_std_i64le()) { (attribute, _) throws(HDF5Error) in
            var value: Int64 = 0
            if H5Aread(attribute, chdf5_t_native_int64(), &value) < 0 {
                throw HDF5.failure("H5Aread", attributePath(name, on: object), file)
            }
            return value
        }
    }

    func doubleAttribute(_ name: String, on object: String = ".") throws(HDF5Error) -> Double {
        try withAttribute(name, on: object, expecting: H5T_FLOAT, exactly: chdf5_t_ieee_f64le()) { (attribute, _) throws(HDF5Error) in
            var value = 0.0
            if H5Aread(attribute, chdf5_t_native_double(), &value) < 0 {
                throw HDF5.failure("H5Aread", attributePath(name, on: object), file)
            }
            return value
        }
    }

    /// Strings up to 64 KiB; NUL padding is dropped.
    func stringAttribute(_ name: String, on object: String = ".") throws(HDF5Error) -> String {
        try withAttribute(name, on: object, expecting: H5T_STRING) { (attribute, type) throws(HDF5Error) in
            let size = H5Tget_size(type)
            guard size >= 1 && size <= 65536 else {
                throw HDF5Error(call: "H5Aread", object: attributePath(name, on: object), file: file, message: "string of \(size) bytes")
            }
            let memoryType = H5Tcopy(chdf5_t_c_s1())
            defer { H5Tclose(memoryType) }
            H5Tset_size(memoryType, size)
            H5Tset_strpad(memoryType, H5T_STR_NULLPAD)
            H5Tset_cset(memoryType, H5Tget_cset(type) == H5T_CSET_UTF8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII)
            var bytes = [UInt8](repeating: 0, count: size)
            if H5Aread(attribute, memoryType, &bytes) < 0 {
                throw HDF5.failure("H5Aread", attributePath(name, on: object), file)
            }
            while let last = bytes.last, last == 0 { bytes.removeLast() }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw HDF5Error(call: "H5Aread", object: attributePath(name, on: object), file: file, message: "not valid UTF-8")
            }
            return text
        }
    }
}

/// Runs libhdf5's work on an untrusted file first in a forked child process (a rehearsal), so
/// that a crash or a hang inside libhdf5 kills the child, not the program.
///
/// libhdf5 1.10 frees memory it never initialised when it fails to decode some damaged object
/// headers: the link tables built to list a group (`H5G__link_release_table`), the attribute
/// tables built to list an object's attributes (`H5A__attr_release_table`), and attribute
/// messages left half-decoded, which it frees when the file is closed (`H5A__close` under
/// `H5F_try_close`). No check made before opening the file can rule these out, since they are
/// reached by decoding the headers the checks need. The rehearsal runs the whole procedure
/// (opening, every check and every read) in the child; the caller repeats it only when the
/// child finished normally, and reports a crash or a timeout as a damaged file otherwise.
///
/// Costs one `fork` and the work twice. `CHARRNN_HDF5_REHEARSAL=0` in the environment turns it
/// off (to debug libhdf5 in-process).
enum HDF5Rehearsal {
    /// What became of the child.
    enum Outcome: Equatable {
        /// It finished: the body's status and message.
        case finished(status: Int32, message: String)
        /// It was killed by this signal (libhdf5 crashed).
        case crashed(signal: Int32)
        /// It ran past the deadline and was killed.
        case timedOut(seconds: Double)
        /// No rehearsal was made (turned off, already inside a child, or fork failed).
        case skipped
    }

    /// True in the child, whose own nested reads need no rehearsal.
    nonisolated(unsafe) static var inChild = false

    static var enabled: Bool {
        !inChild && ProcessInfo.processInfo.environment["CHARRNN_HDF5_REHEARSAL"] != "0" && noThreadsOfOurs
    }

    /// Whether the process runs no threads besides the main one and OpenBLAS's idle server
    /// threads (started when the library loads: at most one fewer than the processors, or than
    /// the threads it was told to use). A child forked from a process whose other threads run Swift code inherits
    /// every lock they held at that moment and can wait for ever on one: test runners met that.
    /// The programs read their checkpoints before they start threads, so they are guarded; a
    /// read from within a running training loop or a test runner is not.
    static var noThreadsOfOurs: Bool {
        #if os(Linux)
            guard let directory = opendir("/proc/self/task") else { return false }
            defer { closedir(directory) }
            var threads = 0
            while let entry = readdir(directory) {
                if entry.pointee.d_name.0 != UInt8(ascii: ".") { threads += 1 }
            }
            return threads <= max(1, Int(openblas_get_num_procs()), Int(openblas_get_num_threads()))
        #else
            return false
        #endif
    }

    /// The time a child gets: generous for large files (the body reads all their data); a small
    /// checkpoint takes milliseconds.
    static func deadline(forFileOfSize size: Int) -> Double { 5 + Double(size) / 25_000_000 }

    /// The address space a child may grow by: room for reading the file's data a few times over.
    /// A crafted B-tree or heap header can make libhdf5 allocate and clear gigabytes before it
    /// notices anything wrong (`H5B2__hdr_init`); under the limit the allocation fails at once.
    static func memoryAllowance(forFileOfSize size: Int) -> Int { (1 << 30) + 4 * size }

    /// Forks; the child runs `body` (a status and a short message for the parent), with its
    /// standard output and error sent to /dev/null, crashes left to the default action (no
    /// backtrace) and its address space limited to what it has plus `allowance` bytes, and
    /// leaves with `_exit`. The corresponding C function is `fork`.
    static func run(
        deadline seconds: Double, memory allowance: Int, _ body: () -> (status: Int32, message: String)
    ) -> Outcome {
        guard enabled else { return .skipped }
        var fds: [Int32] = [-1, -1]
        // Close-on-exec: a program another thread starts meanwhile must not hold the pipe open.
        // The address space now (the first field of /proc/self/statm, in pages) plus the allowance.
        let addressSpace = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))
            .flatMap { Int($0.prefix { $0.isNumber }) }
            .map { $0 * Int(sysconf(Int32(_SC_PAGESIZE))) + allowance }
        guard pipe(&fds) == 0 else { return .skipped }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let pid = fork()
        if pid < 0 {
            close(fds[0])
            close(fds[1])
            return .skipped
        }
        if pid == 0 {
            inChild = true
            close(fds[0])
            let null = open("/dev/null", O_RDWR)
            if null >= 0 {
                dup2(null, 1)
                dup2(null, 2)
            }
            for sig in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS] { signal(sig, SIG_DFL) }
            if let addressSpace {
                var limit = rlimit(rlim_cur: rlim_t(addressSpace), rlim_max: rlim_t(addressSpace))
                setrlimit(RLIMIT_AS_VALUE, &limit)
            }
            let (status, message) = body()
            let bytes = Array(message.utf8.prefix(1 << 20))
            var written = 0
            while written < bytes.count {
                let n = bytes[written...].withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
                if n <= 0 { break }
                written += n
            }
            _exit(status)
        }
        close(fds[1])
        defer { close(fds[0]) }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        let start = Date()
        var message: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        func drain() {
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
                if n <= 0 { return }
                message += buffer[0..<n]
            }
        }
        // Wait for the child itself (not for the pipe's end, which a child forked by another
        // thread meanwhile may still hold), reading its message as it comes.
        var status: Int32 = 0
        var timedOut = false
        while true {
            drain()
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid || (done < 0 && errno != EINTR) { break }
            if Date().timeIntervalSince(start) > seconds {
                timedOut = true
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                break
            }
            var poller = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            _ = poll(&poller, 1, 2)
        }
        drain()
        if timedOut { return .timedOut(seconds: seconds) }
        let signalNumber = status & 0x7F
        if signalNumber != 0 && signalNumber != 0x7F { return .crashed(signal: signalNumber) }
        return .finished(status: (status >> 8) & 0xFF, message: String(decoding: message, as: UTF8.self))
    }

    /// A signal's name: "SIGSEGV".
    static func name(of signal: Int32) -> String {
        switch signal {
        case SIGSEGV: "SIGSEGV"
        case SIGBUS: "SIGBUS"
        case SIGILL: "SIGILL"
        case SIGFPE: "SIGFPE"
        case SIGABRT: "SIGABRT"
        case SIGTRAP: "SIGTRAP"
        case SIGKILL: "SIGKILL"
        default: "signal \(signal)"
        }
    }
}

#if os(Linux)
    private let RLIMIT_AS_VALUE = __rlimit_resource_t(RLIMIT_AS.rawValue)
#else
    private let RLIMIT_AS_VALUE = RLIMIT_AS
#endif
