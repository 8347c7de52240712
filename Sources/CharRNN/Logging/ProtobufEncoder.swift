/// The protocol-buffer wire format, just as much as TensorBoard's event messages need. Callers
/// write fields in field-number order and leave out proto3 defaults themselves, so the bytes equal
/// what protobuf's own serializers produce.
struct ProtobufEncoder {
    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    private(set) var bytes: [UInt8] = []

    /// Seven bits a byte, least significant first, the high bit set on all but the last byte.
    mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    mutating func appendKey(field: Int, _ type: WireType) {
        appendVarint(UInt64(field) << 3 | type.rawValue)
    }

    /// int64, int32 and enum fields: a negative value takes ten bytes (two's complement).
    mutating func appendInt64(field: Int, _ value: Int64) {
        appendKey(field: field, .varint)
        appendVarint(UInt64(bitPattern: value))
    }

    mutating func appendDouble(field: Int, _ value: Double) {
        appendKey(field: field, .fixed64)
        bytes += TFRecord.littleEndianBytes(value.bitPattern)
    }

    mutating func appendFloat(field: Int, _ value: Float) {
        appendKey(field: field, .fixed32)
        bytes += TFRecord.littleEndianBytes(value.bitPattern)
    }

    /// bytes and string fields.
    mutating func appendBytes(field: Int, _ value: some Collection<UInt8>) {
        appendKey(field: field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes += value
    }

    mutating func appendString(field: Int, _ value: String) {
        appendBytes(field: field, Array(value.utf8))
    }

    /// An embedded message, built by `body` (an empty body still marks the field present).
    mutating func appendMessage(field: Int, _ body: (inout ProtobufEncoder) -> Void) {
        var inner = ProtobufEncoder()
        body(&inner)
        appendBytes(field: field, inner.bytes)
    }
}
