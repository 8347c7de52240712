import Foundation
import Testing

@testable import CharRNN

/// The TensorBoard event-file encoding: checksums and protobuf bytes against known answers (the
/// event bytes were produced by TensorBoard's own protobuf classes).
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

    // MARK: - Helpers

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
}
