#!/usr/bin/env bash
# Cross-checks QuillFormats against the reference Python readers: the Swift test CrossCheckTests writes
# quill.gguf / quill.safetensors, then gguf-py and safetensors read them and compare values and
# quantized bytes with gguf.quants. `--fixtures` regenerates the committed Python-written fixtures.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.venv-fmt
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q numpy safetensors gguf
fi
if [ "${1:-}" = "--fixtures" ]; then
  exec "$VENV/bin/python" Scripts/check/formats_crosscheck.py fixtures Tests/QuillFormatsTests/Fixtures
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
QUILL_CROSSCHECK_DIR="$OUT" swift test --filter 'QuillFormatsTests.CrossCheckTests'
"$VENV/bin/python" Scripts/check/formats_crosscheck.py check "$OUT"
