#!/usr/bin/env bash
# install-deps.sh - the system and Python packages the project needs (Debian/Ubuntu).
# Installs only what is missing: libopenblas-dev, libhdf5-dev and pkg-config with apt;
# numpy and h5py (for the reference tools and interoperability tests) and tensorboard (whose
# reader checks the event files of rnn-train --logdir) with pip.
set -euo pipefail
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
command -v swift >/dev/null || { echo "install-deps: Swift 6 is needed (https://www.swift.org/install/linux/)" >&2; exit 1; }
