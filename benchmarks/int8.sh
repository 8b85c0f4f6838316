#!/usr/bin/env bash
# int8 prediction against fp32 and bf16 (issue 30; a measurement, not a test):
#   1. `lits bench conv`: one 32-to-32 3x3x3 convolution, the direct kernels in each precision,
#      taking turns, ROUNDS rounds (medians);
#   2. whole-volume prediction of the shared patients (crossval.sh's folder: 117 the sample,
#      1 totalseg-3mm, 2 lits-small64, 3 dcmqi-3slice) with one fold's model and with the
#      cross-validation ensemble (every fold), in fp32, bf16 and int8 taking turns, ROUNDS rounds;
#   3. `lits evaluate` of each precision's predictions: liver and lesion Dice of every case, and
#      its difference from fp32 (issue 30 asks for every case within 0.002).
# Needs a release build (make release) and a cross-validation folder (benchmarks/crossval.sh
# default; CV=... and PATIENTS=... to use others); for the LiTS-sized rows make_data.py's case
# (LITS_SIZED) and `make demo`'s runs/sample (BENCH_RUN), skipped where missing. Runs under `flock /tmp/litskit-bench.lock`
# where flock exists, as the other benchmarks do. Prints Markdown for benchmarks/int8.md.
#
#   benchmarks/int8.sh                 ROUNDS=3 THREADS=2 by default
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LITS="${LITS:-$ROOT/.build/release/lits}"
CV="${CV:-$ROOT/out/crossval/runs/default}"
PATIENTS="${PATIENTS:-$ROOT/out/crossval/patients}"
OUT="${OUT:-$ROOT/out/int8}"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-2}"
LITS_SIZED="${LITS_SIZED:-$ROOT/benchmarks/data/lits_sized_nii}"
BENCH_RUN="${BENCH_RUN:-$ROOT/runs/sample}"
PRECISIONS=(fp32 bf16 int8)

[ -x "$LITS" ] || { echo "int8: build first (make release): $LITS" >&2; exit 1; }
[ -f "$CV/crossvalidation.json" ] || { echo "int8: no cross-validation folder at $CV (benchmarks/crossval.sh default)" >&2; exit 1; }
[ -d "$PATIENTS" ] || { echo "int8: no patients folder at $PATIENTS" >&2; exit 1; }
if [ -z "${INT8_LOCKED:-}" ] && command -v flock > /dev/null; then
  INT8_LOCKED=1 exec flock /tmp/litskit-bench.lock "$0" "$@"
fi
mkdir -p "$OUT"
SINGLE="$CV/fold-0"
MODELS=$(ls -d "$CV"/fold-* | wc -l)

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') (family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ') model $(grep -m1 '^model' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')), $(nproc) cores, $THREADS threads; flags:$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx512f|avx512_vnni|avx512_bf16|avx_vnni)$' | tr '\n' ' ')"
echo
echo "## One 32-to-32 channel 3x3x3 convolution, (1, 32, 16, 96, 96)"
echo
echo '```'
"$LITS" bench conv --repeat "$ROUNDS" --threads "$THREADS" | grep -E "conv3d_(kernel_fp32|bf16|int8)_forward|summary conv3d_(bf16|int8)"
echo '```'

