#!/usr/bin/env python3
"""fuzz_checkpoints.py - derive damaged checkpoints from sound ones and make sure the readers survive them.

Seeds: small rnn, lstm and gru checkpoints (one-hot and embedding input, sgd with momentum,
adagrad, rmsprop and adam, one byte-level model, one model-only file) trained with
`rnn-train` into a temporary folder, or the .h5 files of --seeds DIR. Every seed is also copied
into HDF5's oldest file format ("legacy": superblock 0, object headers 1), whose metadata has no
checksums, so that damage there reaches libhdf5's decoders instead of its checksum checks.

Mutations (one per mutant, drawn from a generator seeded by --seed and the mutant's number):
  bitflip     1-8 bits flipped, mostly in metadata (everything that is not a dataset's raw data)
  overwrite   a run of 1-64 bytes replaced by random, zero or 0xFF bytes
  truncate    the file cut at a random point (mostly inside metadata)
  block       a block duplicated over another place, two blocks swapped, a block inserted or removed
  forged      metadata edited *with its checksum recomputed* (superblock, object headers and their
              continuation chunks, B-tree, fractal heap and heap block checksums): what a hostile
              file made on purpose looks like; edits are bit flips, random bytes and integer fields
              set to extreme values
  structure   edits made with h5py: shapes, data types (float64, int32, big-endian, strings,
              variable-length strings and sequences, compound, enum, array, opaque, references),
              attribute types and values (huge ints, negative sizes, NaN, oversized, invalid UTF-8,
              arrays, empty), deleted and renamed objects, datasets turned into groups and back,
              soft, external and extra hard links, chunked, compressed, resizable (huge maxshape),
              external and virtual storage, huge declared sizes, empty and zero-length datasets,
              unknown tensors and slots, data edited under an unchanged CRC-32C

Each mutant goes through `rnn-inspect verify`, `rnn-inspect` and `rnn-play --length 20`, each under
--timeout. Outcomes:
  crash         a program died by a signal (SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE, SIGTRAP...)
  hang          a program ran past the timeout (it is killed)
  messy         a failure that is not exactly one line "<program>: error: ..." on standard error
                (HDF5 error dumps, stack traces, several lines), an exit status other than 0 and 1,
                or a success with more than one line on standard error
  false-accept  `rnn-inspect verify` called the mutant sound although its content differs from the
                seed's (every link, dataset type, shape, storage and bytes, and every attribute's
                type class, shape and value compared with h5py, in a separate process), or h5py
                cannot read it at all. Not counted: a missing `crc32c` attribute (the format lets
                other tools omit it), and attributes changed to values the format allows by mutations
                that could forge them (structure edits, forged checksums, legacy seeds without
                checksums): no reader can tell those from a file written that way ("legal-edit").
  refused       every program refused it cleanly (the expected outcome for damage)
  accepted      verify called it sound and its content is the seed's (e.g. flipped padding)

Prints a table (mutation kind x outcome), the failures, and a last line
`fuzz-result {json}`; exits 1 when there is any crash, hang, messy output or false accept.

Run:  python3 Tools/fuzz_checkpoints.py --count 300 --seed 1
      python3 Tools/fuzz_checkpoints.py --count 5000 --seed 7 --keep-failures /tmp/fuzz-failures
      python3 Tools/fuzz_checkpoints.py --replay /tmp/fuzz-failures/00042-bitflip.h5
"""
import argparse
import concurrent.futures
import hashlib
import json
import math
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = ["bitflip", "overwrite", "truncate", "block", "forged", "structure"]
WEIGHTS = [18, 14, 8, 10, 20, 30]
BAD = ["crash", "hang", "messy", "false-accept"]
OUTCOMES = BAD + ["refused", "accepted", "legal-edit"]

# --------------------------------------------------------------------------------------------
# Seeds


def seed_configs(corpus):
    """rnn-train arguments of the seed checkpoints: every cell, one-hot and embedding input,
    every optimizer, a byte-level model; small enough to open in milliseconds."""
    common = ["--data", corpus, "--batch-size", "4", "--seq-length", "16", "--val-fraction", "0.2",
              "--eval-every", "3", "--sample-every", "0", "--print-every", "100", "--threads", "1",
              "--max-iterations", "6"]
    return {
        "rnn-sgd": ["--cell", "rnn", "--layers", "1", "--hidden-size", "12", "--optimizer", "sgd",
                    "--momentum", "0.9", "--learning-rate", "0.05", "--seed", "1"],
        "lstm-adam-embed": ["--cell", "lstm", "--layers", "2", "--hidden-size", "16", "--embedding-size", "8",
                            "--optimizer", "adam", "--dropout", "0.25", "--seed", "2"],
        "gru-rmsprop": ["--cell", "gru", "--layers", "2", "--hidden-size", "12", "--optimizer", "rmsprop",
                        "--seed", "3"],
        "gru-adam-embed": ["--cell", "gru", "--layers", "1", "--hidden-size", "16", "--embedding-size", "6",
                           "--optimizer", "adam", "--lr-decay-after", "0", "--lr-decay", "0.5", "--seed", "4"],
        "lstm-adagrad-bytes": ["--cell", "lstm", "--layers", "1", "--hidden-size", "8", "--optimizer", "adagrad",
                               "--bytes", "--grad-clip", "1", "--clip-mode", "value", "--seed", "5"],
        "rnn-sgd-plain": ["--cell", "rnn", "--layers", "2", "--hidden-size", "8", "--optimizer", "sgd",
                          "--embedding-size", "4", "--seed", "6"],
    }, common


