#!/usr/bin/env bash
# Long fuzz run of the safetensors and GGUF readers under AddressSanitizer, so that an out-of-bounds
# read through a raw pointer (which Swift's own checks would not see) fails loudly.
# Usage: Scripts/check/fuzz_formats.sh [cases-per-format]   (default 1,000,000; the test suite runs 100,000)
set -euo pipefail
cd "$(dirname "$0")/../.."
CASES=${1:-1000000}
QUILL_FUZZ_CASES=$CASES swift test -c release --sanitize=address --scratch-path .build-asan \
  --filter 'QuillFormatsTests.FormatsFuzzTests'
