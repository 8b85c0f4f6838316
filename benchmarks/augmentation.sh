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

# Seconds of one `lits train` run.
run_train() {  # name batches augment...
  local name="$1" batches="$2"; shift 2
  local t0 t1
  t0=$(date +%s.%N)
  "$LITS" train "$WORK/pre" --out "$WORK/$name" "${DEMO[@]}" --batches-per-epoch "$batches" "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  rm -rf "$WORK/$name"
  echo "$t1 - $t0" | bc -l
}

declare -A RATES
for round in $(seq 1 "$REPEAT"); do
  for setting in none default; do
    long=$(run_train "$setting-long" "$BATCHES" --augment "$setting")
    short=$(run_train "$setting-short" 1 --augment "$setting")
    rate=$(echo "($BATCHES - 1) * $PATCHES_PER_BATCH / ($long - $short)" | bc -l)
    RATES[$setting]="${RATES[$setting]:-} $rate"
    printf 'round %d %-7s %6.2f s - %5.2f s: %.3f patches/s\n' "$round" "$setting" "$long" "$short" "$rate" >&2
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
NONE=$(echo "${RATES[none]}" | median)
AUG=$(echo "${RATES[default]}" | median)
DROP=$(echo "100 * (1 - $AUG / $NONE)" | bc -l)
{
  echo
  echo "## Augmentation throughput (benchmarks/augmentation.sh)"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); machine: $(uname -srm), nproc=$(nproc)"
  echo "- demo model settings (patch 96x96x16, filters 8-64, 2 patches per batch), $((BATCHES - 1)) timed batches, $REPEAT rounds, medians"
  echo
  echo "| --augment | patches/s (each round) | median patches/s |"
  echo "|---|---|---:|"
  printf '| none |%s | %.3f |\n' "$(printf ' %.3f' ${RATES[none]})" "$NONE"
  printf '| default |%s | %.3f |\n' "$(printf ' %.3f' ${RATES[default]})" "$AUG"
  echo
  printf 'Throughput drop with nnU-Net default augmentation: %.1f%% (goal: at most 10%%).\n' "$DROP"
} > "$BENCH/augmentation.md"
cat "$BENCH/augmentation.md"
