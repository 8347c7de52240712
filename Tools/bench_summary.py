#!/usr/bin/env python3
"""bench_summary.py - the RESULT lines of Tools/bench.sh's logs as a markdown table with ratios."""
import json
import pathlib
import sys

logs = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/charrnn-bench")
results = {}
for log in sorted(logs.glob("*.log")):
    for line in log.read_text().splitlines():
        if line.startswith("RESULT "):
            results[log.stem] = json.loads(line[7:])

print("| config | ours train chars/s | best peer train chars/s (which) | ratio | ours sample chars/s (batch 1) | best peer sample chars/s (which) | ratio | ours sample chars/s (batch 32) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for c in "abcd":
    ours = results.get(f"ours_{c}")
    if not ours:
        continue
    peers = {k: v for k, v in results.items() if k.startswith(("torch_" + c, "numpy_" + c))}
    torch_peers = {k: v for k, v in peers.items() if k.startswith("torch")}
    best_train = max(torch_peers.items(), key=lambda kv: kv[1]["train_cps"], default=(None, None))
    best_sample = max(torch_peers.items(), key=lambda kv: kv[1]["sample_cps"], default=(None, None))
    def cell(entry, key):
        name, value = entry
        if value is None:
            return "-", "-"
        return f"{value[key]:,.0f} ({name})", f"{ours[key] / value[key]:.2f}x"
    t, tr = cell(best_train, "train_cps")
    s, sr = cell(best_sample, "sample_cps")
    print(f"| {c} | {ours['train_cps']:,.0f} | {t} | {tr} | {ours['sample_cps']:,.0f} | {s} | {sr} | {ours.get('sample_batch_cps', 0):,.0f} |")
    for name, value in sorted(peers.items()):
        if name.startswith("numpy"):
            print(f"| {c} vs {name} | {ours['train_cps']:,.0f} | {value['train_cps']:,.0f} | {ours['train_cps'] / value['train_cps']:.2f}x | {ours['sample_cps']:,.0f} | {value['sample_cps']:,.0f} | {ours['sample_cps'] / value['sample_cps']:.2f}x | |")
