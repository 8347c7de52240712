#!/usr/bin/env python3
"""torch_load.py - load a charrnn checkpoint into PyTorch modules and score a text with them.

Shows (and checks) that a checkpoint's /model group is a PyTorch state_dict: it builds
encoder = nn.Embedding (when embedding_size > 0), rnn = nn.RNN/LSTM/GRU(batch_first=True) and
decoder = nn.Linear from /config, loads /model with load_state_dict(strict=True), and prints the
same score line as `rnn-play CKPT --score FILE`.

Run:  python3 Tools/torch_load.py CHECKPOINT.h5 TEXT_FILE      (needs torch, h5py, numpy)
"""
import math
import sys

import h5py
import torch
import torch.nn as nn
import torch.nn.functional as F


def text_attr(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class CharModel(nn.Module):
    def __init__(self, cell, vocab, embedding, hidden, layers):
        super().__init__()
        if embedding > 0:
            self.encoder = nn.Embedding(vocab, embedding)
        self.embedding = embedding
        self.vocab = vocab
        kind = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = kind(embedding or vocab, hidden, layers, batch_first=True)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, x):
        inputs = self.encoder(x) if self.embedding > 0 else F.one_hot(x, self.vocab).float()
        out, _ = self.rnn(inputs)
        return self.decoder(out)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    f = h5py.File(sys.argv[1], "r")
    c = f["config"].attrs
    model = CharModel(text_attr(c["cell"]), int(c["vocab_size"]), int(c["embedding_size"]),
                      int(c["hidden_size"]), int(c["num_layers"]))
    state = {k: torch.from_numpy(v[()]) for k, v in f["model"].items()}
    model.load_state_dict(state, strict=True)
    codepoints = f["vocab/codepoints"][()]
    unit = text_attr(f["vocab/codepoints"].attrs["unit"])
    index = {int(cp): i for i, cp in enumerate(codepoints)}
    raw = open(sys.argv[2], "rb").read()
    values = list(raw) if unit == "byte" else [ord(ch) for ch in raw.decode("utf-8")]
    ids = torch.tensor([[index[v] for v in values]])
    with torch.no_grad():
        logits = model(ids[:, :-1])
        nats = F.cross_entropy(logits[0].double(), ids[0, 1:], reduction="sum").item()
    n = ids.shape[1] - 1
    mean = nats / n
    print(f"{sys.argv[2]}: {mean:.6f} nats/char, {mean / math.log(2):.6f} bits/char, "
          f"perplexity {math.exp(mean):.4f} over {n:,} predicted characters")


if __name__ == "__main__":
    main()
