#!/usr/bin/env bash
# bench.sh - training and sampling speed of rnn-bench beside the peers, one run at a time.
#
#   bash Tools/bench.sh              all four configurations of ../shared/peers/RESULTS.md
#   bash Tools/bench.sh b d          only some of them
#   THREADS=1 bash Tools/bench.sh a  another thread count (default 2)
#
# Needs the peers' Python environment (bash ../shared/peers/setup.sh, ~3 minutes) for the
# PyTorch and numpy figures; without it only our own figures are measured. Logs go to
# $LOGDIR (default /tmp/charrnn-bench); the table at the end compares the runs of this session.
set -u
cd "$(dirname "$0")/.."
PEERS=../shared/peers
DATA=../shared/data/shakespeare_1mb.txt
PY=${PEERS_PY:-${PEERS_VENV:-$HOME/.peers-venv}/bin/python}
THREADS=${THREADS:-2}
LOGDIR=${LOGDIR:-/tmp/charrnn-bench}
mkdir -p "$LOGDIR"
swift build -c release --product rnn-bench >/dev/null || exit 1
BENCH=.build/release/rnn-bench
configs=${*:-a b c d}
have_peers=1
[ -x "$PY" ] || { echo "no peers environment at $PY: measuring only rnn-bench" >&2; have_peers=0; }

run() {  # run NAME CMD...
  local name=$1; shift
  echo "== $name: $*" >&2
  { echo "# $(date -Is) $(uptime)"; "$@"; } > "$LOGDIR/$name.log" 2>&1
  grep -E '^(train|sample):' "$LOGDIR/$name.log" >&2
}

for c in $configs; do
  case $c in
    a) ARGS="--cell rnn --layers 1 --hidden 100 --batch 1 --seq 25"; STEPS=6000 ;;
    b) ARGS="--cell lstm --layers 2 --hidden 128 --batch 50 --seq 50"; STEPS=350 ;;
    c) ARGS="--cell lstm --layers 2 --hidden 512 --batch 64 --seq 64"; STEPS=25 ;;
    d) ARGS="--cell gru --layers 3 --hidden 512 --batch 200 --seq 30"; STEPS=16 ;;
    *) echo "unknown configuration $c" >&2; exit 2 ;;
  esac
  run "ours_${c}" $BENCH --data $DATA $ARGS --steps $STEPS --threads $THREADS --sample-batch 32
  if [ $have_peers = 1 ]; then
    run "torch_${c}" $PY $PEERS/torch_charrnn.py --data $DATA $ARGS --steps $STEPS --threads $THREADS
    [ $c != a ] && run "torch_${c}_nomkldnn" $PY $PEERS/torch_charrnn.py --data $DATA $ARGS --steps $STEPS --threads $THREADS --mkldnn off
    if [ $c = a ]; then
      # numpy_minchar.py uses os without importing it; hand it the module instead of editing it.
      for dtype in float64 float32; do
        run "numpy_a_$dtype" $PY -c "import os, runpy, sys; sys.argv = ['numpy_minchar.py', '--data', '$DATA', '--iters', '10000', '--threads', '1', '--dtype', '$dtype']; runpy.run_path('$PEERS/numpy_minchar.py', init_globals={'os': os}, run_name='__main__')"
      done
    fi
  fi
done
python3 Tools/bench_summary.py "$LOGDIR"
