#!/usr/bin/env python3
"""read_events.py - read a TensorBoard log folder with TensorBoard's own code and print JSON.

Checks the bytes and shows what each of TensorBoard's readers makes of them:

- "files": every event file, record by record: TFRecord framing and masked CRC-32C checked with
  TensorBoard's checksum code, each record parsed as a tensorboard.Event and serialized back, which
  must give the same bytes (field numbers, wire types and field order as protobuf's own);
- "views": the folder as loaded by
  - "event_accumulator": backend.event_processing.event_accumulator.EventAccumulator, the classic
    reader scripts use (it purges orphaned scalars but never tensors, so not text);
  - "plugin_event_accumulator": what the `tensorboard` server loads with --load_fast=false;
  - "data_server": the Rust data server (tensorboard-data-server), what `tensorboard` loads by
    default; null when its binary is not installed.
  Each keeps every record (no sampling) and purges orphaned data as TensorBoard does.

Output (one JSON object on stdout):
    {"tensorboard": VERSION,
     "files": [{"name", "records", "file_version", "session_starts": [STEP, ...]}, ...],
     "problems": ["...", ...],                   # empty when every record is sound
     "views": {VIEW: {"scalars": {TAG: [[STEP, VALUE], ...]},
                      "texts": {TAG: [[STEP, TEXT], ...]}}, ...}}

Run:  python3 Tools/read_events.py LOGDIR
Exit status: 0 read (look at "problems"), 2 bad arguments, 3 tensorboard is not installed.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

try:
    import tensorboard
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.backend.event_processing import plugin_event_accumulator
    from tensorboard.compat.proto import event_pb2
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
    from tensorboard.util import tensor_util
except ImportError as error:
    print(f"read_events.py: tensorboard is not installed ({error}); "
          "install it with: python3 -m pip install tensorboard", file=sys.stderr)
    sys.exit(3)


def records(path, problems):
    """The data of each TFRecord in the file, checking lengths and checksums."""
    name = os.path.basename(path)
    with open(path, "rb") as f:
        data = f.read()
    offset = 0
    while offset < len(data):
        if len(data) - offset < 12:
            problems.append(f"{name}: {len(data) - offset} stray bytes at offset {offset}")
            return
        header = data[offset:offset + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", data[offset + 8:offset + 12])
        if header_crc != masked_crc32c(header):
            problems.append(f"{name}: bad length checksum at offset {offset}")
            return
        start, end = offset + 12, offset + 12 + length
        if end + 4 > len(data):
            problems.append(f"{name}: record at offset {offset} is cut short")
            return
        record = data[start:end]
        (data_crc,) = struct.unpack("<I", data[end:end + 4])
        if data_crc != masked_crc32c(record):
            problems.append(f"{name}: bad data checksum at offset {offset}")
        yield record
        offset = end + 4


def check_file(path, problems):
    name = os.path.basename(path)
    summary = {"name": name, "records": 0, "file_version": None, "session_starts": []}
    for index, record in enumerate(records(path, problems)):
        summary["records"] += 1
        try:
            event = event_pb2.Event.FromString(record)
        except Exception as error:  # a DecodeError, whatever the protobuf backend calls it
            problems.append(f"{name}: record {index} is not an Event: {error}")
            continue
        if event.SerializeToString() != record:
            problems.append(f"{name}: record {index} does not serialize back to the same bytes: {event}")
        if index == 0:
            summary["file_version"] = event.file_version if event.HasField("file_version") else None
        elif event.HasField("file_version"):
            problems.append(f"{name}: record {index} repeats the file version")
        if event.HasField("session_log") and event.session_log.status == event_pb2.SessionLog.START:
            summary["session_starts"].append(event.step)
    if summary["file_version"] != "brain.Event:2":
        problems.append(f"{name}: the first record is not file_version 'brain.Event:2'")
    return summary


def text_of(array):
    item = array.item() if array.shape == () else array.tolist()
    return item.decode("utf-8") if isinstance(item, bytes) else item


def classic_view(logdir):
    keep_all = {kind: 0 for kind in event_accumulator.DEFAULT_SIZE_GUIDANCE}
    accumulator = event_accumulator.EventAccumulator(logdir, size_guidance=keep_all)
    accumulator.Reload()
    tags = accumulator.Tags()
    scalars = {tag: [[e.step, e.value] for e in accumulator.Scalars(tag)] for tag in tags["scalars"]}
    texts = {}
    for tag in tags["tensors"]:
        if accumulator.SummaryMetadata(tag).plugin_data.plugin_name == "text":
            texts[tag] = [[e.step, text_of(tensor_util.make_ndarray(e.tensor_proto))] for e in accumulator.Tensors(tag)]
    return {"scalars": scalars, "texts": texts}


def plugin_view(logdir):
    """Scalars come out as tensors of the "scalars" plugin: the server converts simple_value."""
    keep_all = {kind: 0 for kind in plugin_event_accumulator.DEFAULT_SIZE_GUIDANCE}
    accumulator = plugin_event_accumulator.EventAccumulator(
        logdir, size_guidance=keep_all, tensor_size_guidance={"scalars": 0, "text": 0})
    accumulator.Reload()
    view = {"scalars": {}, "texts": {}}
    for tag in accumulator.Tags()["tensors"]:
        plugin = accumulator.SummaryMetadata(tag).plugin_data.plugin_name
        events = accumulator.Tensors(tag)
        if plugin == "scalars":
            view["scalars"][tag] = [[e.step, float(tensor_util.make_ndarray(e.tensor_proto).item())] for e in events]
        elif plugin == "text":
            view["texts"][tag] = [[e.step, text_of(tensor_util.make_ndarray(e.tensor_proto))] for e in events]
    return view


def data_server_view(logdir):
    """Runs the data server once over the folder, as `tensorboard` does, and asks it over gRPC."""
    try:
        from tensorboard import context
        from tensorboard.data import grpc_provider, server_ingester
        from tensorboard.util import grpc_util
        binary = server_ingester.get_server_binary()
    except Exception:  # no tensorboard-data-server for this platform
        return None
    with tempfile.TemporaryDirectory(prefix="read_events_") as scratch:
        port_file = os.path.join(scratch, "port")
        server = subprocess.Popen(
            [binary.path, f"--logdir={logdir}", "--reload=once", "--samples-per-plugin=scalars=all,text=all",
             "--port=0", f"--port-file={port_file}", "--checksum", "--verbose"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            # Its log says when the one load cycle is done.
            log = []
            for line in server.stderr:
                log.append(line)
                if "Finished load cycle" in line:
                    break
            else:
                raise SystemExit("read_events.py: the data server stopped early:\n" + "".join(log))
            with open(port_file) as f:
                address = f"localhost:{int(f.read())}"
            stub = server_ingester._make_stub(address, grpc_util.ChannelCredsType.LOCAL)
            provider = grpc_provider.GrpcDataProvider(address, stub)
            ctx = context.RequestContext()
            everything = 1 << 30
            scalars = provider.read_scalars(ctx, experiment_id="", plugin_name="scalars", downsample=everything)
            tensors = provider.read_tensors(ctx, experiment_id="", plugin_name="text", downsample=everything)
            view = {"scalars": {}, "texts": {}}
            for run in scalars.values():
                for tag, data in run.items():
                    view["scalars"][tag] = [[d.step, d.value] for d in data]
            for run in tensors.values():
                for tag, data in run.items():
                    view["texts"][tag] = [[d.step, text_of(d.numpy)] for d in data]
            return view
        finally:
            server.kill()
            server.wait()


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    logdir = os.path.abspath(sys.argv[1])
    problems = []
    names = sorted(n for n in os.listdir(logdir) if "tfevents" in n)
    files = [check_file(os.path.join(logdir, n), problems) for n in names]
    views = {
        "event_accumulator": classic_view(logdir),
        "plugin_event_accumulator": plugin_view(logdir),
        "data_server": data_server_view(logdir),
    }
    json.dump({"tensorboard": tensorboard.__version__, "files": files, "problems": problems, "views": views},
              sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
