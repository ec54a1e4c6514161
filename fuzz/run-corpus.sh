#!/usr/bin/env bash
# run-corpus.sh FUZZER CORPUS [libFuzzer flags...]: runs FUZZER over the
# committed CORPUS without writing into it (new inputs land in a scratch dir).
set -euo pipefail
fuzzer=$1 corpus=$2
shift 2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
[ -d "$corpus" ] && [ -n "$(ls -A "$corpus")" ] || { echo "empty or missing corpus $corpus" >&2; exit 1; }
"$fuzzer" "$@" "$scratch" "$corpus"
