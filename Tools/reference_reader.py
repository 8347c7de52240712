#!/usr/bin/env python3
"""reference_reader.py - open a charrnn checkpoint with h5py and numpy only, and score a text.

Reads the model from the HDF5 file exactly as docs/checkpoint-format.md describes it (no code of
the Swift project is used), runs the RNN / LSTM / GRU forward pass in float64 over the text from
a zero state, and prints the same line as `rnn-play CKPT --score FILE`:

    FILE: 1.234567 nats/char, 1.781234 bits/char, perplexity 3.4369 over 1,234 characters

Run:  python3 Tools/reference_reader.py CHECKPOINT.h5 TEXT_FILE [TEXT_FILE ...]
      python3 Tools/reference_reader.py CHECKPOINT.h5 --summary     (print config and tensors)
"""
import math
import sys

import h5py
import numpy as np


def text_attr(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def load(path):
    f = h5py.File(path, "r")
    if text_attr(f.attrs["format"]) != "charrnn-checkpoint":
        raise SystemExit(f"{path}: not a charrnn checkpoint")
    if int(f.attrs["format_version"]) != 1:
        raise SystemExit(f"{path}: format version {int(f.attrs['format_version'])} is not 1")
    c = f["config"].attrs
    config = {
        "cell": text_attr(c["cell"]),
        "layers": int(c["num_layers"]),
        "hidden": int(c["hidden_size"]),
        "embedding": int(c["embedding_size"]),
        "vocab": int(c["vocab_size"]),
    }
    codepoints = f["vocab/codepoints"][()]
    unit = text_attr(f["vocab/codepoints"].attrs["unit"])
    tensors = {name: ds[()].astype(np.float64) for name, ds in f["model"].items()}
    f.close()
    return config, codepoints, unit, tensors


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def score(config, tensors, ids):
    """Summed cross-entropy (nats) of ids[1:] given the prefixes, from a zero state."""
    H, L, cell = config["hidden"], config["layers"], config["cell"]
    h = [np.zeros(H) for _ in range(L)]
    c = [np.zeros(H) for _ in range(L)]
    w_ih = [tensors[f"rnn.weight_ih_l{k}"] for k in range(L)]
    w_hh = [tensors[f"rnn.weight_hh_l{k}"] for k in range(L)]
    b_ih = [tensors[f"rnn.bias_ih_l{k}"] for k in range(L)]
    b_hh = [tensors[f"rnn.bias_hh_l{k}"] for k in range(L)]
    decoder_w, decoder_b = tensors["decoder.weight"], tensors["decoder.bias"]
    encoder = tensors.get("encoder.weight")
    total = 0.0
    for t in range(len(ids) - 1):
        token = ids[t]
        for k in range(L):
            if k == 0:
                gi = (w_ih[0] @ encoder[token] if encoder is not None else w_ih[0][:, token]) + b_ih[0]
            else:
                gi = w_ih[k] @ h[k - 1] + b_ih[k]
            gh = w_hh[k] @ h[k] + b_hh[k]
            if cell == "rnn":
                h[k] = np.tanh(gi + gh)
            elif cell == "lstm":
                z = gi + gh
                i, f, g, o = sigmoid(z[:H]), sigmoid(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), sigmoid(z[3 * H:])
                c[k] = f * c[k] + i * g
                h[k] = o * np.tanh(c[k])
            else:
                r = sigmoid(gi[:H] + gh[:H])
                zz = sigmoid(gi[H:2 * H] + gh[H:2 * H])
                n = np.tanh(gi[2 * H:] + r * gh[2 * H:])
                h[k] = (1 - zz) * n + zz * h[k]
        logits = decoder_w @ h[L - 1] + decoder_b
        m = logits.max()
        total += m + math.log(np.exp(logits - m).sum()) - logits[ids[t + 1]]
    return total


def encode(path, codepoints, unit):
    index = {int(cp): i for i, cp in enumerate(codepoints)}
    raw = open(path, "rb").read()
    values = list(raw) if unit == "byte" else [ord(ch) for ch in raw.decode("utf-8")]
    missing = sorted({v for v in values if v not in index})
    if missing:
        raise SystemExit(f"{path}: {len(missing)} character(s) not in the model's vocabulary")
    return [index[v] for v in values]


def line(label, nats, count):
    mean = nats / count if count else float("nan")
    return (f"{label}: {mean:.6f} nats/char, {mean / math.log(2):.6f} bits/char, "
            f"perplexity {math.exp(mean):.4f} over {count:,} predicted characters")


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    config, codepoints, unit, tensors = load(sys.argv[1])
    if sys.argv[2] == "--summary":
        print(config, f"vocab {len(codepoints)} ({unit})")
        for name, value in tensors.items():
            print(f"  {name} {list(value.shape)}")
        return
    total_nats, total_count = 0.0, 0
    for path in sys.argv[2:]:
        ids = encode(path, codepoints, unit)
        nats = score(config, tensors, ids)
        count = max(0, len(ids) - 1)
        total_nats += nats
        total_count += count
        print(line(path, nats, count))
    if len(sys.argv) > 3:
        print(line("overall", total_nats, total_count))


if __name__ == "__main__":
    main()
