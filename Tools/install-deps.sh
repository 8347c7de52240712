#!/usr/bin/env bash
# install-deps.sh - the system and Python packages the project needs (Debian/Ubuntu).
# Installs only what is missing: libopenblas-dev, libhdf5-dev and pkg-config with apt;
# numpy and h5py (for the reference tools and interoperability tests) and tensorboard (whose
# reader checks the event files of rnn-train --logdir) with pip.
# --with-torch also installs PyTorch (about 5 GB with its CUDA libraries, 1-2 minutes), so that the
# tests load checkpoints into torch.nn modules and run the README's PyTorch example; CI uses it.
set -euo pipefail
with_torch=0
for argument in "$@"; do
  case "$argument" in
    --with-torch) with_torch=1 ;;
    *) echo "install-deps: unknown option $argument (known: --with-torch)" >&2; exit 2 ;;
  esac
done
need=()
command -v pkg-config >/dev/null || need+=(pkg-config)
pkg-config --exists openblas 2>/dev/null || need+=(libopenblas-dev)
pkg-config --exists hdf5 2>/dev/null || need+=(libhdf5-dev)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing ${need[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! python3 -c "import numpy, h5py" 2>/dev/null; then
  echo "installing numpy and h5py with pip"
  python3 -m pip install --quiet numpy h5py 2>/dev/null || python3 -m pip install --quiet --break-system-packages numpy h5py
fi
if ! python3 -c "import tensorboard" 2>/dev/null; then
  echo "installing tensorboard with pip"
  python3 -m pip install --quiet tensorboard 2>/dev/null || python3 -m pip install --quiet --break-system-packages tensorboard
fi
if [ "$with_torch" = 1 ] && ! python3 -c "import torch" 2>/dev/null; then
  echo "installing torch with pip (about 5 GB)"
  # Not fatal: without torch (a small disk, say) its checks are skipped, and say so.
  python3 -m pip install --quiet torch 2>/dev/null || python3 -m pip install --quiet --break-system-packages torch \
    || echo "install-deps: torch could not be installed ($(df -h . | awk 'NR==2 {print $4}') free here); the PyTorch checks will be skipped" >&2
fi
command -v swift >/dev/null || { echo "install-deps: Swift 6 is needed (https://www.swift.org/install/linux/)" >&2; exit 1; }
