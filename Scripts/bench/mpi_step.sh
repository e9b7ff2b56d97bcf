#!/usr/bin/env bash
# Data-parallel step time on this box: one process × 1 thread, one process × 2 threads, and two MPI
# ranks × 1 thread each, same model, global batch and data (a 6-layer, 384-wide byte-level GPT on
# Shakespeare); prints ms per step (training steps only, from trainer_state.json) and, for the MPI run,
# the allreduce share. Needs: swift build -c release --product quill with Open MPI built in; mpirun.
# Usage: Scripts/bench/mpi_step.sh      (env: STEPS, BATCH, SEQ)
set -euo pipefail
cd "$(dirname "$0")/../.."
Q=.build/release/quill
STEPS=${STEPS:-12}; BATCH=${BATCH:-8}; SEQ=${SEQ:-256}
WORK=$(mktemp -d /tmp/quill-mpi-bench-XXXX)
trap 'rm -rf "$WORK"' EXIT
[ -x "$Q" ] || { echo "build first: swift build -c release --product quill" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "mpirun is missing (apt-get install openmpi-bin libopenmpi-dev)" >&2; exit 1; }
"$Q" data prepare --input .assets/shakespeare --output "$WORK/data" >/dev/null 2>&1
ARGS=(train --data "$WORK/data" --n-layer 6 --n-head 6 --n-embd 384 --context-length 256 --batch-size "$BATCH"
      --sequence-length "$SEQ" --gradient-accumulation 1 --max-steps "$STEPS" --warmup-steps 2 --eval-interval 1000
      --checkpoint-interval 1000 --dropout 0 --seed 3)
ms_per_step() {   # mean training-step time of a finished run's output folder, in ms
  python3 - "$1" <<'PY'
import json, os, sys
d = os.path.join(sys.argv[1], "checkpoints")
state = json.load(open(os.path.join(d, open(os.path.join(d, "latest")).read().strip(), "trainer_state.json")))
print(f"{1000 * state['elapsed_seconds'] / state['step']:.0f}")
PY
}
echo "start: $(uptime)"
"$Q" "${ARGS[@]}" --threads 1 --output "$WORK/one1" >/dev/null 2>&1
echo "1 process × 1 thread:  $(ms_per_step "$WORK/one1") ms/step"
"$Q" "${ARGS[@]}" --threads 2 --output "$WORK/one2" >/dev/null 2>&1
echo "1 process × 2 threads: $(ms_per_step "$WORK/one2") ms/step"
out=$(mpirun --allow-run-as-root --oversubscribe -np 2 "$Q" "${ARGS[@]}" --threads 1 --output "$WORK/two" --distributed mpi 2>/dev/null)
echo "2 ranks × 1 thread:    $(ms_per_step "$WORK/two") ms/step; $(echo "$out" | grep '^allreduce:')"
echo "end: $(uptime)"
