#!/usr/bin/env bash
# Cross-validation of a training recipe on the four labelled patients of the shared data
# (issue 29's measurement; not a test). Leave-one-out: `lits train --folds 4` over
#   117  the sample (LiTS 117, `make sample`): contrast CT, manual liver and tumour labels
#   1    totalseg-3mm: 3 mm CT, a TotalSegmentator liver mask (a model's output)
#   2    lits-small64 with its header corrected (in-plane 0.664 mm written, 5.31 mm real)
#   3    dcmqi-3slice: three 1 mm slices, a semi-automatic human liver mask
# each fold trains on three patients and predicts the fourth (out of fold); the run's crossval/
# report scores every patient once. Every fold has the same fixed number of steps (EPOCHS x
# BATCHES), so the Dice does not depend on the machine's load; the seconds do.
#
# Needs a release build (make release), the sample (make sample) and python3 with nibabel
# (PYTHON=...) for the header correction. Writes OUT (default out/crossval) and prints a
# Markdown table per recipe.
#
#   benchmarks/crossval.sh [RECIPE ...]      # default: default baseline
#   EPOCHS=12 BATCHES=25 benchmarks/crossval.sh default
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LITS="${LITS:-$ROOT/.build/release/lits}"
PYTHON="${PYTHON:-python3}"
SHARED="${SHARED:-$ROOT/../shared/data}"
SAMPLE="${SAMPLE:-$ROOT/data/sample}"
OUT="${OUT:-$ROOT/out/crossval}"
SEED="${SEED:-7}"

[ -x "$LITS" ] || { echo "crossval: build first (make release): $LITS" >&2; exit 1; }
[ -f "$SAMPLE/volume-117.nii.gz" ] || { echo "crossval: fetch the sample first (make sample)" >&2; exit 1; }
mkdir -p "$OUT"

# The four patients as one LiTS-layout folder (links to the files; lits-small64 rewritten).
PATIENTS="$OUT/patients"
PYTHON="$PYTHON" "$ROOT/benchmarks/make_patients.sh" "$SHARED" "$PATIENTS" "$SAMPLE"

RECIPES=("$@")
[ ${#RECIPES[@]} -gt 0 ] || RECIPES=(default baseline)
for recipe in "${RECIPES[@]}"; do
  run="$OUT/runs/$recipe"
  budget=()
  [ -n "${EPOCHS:-}" ] && budget+=(--epochs "$EPOCHS")
  [ -n "${BATCHES:-}" ] && budget+=(--batches-per-epoch "$BATCHES")
  if [ ! -f "$run/crossval/data/cases.csv" ]; then
    start=$(date +%s)
    if [ -f "$run/crossvalidation.json" ]; then
      ( time -p "$LITS" train --resume "$run" ) >> "$OUT/train-$recipe.log" 2>&1
    else
      # --allow-qa-errors: the 3-slice patient and the resized one are what they are; the
      # measurement is about how the recipe does on them.
      ( time -p "$LITS" train "$PATIENTS" --out "$run" --folds 4 --recipe "$recipe" --seed "$SEED" \
          --allow-qa-errors "${budget[@]}" ) > "$OUT/train-$recipe.log" 2>&1
    fi
    echo "$(( $(date +%s) - start ))" > "$OUT/train-$recipe.seconds"
  fi
done

# The tables: out-of-fold liver and lesion Dice per patient, their mean, and per third of the
# liver (mean over patients), from each run's crossval/ report.
echo "| recipe | train s | 117 liver | 117 lesion | totalseg-3mm | lits-small64 (fixed) | dcmqi-3slice | mean liver | min liver | top | middle | bottom |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for recipe in "${RECIPES[@]}"; do
  report="$OUT/runs/$recipe/crossval/data"
  [ -f "$report/cases.csv" ] || { echo "| $recipe | (no report: see $OUT/train-$recipe.log) |"; continue; }
  awk -F, -v recipe="$recipe" -v secs="$(cat "$OUT/train-$recipe.seconds" 2>/dev/null || echo -)" '
    FNR == 1 { for (c = 1; c <= NF; c++) col[FILENAME, $c] = c; next }
    FILENAME ~ /cases.csv$/ {
      id = $1; d[id] = $(col[FILENAME, "liver_dice"]); l[id] = $(col[FILENAME, "lesion_dice"])
      sum += d[id]; n++; if (n == 1 || d[id] < min) min = d[id]
    }
    FILENAME ~ /regions.csv$/ { r[$2] += $(col[FILENAME, "liver_dice"]); rn[$2]++ }
    END {
      printf "| %s | %s | %.3f | %s | %.3f | %.3f | %.3f | %.3f | %.3f |", recipe, secs, d["117"], (l["117"] == "" ? "-" : sprintf("%.3f", l["117"])),
        d["1"], d["2"], d["3"], sum / n, min
      for (i = 1; i <= 3; i++) { t = (i == 1 ? "top" : i == 2 ? "middle" : "bottom"); printf " %s |", (rn[t] ? sprintf("%.3f", r[t] / rn[t]) : "-") }
      printf "\n"
    }
  ' "$report/cases.csv" "$report/regions.csv"
done
