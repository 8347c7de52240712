/// TFRecord framing, the container of TensorBoard event files: each record is
/// `length` (UInt64, little-endian), the masked CRC-32C of those 8 bytes, the data, and the
/// masked CRC-32C of the data.
enum TFRecord {
    /// TensorFlow masks stored CRCs because a CRC of data that itself holds CRCs is weak:
    /// rotate right by 15 bits and add a constant.
    static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    static func maskedChecksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        masked(CRC32C.checksum(bytes))
    }

    /// Appends one framed record to `output`.
    static func append(_ data: [UInt8], to output: inout [UInt8]) {
        let length = littleEndianBytes(UInt64(data.count))
        output += length
        output += littleEndianBytes(maskedChecksum(length))
        output += data
        output += littleEndianBytes(maskedChecksum(data))
    }

    static func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<T.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}
