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

Run:  python3 Tools/inspect_reference.py CHECKPOINT.h5
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


def main():
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
