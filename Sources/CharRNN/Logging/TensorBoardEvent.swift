/// One `Event` message of an event file, as TensorBoard's `event.proto`, `summary.proto` and
/// `tensor.proto` define it (field numbers below are theirs).
struct TensorBoardEvent {
    enum Content {
        /// The first record of every file; "brain.Event:2" makes readers honour `sessionStart`.
        case fileVersion
        /// `Summary.Value.simple_value`: the scalars dashboard.
        case scalar(tag: String, value: Float)
        /// A scalar string tensor tagged for the text plugin, as `tensorboard.summary.text` writes it.
        case text(tag: String, value: String)
        /// `SessionLog { status: START }`: readers discard everything logged at this step or later
        /// by earlier files, the data of a run that went on past the checkpoint it is resumed from.
        case sessionStart
    }

    static let fileVersion = "brain.Event:2"

    var wallTime: Double
    var step: Int64
    var content: Content

    var encoded: [UInt8] {
        var event = ProtobufEncoder()
        if wallTime != 0 { event.appendDouble(field: 1, wallTime) }
        if step != 0 { event.appendInt64(field: 2, step) }
        switch content {
        case .fileVersion:
            event.appendString(field: 3, Self.fileVersion)
        case .scalar(let tag, let value):
            event.appendMessage(field: 5) { summary in
                summary.appendMessage(field: 1) { entry in
                    entry.appendString(field: 1, tag)
                    entry.appendFloat(field: 2, value)
                }
            }
        case .text(let tag, let value):
            event.appendMessage(field: 5) { summary in
                summary.appendMessage(field: 1) { entry in
                    entry.appendString(field: 1, tag)
                    entry.appendMessage(field: 8) { tensor in
                        tensor.appendInt64(field: 1, 7)  // dtype: DT_STRING
                        tensor.appendMessage(field: 2) { _ in }  // tensor_shape: a scalar
                        tensor.appendString(field: 8, value)  // string_val
                    }
                    entry.appendMessage(field: 9) { metadata in
                        metadata.appendMessage(field: 1) { plugin in
                            plugin.appendString(field: 1, "text")  // plugin_name
                        }
                    }
                }
            }
        case .sessionStart:
            event.appendMessage(field: 7) { log in
                log.appendInt64(field: 1, 1)  // status: START
            }
        }
        return event.bytes
    }
}