seconds() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null || { echo "int8: failed: $*" >&2; exit 1; }; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
declare -A T
PATIENT_KINDS=("${PATIENT_KINDS[@]}")
[ -n "${LITS_SIZED_ONLY:-}" ] && PATIENT_KINDS=()   # LITS_SIZED_ONLY=1: the LiTS-sized rows alone
for round in $(seq "$ROUNDS"); do
  [ ${#PATIENT_KINDS[@]} -gt 0 ] || break
  for p in "${PRECISIONS[@]}"; do
    T[single-$p]+="$(seconds "$LITS" predict --run "$SINGLE" "$PATIENTS" --out "$OUT/single-$p" --precision "$p" --threads "$THREADS") "
    T[ensemble-$p]+="$(seconds "$LITS" predict --run "$CV" "$PATIENTS" --out "$OUT/ensemble-$p" --precision "$p" --threads "$THREADS") "
  done
done
# The LiTS-sized case (make_data.py's 168x168x675 CT, benchmarks/data/lits_sized_nii) with the
# benchmark model (runs/sample from `make demo`, the model of compare.sh's predict row): one model,
# and the same run given five times (a five-model ensemble's work), issue 30's goal.
if [ -f "$LITS_SIZED/volume-0.nii" ] && [ -f "$BENCH_RUN/config.json" ]; then
  # lits predict takes a run once per ensemble: five copies of the run folder (4 MB each).
  MEMBERS=()
  for m in 1 2 3 4 5; do
    rm -rf "$OUT/members/$m"; mkdir -p "$OUT/members"
    cp -r "$BENCH_RUN" "$OUT/members/$m"
    MEMBERS+=(--run "$OUT/members/$m")
  done
  for round in $(seq "$ROUNDS"); do
    for p in "${PRECISIONS[@]}"; do
      T[lits1-$p]+="$(seconds "$LITS" predict --run "$BENCH_RUN" "$LITS_SIZED" --out "$OUT/lits1-$p" --precision "$p" --threads "$THREADS") "
      T[lits5-$p]+="$(seconds "$LITS" predict "${MEMBERS[@]}" "$LITS_SIZED" --out "$OUT/lits5-$p" --precision "$p" --threads "$THREADS") "
    done
  done
fi
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo
echo "## Whole-volume prediction, lits predict (seconds, median of $ROUNDS rounds taking turns): the $(ls "$PATIENTS"/volume-* | wc -l) shared patients, and the LiTS-sized case"
echo
echo "| what | fp32 | bf16 | int8 | int8 speed-up over fp32 | over bf16 |"
echo "|---|---:|---:|---:|---:|---:|"
KINDS=("${PATIENT_KINDS[@]}")
[ -n "${T[lits1-fp32]:-}" ] && KINDS+=(lits1 lits5)
for kind in "${KINDS[@]}"; do
  f=$(echo "${T[$kind-fp32]}" | median); b=$(echo "${T[$kind-bf16]}" | median); i=$(echo "${T[$kind-int8]}" | median)
  case $kind in
    single) label="patients, 1 model (fold-0)" ;;
    ensemble) label="patients, $MODELS models (every fold)" ;;
    lits1) label="LiTS-sized case, 1 model (runs/sample)" ;;
    lits5) label="LiTS-sized case, runs/sample x 5" ;;
  esac
  printf "| %s | %.2f | %.2f | %.2f | %.2fx | %.2fx |\n" "$label" "$f" "$b" "$i" "$(echo "$f / $i" | bc -l)" "$(echo "$b / $i" | bc -l)"
done

echo
echo "## Dice of every case (lits evaluate against the patients' labels)"
for kind in "${PATIENT_KINDS[@]}"; do
  for p in "${PRECISIONS[@]}"; do
    "$LITS" evaluate --pred "$OUT/$kind-$p" --truth "$PATIENTS" --out "$OUT/eval-$kind-$p" > /dev/null
  done
  echo
  echo "$([ "$kind" = single ] && echo "One model (fold-0)" || echo "The $MODELS-fold ensemble"):"
  echo
  echo "| case | liver fp32 | liver bf16 | liver int8 | int8 - fp32 | lesion fp32 | lesion bf16 | lesion int8 | int8 - fp32 |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  python3 - "$OUT/eval-$kind" <<'PY'
import csv, sys
base = sys.argv[1]
rows = {p: {r["case"]: r for r in csv.DictReader(open(f"{base}-{p}/data/cases.csv"))} for p in ("fp32", "bf16", "int8")}
def val(p, case, m):
    v = rows[p].get(case, {}).get(m, "")
    return float(v) if v not in ("", None) else None
def fmt(v): return "-" if v is None else f"{v:.4f}"
def diff(a, b): return "-" if a is None or b is None else f"{b - a:+.4f}"
for case in sorted(rows["fp32"], key=lambda c: int(c) if c.isdigit() else c):
    cells = [case]
    for m in ("liver_dice", "lesion_dice"):
        a, b, c = (val(p, case, m) for p in ("fp32", "bf16", "int8"))
        cells += [fmt(a), fmt(b), fmt(c), diff(a, c)]
    print("| " + " | ".join(cells) + " |")
PY
done
