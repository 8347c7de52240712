#!/usr/bin/env python3
"""reference.py - an independent numpy reference for the model core's tests.

Written from PyTorch's documented definitions (torch.nn.RNN/LSTM/GRU, Embedding, Linear,
cross_entropy, and the optimizers' update rules), sharing no code with the Swift project.

  python3 Tools/reference.py forward IN.json OUT.json
      IN: {"cell", "layers", "hidden", "embedding", "vocab", "batch", "steps",
           "tensors": {state_dict name: flat row-major list}, "inputs", "targets"}
           (inputs/targets time-major: element t*batch + b)
      OUT: {"logits": flat [steps*batch, vocab] time-major, "loss": mean cross-entropy (nats)}
      Computed in float64 from the float32 weights.

  python3 Tools/reference.py optimizer IN.json OUT.json
      IN: {"name": "sgd"|"adagrad"|"rmsprop"|"adam", "lr", "momentum", "alpha", "beta1",
           "beta2", "eps", "params": [...], "grads": [[...], ...] one list per step}
      OUT: {"params": [[...] after each step], "slots": {name: [...] after the last step}}
      Computed in float32 with PyTorch's order of operations (single-tensor code path).
"""
import json
import sys

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def forward(spec):
    cell, layers, H = spec["cell"], spec["layers"], spec["hidden"]
    E, V, B, T = spec["embedding"], spec["vocab"], spec["batch"], spec["steps"]
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    tensors = spec["tensors"]

    def tensor(name, shape):
        return np.asarray(tensors[name], dtype=np.float32).astype(np.float64).reshape(shape)

    inputs = np.asarray(spec["inputs"], dtype=np.int64).reshape(T, B)
    targets = np.asarray(spec["targets"], dtype=np.int64).reshape(T, B)
    if E > 0:
        x = tensor("encoder.weight", (V, E))[inputs]  # [T, B, E]
    else:
        x = np.eye(V)[inputs]  # one-hot [T, B, V]
    for k in range(layers):
        in_k = x.shape[2]
        w_ih = tensor(f"rnn.weight_ih_l{k}", (G * H, in_k))
        w_hh = tensor(f"rnn.weight_hh_l{k}", (G * H, H))
        b_ih = tensor(f"rnn.bias_ih_l{k}", (G * H,))
        b_hh = tensor(f"rnn.bias_hh_l{k}", (G * H,))
        h = np.zeros((B, H))
        c = np.zeros((B, H))
        outputs = []
        for t in range(T):
            gi = x[t] @ w_ih.T + b_ih
            gh = h @ w_hh.T + b_hh
            if cell == "rnn":
                h = np.tanh(gi + gh)
            elif cell == "lstm":
                z = gi + gh
                i, f, g, o = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
                c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
                h = sigmoid(o) * np.tanh(c)
            else:
                r = sigmoid(gi[:, :H] + gh[:, :H])
                z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
                n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
                h = (1 - z) * n + z * h
            outputs.append(h)
        x = np.stack(outputs)  # [T, B, H]
    w = tensor("decoder.weight", (V, H))
    b = tensor("decoder.bias", (V,))
    logits = x @ w.T + b  # [T, B, V]
    flat = logits.reshape(T * B, V)
    shifted = flat - flat.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(T * B), targets.reshape(-1)].mean()
    return {"logits": flat.reshape(-1).tolist(), "loss": float(loss)}


def optimizer(spec):
    f32 = np.float32
    name, lr = spec["name"], spec["lr"]
    p = np.asarray(spec["params"], dtype=f32)
    slots = {}
    history = []
    for step, g in enumerate(spec["grads"], start=1):
        g = np.asarray(g, dtype=f32)
        if name == "sgd":
            if spec["momentum"] != 0:
                buf = slots.get("momentum_buffer")
                buf = g.copy() if buf is None else buf * f32(spec["momentum"]) + g
                slots["momentum_buffer"] = buf
                g = buf
            p = p + f32(-lr) * g
        elif name == "adagrad":
            s = slots.get("sum", np.zeros_like(p))
            s = s + g * g
            slots["sum"] = s
            p = p + f32(-lr) * g / (np.sqrt(s) + f32(spec["eps"]))
        elif name == "rmsprop":
            a = slots.get("square_avg", np.zeros_like(p))
            a = a * f32(spec["alpha"]) + f32(1 - spec["alpha"]) * g * g
            slots["square_avg"] = a
            p = p + f32(-lr) * g / (np.sqrt(a) + f32(spec["eps"]))
        elif name == "adam":
            m = slots.get("exp_avg", np.zeros_like(p))
            v = slots.get("exp_avg_sq", np.zeros_like(p))
            m = m + f32(1 - spec["beta1"]) * (g - m)  # torch.lerp with weight < 0.5
            v = v * f32(spec["beta2"]) + f32(1 - spec["beta2"]) * g * g
            bias1 = 1 - spec["beta1"] ** step
            bias2 = 1 - spec["beta2"] ** step
            step_size = lr / bias1
            denom = np.sqrt(v) / f32(bias2 ** 0.5) + f32(spec["eps"])
            p = p + f32(-step_size) * m / denom
            slots["exp_avg"], slots["exp_avg_sq"] = m, v
        else:
            raise SystemExit(f"unknown optimizer {name}")
        history.append(p.tolist())
    return {"params": history, "slots": {k: v.tolist() for k, v in slots.items()}}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("forward", "optimizer"):
        raise SystemExit(__doc__)
    with open(sys.argv[2]) as f:
        spec = json.load(f)
    result = forward(spec) if sys.argv[1] == "forward" else optimizer(spec)
    with open(sys.argv[3], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
