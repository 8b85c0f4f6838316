#!/usr/bin/env bash
# Training throughput with and without on-the-fly augmentation, on the demo model settings
# (Makefile DEMO_TRAIN: patch 96x96x16, filters 8-64, 1 volume x 2 patches per batch) and the
# sample case. Goal: augmentation costs at most 10% of the patches per second.
#
# Each setting runs `lits train` twice, with B and with 1 batch per epoch (one epoch): the
# difference is B - 1 batches of sampling, augmentation and training step, without start-up,
# preprocessing or the validation pass (the same in both). Settings alternate, REPEAT rounds;
# the medians are reported. Run under `flock /tmp/litskit-bench.lock` (the machine is shared).
#
#   benchmarks/augmentation.sh [DATA] [BATCHES] [REPEAT]
#
# DATA: a LiTS folder with the sample (default data/sample, else ../shared/data/lits117).
# Then `lits bench augment` times, in one process, augmenting a patch against a training step.
# Writes benchmarks/augmentation.md (appended to results.md by compare.sh) and prints it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/benchmarks"
LITS="$ROOT/.build/release/lits"
DATA="${1:-}"
if [ -z "$DATA" ]; then
  if [ -d "$ROOT/data/sample" ]; then DATA="$ROOT/data/sample"; else DATA="$ROOT/../shared/data/lits117"; fi
fi
BATCHES="${2:-30}"
REPEAT="${3:-3}"
[ -x "$LITS" ] || { echo "augmentation.sh: build first: swift build -c release" >&2; exit 1; }
[ -d "$DATA" ] || { echo "augmentation.sh: $DATA: no such folder" >&2; exit 1; }
WORK="$(mktemp -d /tmp/litskit-augbench.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

"$LITS" preprocess "$DATA" --out "$WORK/pre" >/dev/null
DEMO=(--patch 96,96,16 --filters 8,16,32,64 --volumes-per-batch 1 --patches-per-volume 2 --epochs 1 --overlap 0.25 --lr 0.003)
PATCHES_PER_BATCH=2

# Wall and CPU (user + system) seconds of one `lits train` run: "WALL CPU".
run_train() {  # name batches augment...
  local name="$1" batches="$2"; shift 2
  local TIMEFORMAT='%R %U %S' times
  times=$( { time "$LITS" train "$WORK/pre" --out "$WORK/$name" "${DEMO[@]}" --batches-per-epoch "$batches" "$@" >/dev/null 2>&1; } 2>&1 )
  rm -rf "$WORK/$name"
  echo "$times" | awk '{printf "%.3f %.3f\n", $1, $2 + $3}'
}

# Patches per second of the B - 1 extra batches, from the long and the short run's seconds.
rate() { echo "($BATCHES - 1) * $PATCHES_PER_BATCH / ($1 - $2)" | bc -l; }

declare -A WALL CPU
for round in $(seq 1 "$REPEAT"); do
  for setting in none default; do
    read -r long_wall long_cpu < <(run_train "$setting-long" "$BATCHES" --augment "$setting")
    read -r short_wall short_cpu < <(run_train "$setting-short" 1 --augment "$setting")
    wall=$(rate "$long_wall" "$short_wall")
    cpu=$(rate "$long_cpu" "$short_cpu")
    WALL[$setting]="${WALL[$setting]:-} $wall"
    CPU[$setting]="${CPU[$setting]:-} $cpu"
    printf 'round %d %-7s wall %6.2f - %5.2f s: %.3f patches/s; cpu %6.2f - %5.2f s: %.3f patches per cpu-s\n' \
      "$round" "$setting" "$long_wall" "$short_wall" "$wall" "$long_cpu" "$short_cpu" "$cpu" >&2
  done
done

# In one process: milliseconds per patch of cutting, of augmenting and of the training step.
INPROCESS=$("$LITS" bench augment "$WORK/pre" --repeat 5 --patches 100)
echo "$INPROCESS" >&2

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
NONE=$(echo "${WALL[none]}" | median); AUG=$(echo "${WALL[default]}" | median)
NONE_CPU=$(echo "${CPU[none]}" | median); AUG_CPU=$(echo "${CPU[default]}" | median)
DROP=$(echo "100 * (1 - $AUG / $NONE)" | bc -l)
DROP_CPU=$(echo "100 * (1 - $AUG_CPU / $NONE_CPU)" | bc -l)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo
  echo "## Augmentation throughput (benchmarks/augmentation.sh)"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); machine: $(uname -srm), nproc=$(nproc); load average at the end: $LOAD"
  echo "- demo model settings (patch 96x96x16, filters 8-64, 2 patches per batch, 2 threads), $((BATCHES - 1)) timed batches, $REPEAT rounds, medians"
  echo "- patches per CPU-second (user + system of the process) is the steadier number on a shared machine"
  echo
  echo "| --augment | patches/s, each round | median patches/s | patches per CPU-s, each round | median per CPU-s |"
  echo "|---|---|---:|---|---:|"
  printf '| none |%s | %.3f |%s | %.3f |\n' "$(printf ' %.3f' ${WALL[none]})" "$NONE" "$(printf ' %.3f' ${CPU[none]})" "$NONE_CPU"
  printf '| default |%s | %.3f |%s | %.3f |\n' "$(printf ' %.3f' ${WALL[default]})" "$AUG" "$(printf ' %.3f' ${CPU[default]})" "$AUG_CPU"
  echo
  printf 'Throughput drop with nnU-Net default augmentation: %.1f%% wall, %.1f%% CPU (goal: at most 10%%).\n' "$DROP" "$DROP_CPU"
  echo
  echo "In one process (\`lits bench augment\`: 100 liver-biased patches augmented one at a time on one thread, and a training step of the demo model on 2 of them; medians of 5):"
  echo
  echo '```'
  echo "$INPROCESS"
  echo '```'
} > "$BENCH/augmentation.md"
cat "$BENCH/augmentation.md"
