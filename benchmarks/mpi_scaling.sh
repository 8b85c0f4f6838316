#!/usr/bin/env bash
# Data-parallel training on this machine: `mpirun -n 2` with one thread per rank against one
# process with two threads, the same global batch (the defaults: 3 volumes x 4 patches of
# 168x168x16, filters 16-128), on the real sample case. Prints the throughput of each, their
# ratio and the time rank 0 spent in the gradients' MPI_Allreduce per step.
#   benchmarks/mpi_scaling.sh [LITS] [DATA]   (default .build/release/lits, ../shared/data/lits117)
# Timed runs hold /tmp/litskit-bench.lock so that only one benchmark times at once.
set -euo pipefail
LITS=${1:-.build/release/lits}
DATA=${2:-../shared/data/lits117}
BATCHES=${BATCHES:-4}
WORK=$(mktemp -d /tmp/litskit-mpi-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1   # as root (CI containers)
"$LITS" preprocess "$DATA" --out "$WORK/pre" > /dev/null 2>&1
ARGS=(--epochs 1 --batches-per-epoch "$BATCHES" --norm instance)

# The last progress line of a run: "... N patches/s ..." (each batch prints: a step takes > 10 s).
rate() { grep -o '[0-9.]* patches/s' "$1" | tail -1 | cut -d' ' -f1; }

echo "one process, 2 threads:"
flock /tmp/litskit-bench.lock "$LITS" train "$WORK/pre" --out "$WORK/one" "${ARGS[@]}" --threads 2 > "$WORK/one.log" 2>&1
one=$(rate "$WORK/one.log")
echo "  $one patches/s"
echo "mpirun -n 2, 1 thread per rank:"
flock /tmp/litskit-bench.lock mpirun --oversubscribe --bind-to none -n 2 "$LITS" train "$WORK/pre" --out "$WORK/two" "${ARGS[@]}" --threads 1 > "$WORK/two.log" 2>&1
two=$(rate "$WORK/two.log")
echo "  $two patches/s"
grep -o '[0-9.]* ms a step in MPI_Allreduce' "$WORK/two.log" | sed 's/^/  /'
params=$(python3 - "$WORK/one/last.safetensors" <<'PY'
import json, struct, sys
b = open(sys.argv[1], 'rb').read(1 << 20)
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
print(sum((v['data_offsets'][1] - v['data_offsets'][0]) // 4 for k, v in h.items()
          if k != '__metadata__' and 'running' not in k and 'num_batches' not in k))
PY
)
echo "parameters: $params ($(( params * 4 )) bytes of gradients a step)"
python3 -c "print('throughput ratio (2 ranks / 1 process): %.3f' % ($two / $one))"
