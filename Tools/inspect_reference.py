#!/usr/bin/env python3
"""inspect_reference.py - the figures of `rnn-inspect CKPT --json`, computed independently.

Opens a charrnn checkpoint with h5py and numpy only (no code of the Swift project) and prints, as
JSON, what the inspector's summary, --tensors and --vocab report, so the two can be compared:

  parameters   total and per group (encoder, rnn layer k, decoder), from the /model datasets
  tensors      per float32 dataset under /model, /optimizer/<slot> and /train/hidden: shape, and
               over its finite values mean, population std, min, max; counts of zeros, NaN, Inf
  vocabulary   code points and counts
  training     iteration, epoch, characters seen, optimizer step, current learning rate, last
               train loss, best validation loss, corpus length (absent for a model-only file)

With --activations it instead runs a text through the model in float64 from a zero state and
prints, per unit of one layer's state (h, or an LSTM's c) read after every character, its mean,
population std and Pearson correlation with a text feature (quotes, line-position, indentation),
as `rnn-inspect activations` defines them.

Run:  python3 Tools/inspect_reference.py CHECKPOINT.h5
      python3 Tools/inspect_reference.py CHECKPOINT.h5 --activations TEXT_FILE LAYER h|c FEATURE
"""
import json
import re
import sys

import h5py
import numpy as np


def statistics(values):
    values = np.asarray(values, dtype=np.float32).ravel()
    finite = values[np.isfinite(values)].astype(np.float64)
    out = {
        "count": int(values.size),
        "zeros": int(np.count_nonzero(values == 0)),
        "nan": int(np.count_nonzero(np.isnan(values))),
        "inf": int(np.count_nonzero(np.isinf(values))),
    }
    if finite.size:
        out.update(mean=float(finite.mean()), std=float(finite.std()), min=float(finite.min()), max=float(finite.max()))
    else:
        out.update(mean=None, std=None, min=None, max=None)
    return out


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def feature_values(text, feature):
    out, inside, column, indent, at_start = [], False, 0, 0, True
    for ch in text:
        if feature == "quotes":
            if ch == '"':
                inside = not inside
            out.append(1.0 if inside else 0.0)
        elif feature == "line-position":
            out.append(float(column))
            column = 0 if ch == "\n" else column + 1
        else:
            if at_start and ch in " \t":
                indent += 1
            elif ch != "\n":
                at_start = False
            out.append(float(indent))
            if ch == "\n":
                indent, at_start = 0, True
    return np.array(out)


def activations(path, text_path, layer, state, feature):
    f = h5py.File(path, "r")
    c = f["config"].attrs
    cell, L, H = c["cell"].decode(), int(c["num_layers"]), int(c["hidden_size"])
    w = {k: v[()].astype(np.float64) for k, v in f["model"].items()}
    index = {int(cp): i for i, cp in enumerate(f["vocab/codepoints"][()])}
    text = open(text_path, encoding="utf-8").read()
    h, cs, rows = [np.zeros(H) for _ in range(L)], [np.zeros(H) for _ in range(L)], []
    for ch in text:
        token = index[ord(ch)]
        for k in range(L):
            if k == 0:
                x = w["encoder.weight"][token] if "encoder.weight" in w else None
                gi = (w["rnn.weight_ih_l0"] @ x if x is not None else w["rnn.weight_ih_l0"][:, token]) + w["rnn.bias_ih_l0"]
            else:
                gi = w[f"rnn.weight_ih_l{k}"] @ h[k - 1] + w[f"rnn.bias_ih_l{k}"]
            gh = w[f"rnn.weight_hh_l{k}"] @ h[k] + w[f"rnn.bias_hh_l{k}"]
            if cell == "rnn":
                h[k] = np.tanh(gi + gh)
            elif cell == "lstm":
                z = gi + gh
                i, fg, g, o = sigmoid(z[:H]), sigmoid(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), sigmoid(z[3 * H:])
                cs[k] = fg * cs[k] + i * g
                h[k] = o * np.tanh(cs[k])
            else:
                r, zz = sigmoid(gi[:H] + gh[:H]), sigmoid(gi[H:2 * H] + gh[H:2 * H])
                n = np.tanh(gi[2 * H:] + r * gh[2 * H:])
                h[k] = (1 - zz) * n + zz * h[k]
        rows.append((cs if state == "c" else h)[layer].copy())
    a, y = np.array(rows), feature_values(text, feature)
    units = []
    for u in range(H):
        x = a[:, u]
        r = float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else None
        units.append({"unit": u, "mean": float(x.mean()), "std": float(x.std()), "correlation": r})
    return {"characters": len(text), "units": units}


def main():
    if len(sys.argv) == 7 and sys.argv[2] == "--activations":
        print(json.dumps(activations(sys.argv[1], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])))
        return
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    f = h5py.File(sys.argv[1], "r")
    tensors = {}
    for name, dataset in f["model"].items():
        tensors["model/" + name] = dict(shape=list(dataset.shape), **statistics(dataset[()]))
    if "optimizer" in f:
        for slot, group in f["optimizer"].items():
            for name, dataset in group.items():
                tensors[f"optimizer/{slot}/{name}"] = dict(shape=list(dataset.shape), **statistics(dataset[()]))
    if "train" in f:
        for name, dataset in f["train/hidden"].items():
            tensors["train/hidden/" + name] = dict(shape=list(dataset.shape), **statistics(dataset[()]))

    groups = {"encoder": 0, "decoder": 0}
    for name, dataset in f["model"].items():
        layer = re.search(r"_l(\d+)$", name)
        key = f"rnn layer {layer.group(1)}" if name.startswith("rnn.") else name.split(".")[0]
        groups[key] = groups.get(key, 0) + int(dataset.size)

    result = {
        "parameters": {"total": sum(int(d.size) for d in f["model"].values()), "groups": groups},
        "tensors": tensors,
        "vocabulary": {
            "codepoints": [int(c) for c in f["vocab/codepoints"][()]],
            "counts": [int(c) for c in f["vocab/counts"][()]] if "counts" in f["vocab"] else None,
        },
        "training": None,
    }
    if "train" in f:
        t, h = f["train"].attrs, f["history"]
        result["training"] = {
            "iteration": int(t["iteration"]),
            "epoch": int(t["epoch"]),
            "characters_seen": int(t["characters_seen"]),
            "optimizer_step": int(f["optimizer"].attrs["step"]),
            "learning_rate": float(f["optimizer"].attrs["learning_rate"]),
            "last_train_loss": float(h["train_loss"][-1]) if len(h["train_loss"]) else None,
            "best_val_loss": float(t["best_val_loss"]),
            "corpus_length": int(t["corpus_length"]),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