def make_seeds(bin_dir, folder):
    import h5py
    corpus = os.path.join(ROOT, "Fixtures", "multilingual.txt")
    configs, common = seed_configs(corpus)
    seeds = []
    for name, arguments in configs.items():
        out = os.path.join(folder, "train-" + name)
        result = subprocess.run([os.path.join(bin_dir, "rnn-train")] + common + arguments + ["--checkpoint-dir", out],
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise SystemExit(f"fuzz: rnn-train failed for seed {name}: {result.stderr.strip()}")
        path = os.path.join(folder, name + ".h5")
        shutil.copyfile(os.path.join(out, "latest.h5"), path)
        shutil.rmtree(out)
        seeds.append(path)
    # A model-only checkpoint, as the documentation describes it.
    model_only = os.path.join(folder, "gru-model-only.h5")
    shutil.copyfile(os.path.join(folder, "gru-rmsprop.h5"), model_only)
    with h5py.File(model_only, "r+") as f:
        for group in ["train", "optimizer", "history"]:
            del f[group]
    seeds.append(model_only)
    return seeds


def legacy_copy(source, target):
    """The same checkpoint rebuilt in HDF5's oldest format (superblock 0, object header 1,
    symbol-table groups): its metadata has no checksums at all."""
    import h5py

    def attributes(src, dst):
        for name in src.attrs:
            dtype = src.attrs.get_id(name).dtype
            if dtype.kind == "S":
                dtype = h5py.string_dtype("utf-8", dtype.itemsize)
            dst.attrs.create(name, src.attrs[name], dtype=dtype)

    def rebuild(src, dst):
        attributes(src, dst)
        for name in src:
            obj = src[name]
            if isinstance(obj, h5py.Group):
                rebuild(obj, dst.create_group(name))
            else:
                attributes(obj, dst.create_dataset(name, data=obj[()], dtype=obj.dtype))

    with h5py.File(source, "r") as src, h5py.File(target, "w", libver="earliest") as dst:
        rebuild(src, dst)


def checked_seeds(bin_dir, paths):
    good = []
    for path in paths:
        result = run_program([os.path.join(bin_dir, "rnn-inspect"), "verify", path], 30)
        if result["status"] != 0:
            raise SystemExit(f"fuzz: seed {path} is not sound: {result['stderr'].strip()}")
        good.append(path)
    return good


# --------------------------------------------------------------------------------------------
# Content of a file, compared with h5py (in a child process: h5py uses libhdf5 as well)


def attribute_signature(attrs, name):
    tid = attrs.get_id(name).get_type()
    cls = tid.get_class()
    value = attrs[name]
    if isinstance(value, np.ndarray) and value.dtype.kind == "O":
        value = value.tolist()
    if isinstance(value, (bytes, np.bytes_)):
        text = "b:" + bytes(value).hex()
    elif isinstance(value, str):
        text = "b:" + value.encode("utf-8", "surrogateescape").hex()
    elif isinstance(value, np.ndarray):
        text = f"array{value.shape}:{value.dtype.kind}:" + hashlib.sha256(value.tobytes()).hexdigest()[:16]
    elif isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        text = f"i:{int(value)}"
    elif isinstance(value, (np.floating, float)):
        text = f"f:{float(value).hex()}" if not math.isnan(value) else "f:nan"
    else:
        text = "o:" + repr(value)[:200]
    return {"class": int(cls), "value": text}


def describe(path):
    """Every link, group, dataset and attribute of a file, as a flat dictionary."""
    import h5py
    entries = {}
    seen = set()
    with h5py.File(path, "r") as f:
        def attributes(obj, where):
            for name in sorted(obj.attrs.keys()):
                entries[where + "@" + name] = attribute_signature(obj.attrs, name)

        def walk(group, where):
            attributes(group, where)
            for name in sorted(group.keys()):
                child = (where.rstrip("/") + "/" + name)
                link = group.get(name, getlink=True)
                if isinstance(link, h5py.SoftLink):
                    entries[child] = {"soft": link.path}
                    continue
                if isinstance(link, h5py.ExternalLink):
                    entries[child] = {"external": [link.filename, link.path]}
                    continue
                obj = group[name]
                info = h5py.h5o.get_info(obj.id)
                address = getattr(info, "addr", None) or getattr(info, "token", None) or id(obj)
                if address in seen:
                    entries[child] = {"hardlink-again": True}
                    continue
                seen.add(address)
                if isinstance(obj, h5py.Group):
                    entries[child] = {"group": True}
                    walk(obj, child)
                elif isinstance(obj, h5py.Dataset):
                    dcpl = obj.id.get_create_plist()
                    layout = dcpl.get_layout()
                    plain = layout in (h5py.h5d.CONTIGUOUS, h5py.h5d.COMPACT)
                    data = obj[()] if obj.shape is None or obj.size < (1 << 26) else None
                    if isinstance(data, np.ndarray) and data.dtype.kind != "O":
                        digest = hashlib.sha256(data.tobytes()).hexdigest()
                    else:
                        digest = hashlib.sha256(repr(data).encode()).hexdigest()
                    entries[child] = {
                        "dtype": obj.dtype.str, "descr": str(obj.dtype), "shape": list(obj.shape or []),
                        "maxshape": [m if m is not None else -1 for m in (obj.maxshape or [])],
                        "plain": plain, "filters": dcpl.get_nfilters(), "external": dcpl.get_external_count(),
                        "data": digest,
                    }
                    attributes(obj, child)
                else:
                    entries[child] = {"other": str(type(obj))}
        walk(f, "/")
    return entries


def describe_in_child(path, timeout):
    try:
        result = subprocess.run([sys.executable, os.path.abspath(__file__), "--describe", path],
                                capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "h5py timed out"
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
        return None, "h5py cannot read it: " + last[:200]
    return json.loads(result.stdout), None


# What the format allows an attribute to hold, for telling forged-but-legal edits from damage
# (docs/checkpoint-format.md). Attributes not listed may only keep the seed's value: any other
# value contradicts the tensors' shapes or the training record.
def _num(v):
    kind, _, text = v["value"].partition(":")
    if kind == "i":
        return int(text)
    if kind == "f":
        return float("nan") if text == "nan" else float.fromhex(text)
    return None


def _text(v):
    kind, _, text = v["value"].partition(":")
    if kind != "b":
        return None
    try:
        return bytes.fromhex(text).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _int_in(lo, hi):
    return lambda v: v["class"] == 0 and _num(v) is not None and lo <= _num(v) <= hi


def _float_ok(test):
    return lambda v: v["class"] == 1 and _num(v) is not None and test(_num(v))


def _iso(v):
    import datetime
    t = _text(v)
    if v["class"] != 3 or not t:
        return False
    try:
        datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ")
        return True
    except ValueError:
        return False


def _fingerprint(v):
    t = _text(v)
    return v["class"] == 3 and t is not None and t.startswith("fnv1a64:") and len(t) == 24 and \
        all(c in "0123456789abcdef" for c in t[8:])


UNIT = _float_ok(lambda x: 0 <= x < 1)
LEGAL = {
    "/@created_by": lambda v: v["class"] == 3 and bool(_text(v)),
    "/@created_utc": _iso,
    "/config@dropout": UNIT, "/config@momentum": UNIT, "/config@alpha": UNIT, "/config@beta1": UNIT,
    "/config@beta2": UNIT, "/config@val_fraction": UNIT,
    "/config@epsilon": _float_ok(lambda x: 0 < x < math.inf),
    "/config@grad_clip": _float_ok(lambda x: 0 <= x < math.inf),
    "/config@lr_decay": _float_ok(lambda x: 0 < x <= 1),
    "/config@learning_rate": _float_ok(lambda x: 0 < x < math.inf),
    "/config@clip_mode": lambda v: v["class"] == 3 and _text(v) in ("norm", "value"),
    "/config@epochs": _int_in(1, 2**31 - 1), "/config@max_iterations": _int_in(0, (2**31 - 1) * 1024),
    "/config@eval_every": _int_in(0, 2**31 - 1), "/config@lr_decay_after": _int_in(0, 2**31 - 1),
    "/config@seq_length": _int_in(1, 65536), "/config@seed": _int_in(-2**63, 2**63 - 1),
    # only reachable in a model-only file, where no tensor depends on them
    "/config@batch_size": _int_in(1, 65536),
    "/config@optimizer": lambda v: v["class"] == 3 and _text(v) in ("sgd", "adagrad", "rmsprop", "adam"),
    "/config@data_paths": lambda v: v["class"] == 3 and _text(v) is not None,
    "/config@val_data_paths": lambda v: v["class"] == 3 and _text(v) is not None,
    "/train@val_length": _int_in(0, 2**62), "/train@val_fingerprint": _fingerprint,
    "/train@corpus_fingerprint": _fingerprint,
}


def compare(seed, mutant):
    """The differences between two descriptions: (key, seed's, mutant's)."""
    differences = []
    for key in sorted(set(seed) | set(mutant)):
        a, b = seed.get(key), mutant.get(key)
        if a == b:
            continue
        if b is None and key.endswith("@crc32c"):
            continue  # the format lets files written by other tools lack it
        differences.append((key, a, b))
    return differences


def legal_edit(differences, seed):
    """True when every difference is an attribute that now holds a value the format allows."""
    if not differences:
        return False
    for key, a, b in differences:
        test = LEGAL.get(key)
        if a is None or b is None or test is None or not test(b):
            return False
    return True


# --------------------------------------------------------------------------------------------
# HDF5 metadata checksums (Bob Jenkins' lookup3 hashlittle, as libhdf5's H5_checksum_lookup3)

M32 = 0xFFFFFFFF


def lookup3(data, initval=0):
    def rot(x, k):
        return ((x << k) | (x >> (32 - k))) & M32
    length = len(data)
    a = b = c = (0xDEADBEEF + length + initval) & M32
    i = 0
    while length > 12:
        x, y, z = struct.unpack_from("<III", data, i)
        a = (a + x) & M32
        b = (b + y) & M32
        c = (c + z) & M32
        a = (a - c) & M32; a ^= rot(c, 4); c = (c + b) & M32
        b = (b - a) & M32; b ^= rot(a, 6); a = (a + c) & M32
        c = (c - b) & M32; c ^= rot(b, 8); b = (b + a) & M32
        a = (a - c) & M32; a ^= rot(c, 16); c = (c + b) & M32
        b = (b - a) & M32; b ^= rot(a, 19); a = (a + c) & M32
        c = (c - b) & M32; c ^= rot(b, 4); b = (b + a) & M32
        length -= 12
        i += 12
    if length == 0:
        return c
    tail = bytes(data[i:i + length]) + bytes(12 - length)
    x, y, z = struct.unpack("<III", tail)
    a = (a + x) & M32
    b = (b + y) & M32
    c = (c + z) & M32
    c ^= b; c = (c - rot(b, 14)) & M32
    a ^= c; a = (a - rot(c, 11)) & M32
    b ^= a; b = (b - rot(a, 25)) & M32
    c ^= b; c = (c - rot(b, 16)) & M32
    a ^= c; a = (a - rot(c, 4)) & M32
    b ^= a; b = (b - rot(a, 14)) & M32
    c ^= b; c = (c - rot(b, 24)) & M32
    return c


def checksummed_regions(data):
    """(start, checksum offset, kind) of every checksummed metadata structure found: the body is
    data[start:checksum offset] (for heap direct blocks: the whole block with the field zeroed)."""
    regions = []
    u32 = lambda at: struct.unpack_from("<I", data, at)[0]
    if len(data) >= 48 and data[8] in (2, 3) and u32(44) == lookup3(data[0:44]):
        regions.append((0, 44, "superblock"))

    def trailing(start, cap):
        for end in range(start + 6, min(len(data) - 4, start + cap) + 1):
            if u32(end) == lookup3(data[start:end]):
                return end
        return None

    position = 0
    while True:
        hits = [(data.find(sig, position), sig) for sig in (b"OHDR", b"OCHK", b"BTHD", b"BTIN", b"BTLF", b"FRHP", b"FHIB", b"FHDB")]
        hits = [(at, sig) for at, sig in hits if at >= 0]
        if not hits:
            break
        at, sig = min(hits)
        position = at + 1
        end = None
        if sig == b"OHDR" and at + 7 < len(data) and data[at + 4] == 2:
            flags = data[at + 5]
            o = at + 6 + (16 if flags & 0x20 else 0) + (4 if flags & 0x10 else 0)
            width = 1 << (flags & 3)
            if o + width <= len(data):
                size = int.from_bytes(data[o:o + width], "little")
                end = o + width + size
                if end + 4 > len(data) or u32(end) != lookup3(data[at:end]):
                    end = None
        elif sig == b"FHDB":
            for offset_bytes in range(1, 9):
                field = at + 13 + offset_bytes
                for power in range(6, 21):
                    size = 1 << power
                    if at + size > len(data) or field + 4 > at + size:
                        continue
                    block = bytearray(data[at:at + size])
                    block[field - at:field - at + 4] = b"\0\0\0\0"
                    if lookup3(bytes(block)) == u32(field):
                        regions.append((at, field, "FHDB:%d" % size))
                        break
                else:
                    continue
                break
            continue
        else:
            end = trailing(at, 2048 if sig == b"OCHK" else 640)
        if end is not None:
            regions.append((at, end, sig.decode()))
    return regions


def refresh_checksum(data, region):
    start, field, kind = region
    if kind.startswith("FHDB:"):
        size = int(kind[5:])
        data[field:field + 4] = b"\0\0\0\0"
        data[field:field + 4] = struct.pack("<I", lookup3(bytes(data[start:start + size])))
    else:
        data[field:field + 4] = struct.pack("<I", lookup3(bytes(data[start:field])))


# --------------------------------------------------------------------------------------------
# Seed analysis: where the metadata is, what objects there are


class SeedInfo:
    def __init__(self, path, legacy):
        import h5py
        self.path = path
        self.name = os.path.basename(path)
        self.legacy = legacy
        with open(path, "rb") as handle:
            self.data = handle.read()
        self.datasets, self.groups, self.attributes, raw = [], [], [], []
        with h5py.File(path, "r") as f:
            def visit(name, obj):
                if isinstance(obj, h5py.Dataset):
                    self.datasets.append("/" + name)
                    offset = obj.id.get_offset()
                    if offset is not None:
                        raw.append((offset, offset + obj.id.get_storage_size()))
                else:
                    self.groups.append("/" + name)
                for attribute in obj.attrs:
                    self.attributes.append(("/" + name, attribute))
            for attribute in f.attrs:
                self.attributes.append(("/", attribute))
            f.visititems(visit)
        raw.sort()
        self.metadata = []  # (start, end) ranges that are not raw data
        at = 0
        for start, end in raw:
            if start > at:
                self.metadata.append((at, start))
            at = max(at, end)
        if at < len(self.data):
            self.metadata.append((at, len(self.data)))
        self.regions = [] if legacy else checksummed_regions(self.data)
        self.description = describe(path)

    def position(self, rng, metadata_bias=0.8):
        if self.metadata and rng.random() < metadata_bias:
            weights = [end - start for start, end in self.metadata]
            start, end = rng.choices(self.metadata, weights=weights)[0]
            return rng.randrange(start, end)
        return rng.randrange(len(self.data))


# --------------------------------------------------------------------------------------------
# Byte-level mutations


def random_bytes(rng, n):
    return bytes(rng.randrange(256) for _ in range(n))


def mutate_bitflip(seed, rng):
    data = bytearray(seed.data)
    flips = rng.randint(1, 8)
    near = seed.position(rng)
    places = []
    for _ in range(flips):
        at = near + rng.randint(-16, 16) if rng.random() < 0.5 else seed.position(rng)
        at = min(max(at, 0), len(data) - 1)
        bit = rng.randrange(8)
        data[at] ^= 1 << bit
        places.append(f"{at}.{bit}")
    return bytes(data), "flipped bits " + ",".join(places)


def mutate_overwrite(seed, rng):
    data = bytearray(seed.data)
    n = rng.choice([1, 2, 4, 8, rng.randint(1, 64)])
    at = min(seed.position(rng), len(data) - n)
    style = rng.choice(["random", "zero", "ff"])
    data[at:at + n] = random_bytes(rng, n) if style == "random" else (b"\0" if style == "zero" else b"\xff") * n
    return bytes(data), f"{n} {style} bytes at {at}"


def mutate_truncate(seed, rng):
    at = seed.position(rng, 0.7)
    return seed.data[:at], f"cut at {at} of {len(seed.data)}"


def mutate_block(seed, rng):
    data = bytearray(seed.data)
    n = rng.choice([8, 16, 64, 256, 1024, rng.randint(1, 4096)])
    n = min(n, len(data) // 4)
    a, b = rng.randrange(len(data) - n), seed.position(rng)
    b = min(b, len(data) - n)
    how = rng.choice(["duplicate", "swap", "insert", "remove"])
    if how == "duplicate":
        data[b:b + n] = seed.data[a:a + n]
    elif how == "swap":
        first, second = seed.data[a:a + n], seed.data[b:b + n]
        data[a:a + n] = second
        data[b:b + n] = first
    elif how == "insert":
        data[b:b] = seed.data[a:a + n]
    else:
        del data[b:b + n]
    return bytes(data), f"{how} {n} bytes {a} -> {b}"


INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
               0x100000000, 1 << 40, (1 << 63) - 1, 1 << 63, (1 << 64) - 1]


def mutate_forged(seed, rng):
    if not seed.regions:  # legacy seeds have no checksums: plain edits are already "forged"
        data, what = rng.choice([mutate_bitflip, mutate_overwrite])(seed, rng)
        return data, "unchecked " + what
    data = bytearray(seed.data)
    edits = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        region = rng.choice(seed.regions)
        start, field, kind = region
        first = start + (4 if kind != "superblock" else 8)  # keep the signature
        if field <= first:
            continue
        at = rng.randrange(first, field)
        style = rng.choice(["bits", "bits", "bytes", "integer", "integer"])
        if style == "bits":
            for _ in range(rng.randint(1, 3)):
                where = min(at + rng.randint(0, 3), field - 1)
                data[where] ^= 1 << rng.randrange(8)
        elif style == "bytes":
            n = min(rng.randint(1, 8), field - at)
            data[at:at + n] = random_bytes(rng, n)
        else:
            width = rng.choice([1, 2, 4, 8])
            width = min(width, field - at)
            value = rng.choice(INTERESTING) & ((1 << (8 * width)) - 1)
            data[at:at + width] = value.to_bytes(width, "little")
        refresh_checksum(data, region)
        edits.append(f"{kind}@{start}+{at - start}:{style}")
    return bytes(data), "forged " + " ".join(edits)


# --------------------------------------------------------------------------------------------
# Structure-aware mutations with h5py


def copy_attributes(source, target, skip=()):
    for name, value in source.attrs.items():
        if name not in skip:
            target.attrs.create(name, value, dtype=source.attrs.get_id(name).dtype)


def replace_dataset(f, path, make):
    """Deletes a dataset and creates another under its name (make(parent, name, old data,
    old dataset)), keeping its attributes (the crc32c too)."""
    import h5py
    old = f[path]
    data = old[()]
    keep = {name: (value, old.attrs.get_id(name).dtype) for name, value in old.attrs.items()}
    parent, name = f[os.path.dirname(path) or "/"], os.path.basename(path)
    del parent[name]
    new = make(parent, name, data)
    if isinstance(new, h5py.Dataset):
        for key, (value, dtype) in keep.items():
            new.attrs.create(key, value, dtype=dtype)
    return new


def structure_edits(rng, seed, f, folder):
    """Applies one structural edit to the open h5py file; returns its description."""
    import h5py
    datasets = seed.datasets
    dataset = rng.choice(datasets)
    group = rng.choice(seed.groups) if seed.groups else "/"
    where, attribute = rng.choice(seed.attributes)
    op = rng.choice(["shape", "dtype", "dtype", "layout", "layout", "attr-type", "attr-type", "attr-value",
                     "attr-value", "attr-value", "delete", "rename", "kind", "link", "huge", "empty", "extra",
                     "data", "vlen-attr"])

    if op == "shape":
        def make(parent, name, data):
            shape = list(np.shape(data))
            choice = rng.choice(["grow", "shrink", "add-dim", "drop-dim", "scalar", "zero", "transpose", "flat"])
            if choice == "grow" and shape:
                shape[rng.randrange(len(shape))] += 1
            elif choice == "shrink" and shape:
                i = rng.randrange(len(shape))
                shape[i] = max(0, shape[i] - 1)
            elif choice == "add-dim":
                shape = shape + [1] if rng.random() < 0.5 else [1] + shape
            elif choice == "drop-dim" and len(shape) > 1:
                shape = shape[1:] if shape[0] == 1 else [shape[0] * shape[1]] + shape[2:]
            elif choice == "scalar":
                shape = []
            elif choice == "zero":
                shape = [0] * max(1, len(shape))
            elif choice == "transpose" and len(shape) >= 2:
                shape = shape[::-1]
            else:
                shape = [int(np.prod(shape))]
            count = int(np.prod(shape)) if shape else 1
            flat = np.ravel(data)
            values = np.resize(flat, count) if flat.size else np.zeros(count, data.dtype)
            return parent.create_dataset(name, data=values.reshape(shape), dtype=data.dtype)
        replace_dataset(f, dataset, make)
        return f"shape of {dataset}"

    if op == "dtype":
        choices = ["<f8", "<i4", ">f4", "<f2", "<i8", "<u4", "<u8", ">i8", ">u4", "u1", "<f4", "S4", "vlen-str",
                   "vlen-f4", "compound", "enum", "array", "bool", "complex", "opaque", "reference", "fixed-utf8"]
        kind = rng.choice(choices)

        def make(parent, name, data):
            shape = np.shape(data)
            if kind == "vlen-str":
                values = np.array([str(x) for x in np.ravel(data)], dtype=object).reshape(shape)
                return parent.create_dataset(name, data=values, dtype=h5py.string_dtype())
            if kind == "fixed-utf8":
                values = np.array([str(x).encode()[:8] for x in np.ravel(data)], dtype="S8").reshape(shape)
                return parent.create_dataset(name, data=values, dtype=h5py.string_dtype("utf-8", 8))
            if kind == "vlen-f4":
                dt = h5py.vlen_dtype(np.float32)
                ds = parent.create_dataset(name, shape=shape, dtype=dt)
                flat = np.ravel(data)
                for index in np.ndindex(*shape) if shape else [()]:
                    ds[index] = np.array([float(flat[0]) if flat.size else 0.0] * rng.randint(0, 3), np.float32)
                return ds
            if kind == "compound":
                dt = np.dtype([("a", "<f4"), ("b", "<i4")])
                values = np.zeros(shape, dt)
                return parent.create_dataset(name, data=values)
            if kind == "enum":
                dt = h5py.enum_dtype({"A": 0, "B": 1}, basetype="i4")
                return parent.create_dataset(name, shape=shape, dtype=dt)
            if kind == "array":
                return parent.create_dataset(name, shape=shape, dtype=np.dtype("(2,)<f4"))
            if kind == "bool":
                return parent.create_dataset(name, data=np.asarray(data).astype(bool))
            if kind == "complex":
                return parent.create_dataset(name, data=np.asarray(data).astype(np.complex64))
            if kind == "opaque":
                return parent.create_dataset(name, shape=shape, dtype=np.dtype("V4"))
            if kind == "reference":
                ds = parent.create_dataset(name, shape=shape, dtype=h5py.ref_dtype)
                return ds
            if kind == "S4":
                values = np.array([str(x).encode()[:4] for x in np.ravel(data)], dtype="S4").reshape(shape)
                return parent.create_dataset(name, data=values)
            return parent.create_dataset(name, data=np.asarray(data).astype(np.dtype(kind)))
        replace_dataset(f, dataset, make)
        return f"type of {dataset} -> {kind}"

    if op == "layout":
        kind = rng.choice(["chunked", "gzip", "shuffle-fletcher", "scaleoffset", "resizable", "resizable-huge",
                           "external", "virtual", "compact", "lzf"])

        def make(parent, name, data):
            if kind == "chunked":
                return parent.create_dataset(name, data=data, chunks=True)
            if kind == "gzip":
                return parent.create_dataset(name, data=data, compression="gzip", compression_opts=rng.randint(1, 9))
            if kind == "lzf":
                return parent.create_dataset(name, data=data, compression="lzf")
            if kind == "shuffle-fletcher":
                return parent.create_dataset(name, data=data, shuffle=True, fletcher32=True)
            if kind == "scaleoffset":
                return parent.create_dataset(name, data=data, scaleoffset=0 if data.dtype.kind in "iu" else 3)
            if kind == "resizable":
                return parent.create_dataset(name, data=data, maxshape=tuple(None for _ in data.shape))
            if kind == "resizable-huge":
                ds = parent.create_dataset(name, shape=data.shape, dtype=data.dtype,
                                           maxshape=tuple(None for _ in data.shape), chunks=tuple(1 for _ in data.shape))
                big = tuple(s if i else (1 << rng.choice([20, 31, 40])) for i, s in enumerate(data.shape))
                ds.resize(big)
                return ds
            if kind == "external":
                raw = os.path.join(folder, f"{name}.raw")
                with open(raw, "wb") as handle:
                    handle.write(np.ascontiguousarray(data).tobytes())
                ds = parent.create_dataset(name, shape=data.shape, dtype=data.dtype, external=[(raw, 0, data.nbytes)])
                return ds
            if kind == "virtual":
                source_name = "/vds_source_" + name
                f.create_dataset(source_name, data=data)
                layout = h5py.VirtualLayout(shape=data.shape, dtype=data.dtype)
                layout[...] = h5py.VirtualSource(".", source_name, shape=data.shape)
                return parent.create_virtual_dataset(name, layout)
            # compact: allowed by the format (the reader accepts it), so the content is the same
            space = h5py.h5s.create_simple(data.shape)
            dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            dcpl.set_layout(h5py.h5d.COMPACT)
            if data.nbytes > 60000:
                dcpl.set_layout(h5py.h5d.CONTIGUOUS)
            tid = h5py.h5t.py_create(data.dtype)
            dsid = h5py.h5d.create(parent.id, name.encode(), tid, space, dcpl=dcpl)
            ds = h5py.Dataset(dsid)
            ds[...] = data
            return ds
        replace_dataset(f, dataset, make)
        return f"storage of {dataset} -> {kind}"

    obj = f[where]
    if op == "attr-type":
        value = obj.attrs[attribute]
        kind = rng.choice(["i4", "u1", ">i8", "f4", "f8", "i8", "string", "vlen-str", "array1", "array2", "empty",
                           "compound", "bool", "enum", "utf8-fixed"])
        del obj.attrs[attribute]
        scalar = np.asarray(value).ravel()[0] if np.asarray(value).size else 0
        if kind in ("i4", "u1", ">i8", "i8", "f4", "f8", "bool"):
            try:
                number = float(scalar)
            except (TypeError, ValueError):
                number = float(len(bytes(scalar)) if isinstance(scalar, bytes) else 7)
            if not math.isfinite(number):
                number = 0
            target = np.dtype(kind if kind != "bool" else "?")
            obj.attrs.create(attribute, np.array(number).astype(target), dtype=target)
        elif kind == "string":
            obj.attrs.create(attribute, np.bytes_(str(scalar).encode()))
        elif kind == "utf8-fixed":
            text = scalar if isinstance(scalar, bytes) else str(scalar).encode()
            obj.attrs.create(attribute, text, dtype=h5py.string_dtype("utf-8", max(1, len(text))))
        elif kind == "vlen-str":
            text = scalar.decode("utf-8", "replace") if isinstance(scalar, bytes) else str(scalar)
            obj.attrs.create(attribute, text, dtype=h5py.string_dtype())
        elif kind == "array1":
            obj.attrs.create(attribute, np.array([scalar]))
        elif kind == "array2":
            obj.attrs.create(attribute, np.array([scalar, scalar]))
        elif kind == "empty":
            obj.attrs.create(attribute, h5py.Empty("f8" if not isinstance(scalar, bytes) else "S1"))
        elif kind == "compound":
            obj.attrs.create(attribute, np.zeros((), np.dtype([("a", "<i8"), ("b", "<f8")])))
        else:
            obj.attrs.create(attribute, np.array(1, np.int32), dtype=h5py.enum_dtype({"A": 0, "B": 1}, basetype="i4"))
        return f"type of {where}@{attribute} -> {kind}"

    if op == "attr-value":
        value = obj.attrs[attribute]
        dtype = obj.attrs.get_id(attribute).dtype
        if dtype.kind in "iu":
            new = rng.choice([-1, 0, 1, -(1 << 63), (1 << 63) - 1, 1 << 62, 1 << 31, (1 << 31) - 1, 1 << 20,
                              (1 << 20) + 1, 16385, 65, 1 << 40, -(1 << 40), int(value) + 1, int(value) - 1])
            if dtype.kind == "u":
                new &= (1 << (8 * dtype.itemsize)) - 1
            obj.attrs.create(attribute, np.array(new).astype(dtype) if dtype.kind == "u" else np.int64(new), dtype=dtype)
        elif dtype.kind == "f":
            new = rng.choice([math.nan, math.inf, -math.inf, -1.0, 0.0, 1.0, 1e308, -0.0, 5e-324, float(value) * 2])
            obj.attrs.create(attribute, np.float64(new), dtype=dtype)
        else:
            choice = rng.choice(["empty", "invalid-utf8", "nul", "huge", "longer", "other"])
            old = bytes(value) if isinstance(value, (bytes, np.bytes_)) else str(value).encode()
            new = {"empty": b"", "invalid-utf8": b"\xff\xfe\xc3(", "nul": b"a\0b", "huge": b"x" * 70000,
                   "longer": old + b"!", "other": rng.choice([b"rnn", b"lstm", b"gru", b"adam", b"sgd", b"byte", b"value"])}[choice]
            del obj.attrs[attribute]
            obj.attrs.create(attribute, np.bytes_(new), dtype=h5py.string_dtype("utf-8", max(1, len(new))))
            return f"value of {where}@{attribute} -> {choice}"
        return f"value of {where}@{attribute} -> {new}"

    if op == "vlen-attr":
        strings = [(w, a) for w, a in seed.attributes if f[w].attrs.get_id(a).dtype.kind == "S"]
        where, attribute = rng.choice(strings or [(where, attribute)])
        obj = f[where]
        value = obj.attrs[attribute]
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        del obj.attrs[attribute]
        obj.attrs.create(attribute, text, dtype=h5py.string_dtype())
        return f"{where}@{attribute} as a variable-length string"

    if op == "delete":
        if rng.random() < 0.4:
            if attribute == "crc32c" or (where, attribute) == ("/", "format"):
                attribute = rng.choice([a for w, a in seed.attributes if w == where and a != "crc32c"] or [attribute])
            del obj.attrs[attribute]
            return f"deleted {where}@{attribute}"
        target = rng.choice(datasets + seed.groups)
        if target == "/vocab/counts":  # optional by the format
            target = "/vocab/codepoints"
        if target in ("/train", "/optimizer", "/history") and rng.random() < 0.2:
            del f[target]
            return f"deleted {target}"
        del f[target]
        return f"deleted {target}"

    if op == "rename":
        target = rng.choice(datasets + seed.groups)
        name = os.path.basename(target)
        new = rng.choice([name + "_", name.upper(), name.replace(".", "_"), "x" + name, name[:-1] or "y"])
        f.move(target, os.path.join(os.path.dirname(target), new))
        return f"renamed {target} -> {new}"

    if op == "kind":
        if rng.random() < 0.6:
            parent, name = f[os.path.dirname(dataset)], os.path.basename(dataset)
            moved = parent.create_group(name + "__tmp")
            f.move(dataset, moved.name + "/" + name)
            f.move(moved.name, dataset)
            return f"dataset {dataset} inside a group of its name"
        target = rng.choice([g for g in seed.groups] or ["/model"])
        del f[target]
        f.create_dataset(target, data=np.zeros(4, np.float32))
        return f"group {target} replaced by a dataset"

    if op == "link":
        target = rng.choice(datasets + seed.groups)
        parent, name = f[os.path.dirname(target)], os.path.basename(target)
        kind = rng.choice(["soft-self", "soft-sibling", "soft-dangling", "external", "external-missing", "hard-other",
                           "hard-cycle", "hard-same"])
        same_shape = [d for d in datasets if d != target and target in datasets and f[d].shape == f[target].shape]
        if kind == "hard-cycle":
            g = f[rng.choice(seed.groups or ["/"])]
            g["loop"] = f["/"] if rng.random() < 0.5 else g
            return f"hard link cycle in {g.name}"
        if kind == "hard-same":
            other = rng.choice(datasets)
            parent2 = f[os.path.dirname(other)]
            parent2[os.path.basename(other) + "_again"] = f[other]
            return f"second hard link to {other}"
        del parent[name]
        if kind == "soft-self":
            parent[name] = h5py.SoftLink(target)
        elif kind == "soft-sibling":
            parent[name] = h5py.SoftLink(rng.choice(same_shape or datasets))
        elif kind == "soft-dangling":
            parent[name] = h5py.SoftLink("/nowhere/" + name)
        elif kind == "external":
            parent[name] = h5py.ExternalLink(seed.path, target)
        elif kind == "external-missing":
            parent[name] = h5py.ExternalLink("/nonexistent/file.h5", target)
        else:
            parent[name] = f[rng.choice(same_shape or [d for d in datasets if d != target] or ["/"])]
        return f"{target} -> {kind} link"

    if op == "huge":
        choice = rng.choice(["vocab", "hidden", "layers", "parameters", "batch", "dataset"])
        c = f["config"].attrs
        if choice == "vocab":
            c["vocab_size"] = np.int64(rng.choice([1 << 20, (1 << 20) + 1, 1 << 40, 1 << 62]))
        elif choice == "hidden":
            c["hidden_size"] = np.int64(rng.choice([16384, 16385, 1 << 31, 1 << 62]))
        elif choice == "layers":
            c["num_layers"] = np.int64(rng.choice([64, 65, 1 << 31]))
        elif choice == "parameters":
            c["num_layers"] = np.int64(64)
            c["hidden_size"] = np.int64(16384)
        elif choice == "batch" and "batch_size" in c:
            c["batch_size"] = np.int64(rng.choice([65536, 65537, 1 << 40]))
        else:
            def make(parent, name, data):
                shape = tuple([1 << rng.choice([24, 32, 40, 62])] + list(np.shape(data))[1:])
                return parent.create_dataset(name, shape=shape, dtype=data.dtype, chunks=tuple([1] * len(shape)))
            replace_dataset(f, dataset, make)
            return f"{dataset} declared huge (chunked, never written)"
        return f"huge {choice} in /config"

    if op == "empty":
        choice = rng.choice(["null", "scalar", "zero-length"])

        def make(parent, name, data):
            if choice == "null":
                return parent.create_dataset(name, data=h5py.Empty(data.dtype))
            if choice == "scalar":
                return parent.create_dataset(name, data=np.ravel(data)[0] if data.size else data.dtype.type(0))
            return parent.create_dataset(name, shape=(0,) * max(1, data.ndim), dtype=data.dtype)
        replace_dataset(f, dataset, make)
        return f"{dataset} -> {choice}"

    if op == "extra":
        choice = rng.choice(["tensor", "slot", "deep"])
        if choice == "tensor" or "/optimizer" not in f:
            f["/model/rnn.weight_ih_l9"] = np.zeros((4, 4), np.float32)
            return "unknown tensor /model/rnn.weight_ih_l9"
        if choice == "slot":
            f.copy("/model", "/optimizer/unknown_slot")
            return "unknown optimizer slot"
        g = f["/model"]
        for depth in range(40):
            g = g.create_group("d")
        return "a 40-deep chain of groups in /model"

    # data: changed values under the old crc32c
    ds = f[dataset]
    values = ds[()]
    if values.size == 0:
        values = np.zeros((1,), values.dtype)
        del f[dataset]
        f[dataset] = values
        return f"{dataset} holds one value instead of none"
    flat = values.reshape(-1)
    i = rng.randrange(flat.size)
    choice = rng.choice(["nudge", "nan", "inf", "sign"])
    if flat.dtype.kind == "f":
        flat[i] = {"nudge": flat[i] + 0.001, "nan": np.nan, "inf": np.inf, "sign": -flat[i] if flat[i] else 1}[choice]
    else:
        flat[i] = flat[i] + 1 if choice != "sign" else flat[i] ^ 1
    ds[...] = flat.reshape(values.shape)
    return f"element {i} of {dataset} changed ({choice}), crc32c kept"


def mutate_structure(seed, rng, folder, target):
    import h5py
    for attempt in range(8):
        shutil.copyfile(seed.path, target)
        try:
            with h5py.File(target, "r+") as f:
                what = structure_edits(rng, seed, f, folder)
            with open(target, "rb") as handle:
                return handle.read(), what
        except Exception as error:  # an edit h5py refuses: draw another
            last = f"{type(error).__name__}: {error}"
    data, what = mutate_bitflip(seed, rng)
    return data, f"(structure edits failed: {last[:80]}) {what}"


# --------------------------------------------------------------------------------------------
# Running the programs


def run_program(arguments, timeout):
    start = time.monotonic()
    process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
        hung = False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        hung = True
    return {"status": process.returncode, "hung": hung, "stdout": out.decode("utf-8", "replace"),
            "stderr": err.decode("utf-8", "replace"), "seconds": time.monotonic() - start}


def judge_run(program, result):
    """crash, hang, messy, refused or accepted, with a reason for the bad ones."""
    if result["hung"]:
        return "hang", "still running after the timeout"
    status = result["status"]
    if status < 0:
        return "crash", f"killed by {signal.Signals(-status).name}"
    lines = result["stderr"].splitlines()
    if status == 0:
        if len(lines) > 1:
            return "messy", f"success with {len(lines)} lines on standard error"
        return "accepted", ""
    if status != 1:
        return "messy", f"exit status {status}"
    prefix = program + ": error: "
    if len(lines) != 1 or not lines[0].startswith(prefix):
        return "messy", f"{len(lines)} lines on standard error, first: {(lines or [''])[0][:120]!r}"
    if "HDF5-DIAG" in result["stderr"] or "#0" in result["stderr"]:
        return "messy", "libhdf5 error stack in the message"
    return "refused", ""


def examine(job):
    """Makes mutant number `index`, runs the programs on it and judges the outcome."""
    index, base_seed, seeds, args, folder = job
    rng = random.Random(f"{base_seed}:{index}")
    seed = rng.choice(seeds)
    kind = rng.choices(*args.kind_weights)[0]
    work = os.path.join(folder, f"m{index}")
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "mutant.h5")
    if kind == "structure":
        data, what = mutate_structure(seed, rng, work, path)
    else:
        data, what = globals()["mutate_" + kind](seed, rng)
    with open(path, "wb") as handle:
        handle.write(data)
    return judge(index, seed, kind, what, path, work, args)


def judge(index, seed, kind, what, path, work, args):
    bin_dir = args.bin
    commands = [
        ("rnn-inspect", [os.path.join(bin_dir, "rnn-inspect"), "verify", path]),
        ("rnn-inspect", [os.path.join(bin_dir, "rnn-inspect"), path]),
        ("rnn-play", [os.path.join(bin_dir, "rnn-play"), path, "--length", "20", "--seed", "1"]),
    ]
    runs, notes, worst = [], [], None
    for program, arguments in commands:
        result = run_program(arguments, args.timeout)
        outcome, reason = judge_run(program, result)
        runs.append({"command": " ".join([program] + arguments[1:]), "outcome": outcome, "reason": reason,
                     "status": result["status"], "stderr": result["stderr"][-2000:], "seconds": round(result["seconds"], 3)})
        if outcome in BAD:
            notes.append(f"{program} {arguments[1] if program == 'rnn-inspect' and arguments[1] == 'verify' else ''}: "
                         f"{outcome}: {reason}".replace("  ", " "))
    verify = runs[0]
    if any(r["outcome"] in BAD for r in runs):
        outcome = next(o for o in BAD if any(r["outcome"] == o for r in runs))
    elif verify["outcome"] == "accepted":
        description, problem = describe_in_child(path, args.timeout)
        if description is None:
            outcome = "false-accept"
            notes.append(f"verify calls it sound but {problem}")
        else:
            differences = compare(seed.description, description)
            forgeable = seed.legacy or kind in ("structure", "forged")
            if not differences:
                outcome = "accepted"
            elif forgeable and legal_edit(differences, seed.description):
                outcome = "legal-edit"
                notes.append("legal values: " + ", ".join(k for k, _, _ in differences))
            else:
                outcome = "false-accept"
                notes.append("verify calls it sound but it differs: " + "; ".join(
                    f"{k}: {json.dumps(a)[:80]} -> {json.dumps(b)[:80]}" for k, a, b in differences[:4]))
    else:
        outcome = "refused"
    return {"index": index, "seed": seed.name, "kind": kind, "what": what, "outcome": outcome, "notes": notes,
            "runs": runs, "path": path, "work": work}


# --------------------------------------------------------------------------------------------
# Worker processes keep the seeds in memory


WORKER = {}


def worker_init(seed_paths, legacy_paths):
    WORKER["seeds"] = [SeedInfo(p, False) for p in seed_paths] + [SeedInfo(p, True) for p in legacy_paths]


def worker_examine(job):
    index, base_seed, args, folder = job
    result = examine((index, base_seed, WORKER["seeds"], args, folder))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__.split("\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1, help="seed of the mutations (default 1)")
    parser.add_argument("--count", type=int, default=300, help="number of mutants (default 300)")
    parser.add_argument("--timeout", type=float, default=10, help="seconds per program run (default 10)")
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build", "release"),
                        help="folder of rnn-train, rnn-inspect and rnn-play (default .build/release)")
    parser.add_argument("--seeds", help="folder of sound .h5 checkpoints to mutate (default: train new ones)")
    parser.add_argument("--no-legacy", action="store_true", help="do not add copies of the seeds in HDF5's oldest format")
    parser.add_argument("--jobs", type=int, default=2, help="mutants examined at once (default 2)")
    parser.add_argument("--keep-failures", metavar="DIR", help="save crashing, hanging, messy and falsely accepted mutants here")
    parser.add_argument("--kinds", help="comma-separated mutation kinds to use (default all: " + ",".join(KINDS) + ")")
    parser.add_argument("--json", metavar="FILE", help="write every mutant's outcome to this JSON file")
    parser.add_argument("--replay", metavar="FILE", help="run the programs on one file and print what they said")
    parser.add_argument("--describe", metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args()
    args.bin = os.path.abspath(args.bin)

    if args.describe:
        print(json.dumps(describe(args.describe)))
        return 0
    if args.replay:
        for program, extra in [("rnn-inspect", ["verify"]), ("rnn-inspect", []), ("rnn-play", ["--length", "20", "--seed", "1"])]:
            arguments = [os.path.join(args.bin, program)] + extra[:1] + [args.replay] + extra[1:]
            result = run_program(arguments, args.timeout)
            outcome, reason = judge_run(program, result)
            print(f"$ {program} {' '.join(arguments[1:])}\n  status {result['status']}: {outcome} {reason}")
            for line in (result["stderr"].splitlines() + result["stdout"].splitlines()[:3])[:12]:
                print("  | " + line)
        return 0

    kinds, weights = KINDS, WEIGHTS
    if args.kinds:
        chosen = args.kinds.split(",")
        unknown = [k for k in chosen if k not in KINDS]
        if unknown:
            parser.error("unknown kinds: " + ",".join(unknown))
        weights = [w for k, w in zip(KINDS, WEIGHTS) if k in chosen]
        kinds = [k for k in KINDS if k in chosen]
    args.kind_weights = (kinds, weights)
    for program in ["rnn-inspect", "rnn-play"] + ([] if args.seeds else ["rnn-train"]):
        if not os.access(os.path.join(args.bin, program), os.X_OK):
            parser.error(f"{os.path.join(args.bin, program)} not found: build with swift build -c release")

    started = time.monotonic()
    folder = tempfile.mkdtemp(prefix="charrnn-fuzz-")
    try:
        seed_folder = os.path.join(folder, "seeds")
        os.makedirs(seed_folder)
        if args.seeds:
            paths = sorted(os.path.join(args.seeds, n) for n in os.listdir(args.seeds) if n.endswith(".h5"))
            for p in paths:
                shutil.copyfile(p, os.path.join(seed_folder, os.path.basename(p)))
            paths = [os.path.join(seed_folder, os.path.basename(p)) for p in paths]
            if not paths:
                parser.error(f"no .h5 files in {args.seeds}")
        else:
            paths = make_seeds(args.bin, seed_folder)
        legacy = []
        if not args.no_legacy:
            for p in paths:
                target = p[:-3] + "-legacy.h5"
                legacy_copy(p, target)
                legacy.append(target)
        checked_seeds(args.bin, paths + legacy)
        if not args.quiet:
            print(f"seeds: {len(paths)} checkpoints + {len(legacy)} legacy copies ({time.monotonic() - started:.1f}s)", flush=True)

        jobs = [(i, args.seed, args, folder) for i in range(args.count)]
        results = []
        table = {k: {o: 0 for o in OUTCOMES} for k in kinds}
        if args.keep_failures:
            os.makedirs(args.keep_failures, exist_ok=True)
        with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs), initializer=worker_init,
                                                    initargs=(paths, legacy)) as pool:
            for result in pool.map(worker_examine, jobs, chunksize=4):
                results.append(result)
                table[result["kind"]][result["outcome"]] += 1
                if result["outcome"] in BAD:
                    if not args.quiet:
                        print(f"  #{result['index']} {result['kind']} of {result['seed']}: {result['outcome']}: {result['what']}"
                              f"\n      " + "\n      ".join(result["notes"]), flush=True)
                    if args.keep_failures:
                        stem = os.path.join(args.keep_failures, f"{result['index']:05d}-{result['kind']}-{result['outcome']}")
                        shutil.copyfile(result["path"], stem + ".h5")
                        for extra in os.listdir(result["work"]):
                            if extra != "mutant.h5":
                                shutil.copyfile(os.path.join(result["work"], extra), os.path.join(args.keep_failures, extra))
                        with open(stem + ".json", "w") as handle:
                            json.dump({k: v for k, v in result.items() if k not in ("path", "work")}, handle, indent=1)
                shutil.rmtree(result["work"], ignore_errors=True)
                if not args.quiet and len(results) % 250 == 0:
                    bad = sum(r["outcome"] in BAD for r in results)
                    print(f"  {len(results)}/{args.count} mutants, {bad} bad, {time.monotonic() - started:.0f}s", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    elapsed = time.monotonic() - started
    width = max(len(k) for k in kinds + ["total"])
    print(f"\n{'kind':<{width}} " + " ".join(f"{o:>12}" for o in OUTCOMES) + f" {'mutants':>8}")
    totals = {o: 0 for o in OUTCOMES}
    for k in kinds:
        row = table[k]
        for o in OUTCOMES:
            totals[o] += row[o]
        print(f"{k:<{width}} " + " ".join(f"{row[o]:>12}" for o in OUTCOMES) + f" {sum(row.values()):>8}")
    print(f"{'total':<{width}} " + " ".join(f"{totals[o]:>12}" for o in OUTCOMES) + f" {sum(totals.values()):>8}")
    runs = [r for result in results for r in result["runs"]]
    slowest = max((r["seconds"] for r in runs), default=0)
    print(f"\n{len(results)} mutants, {len(runs)} program runs in {elapsed:.0f}s; slowest run {slowest:.2f}s")
    summary = {"seed": args.seed, "mutants": len(results), "crashes": totals["crash"], "hangs": totals["hang"],
               "messy": totals["messy"], "false_accepts": totals["false-accept"], "refused": totals["refused"],
               "accepted": totals["accepted"], "legal_edits": totals["legal-edit"], "seconds": round(elapsed, 1),
               "by_kind": table}
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"summary": summary, "mutants": [{k: v for k, v in r.items() if k not in ("path", "work")} for r in results]},
                      handle, indent=1)
    print("fuzz-result " + json.dumps(summary, separators=(",", ":")))
    return 1 if any(summary[k] for k in ("crashes", "hangs", "messy", "false_accepts")) else 0


if __name__ == "__main__":
    sys.exit(main())
