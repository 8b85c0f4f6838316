#!/usr/bin/env bash
# Trained on one case, scored on patients it never saw (issue 14's measurement; not a test).
#
# Trains on the sample alone (LiTS 117, `make sample`) once per setting, predicts the other
# labelled patients of the shared data and scores them with `lits evaluate`:
#   today      the defaults (168x168 in-plane, 2 mm slices, liver-biased sampling, no augmentation)
#   augment    + --augment default (nnU-Net's transforms)
#   spacing    --spacing 1.5,1.5,2 in place of the fixed 168x168 (the sample's own in-plane spacing)
#   regions    --sampling region-balanced
#   combined   augment + spacing + regions
#   poly       combined + --lr-schedule poly (nnU-Net's decay), predicted with the last checkpoint
#              (nnU-Net's final model) rather than the one that scored best on the training case
#   phases     poly + brightness for contrast phases: half the patches multiplied by 0.6-1.4 (on
#              the [0, 1] window, liver 119 HU becomes 31-207 HU: non-contrast to arterial; the
#              sample is portal venous, two of the patients are non-contrast at 46 HU)
#   context    phases at 3 mm (--spacing 3,3,3, patch 64x64x32): a 192x192x96 mm field of view, 5.3x
#              the volume of the 96x96x16 patch's at 1.5 mm, for about the same voxels (nnU-Net's 3d_lowres idea)
#   instance   phases with instance norm (nnU-Net's): each patch normalised by its own statistics,
#              not by running means of the sample's patches that another patient does not share
#   lowres     phases with simulated low resolution twice as often and down to 1/4 (nnU-Net: 1/8 of
#              patches, down to 1/2): lits-small64's 5.3 mm pixels are 1/3.5 of the sample's 1.5 mm
#   liver-only phases as the cascade's liver stage (--stage liver): one liver output, no lesion to
#              tell apart from a non-contrast liver
#   nomirror   phases without mirroring: every case is reoriented to RAS+, so a flip shows the
#              one training case in an orientation no patient has (the heart below the liver, the
#              liver on the left), and takes away the up/down cue between the dome and the heart
#   background phases with nnU-Net's foreground share: a third of the patches on liver or lesion
#              (--p-liver 0.2 --p-lesion 0.13), two thirds anywhere, so more of the kidney, spine
#              and heart at the cube's edges is seen as background
# Every run has the same fixed number of steps, so the Dice does not depend on the machine's load.
#
# Patients (from SHARED, default ../shared/data): 1 totalseg-3mm (a model's liver mask),
# 2 lits-small64 with its header corrected (in-plane 0.664 mm written, 5.31 mm real: factor 8,
# 512 pixels resized to 64), 3 dcmqi-3slice (three 1 mm slices, a human liver mask).
# Needs a release build (make release), the sample, and python3 with nibabel (PYTHON=...) for
# the header correction. Writes OUT (default out/generalisation) and prints a Markdown table.
#
#   benchmarks/generalisation.sh [MODE ...]      # default: every mode
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LITS="${LITS:-$ROOT/.build/release/lits}"
PYTHON="${PYTHON:-python3}"
SHARED="${SHARED:-$ROOT/../shared/data}"
SAMPLE="${SAMPLE:-$ROOT/data/sample}"
OUT="${OUT:-$ROOT/out/generalisation}"
EPOCHS="${EPOCHS:-20}"
BATCHES="${BATCHES:-10}"
# SEED (default 7): the split, initial weights and every random draw of training.
# --recipe baseline --sampling liver-biased: the defaults these modes were measured against (before
# --recipe default became the default), each mode adding its options on top.
TRAIN=(--recipe baseline --sampling liver-biased --patch 96,96,16 --filters 16,32,64,128 --volumes-per-batch 1 --patches-per-volume 2
       --epochs "$EPOCHS" --batches-per-epoch "$BATCHES" --overlap 0.25 --lr 0.003 --seed "${SEED:-7}")

[ -x "$LITS" ] || { echo "generalisation: build first (make release): $LITS" >&2; exit 1; }
[ -f "$SAMPLE/volume-117.nii.gz" ] || { echo "generalisation: fetch the sample first (make sample)" >&2; exit 1; }
mkdir -p "$OUT"

# The patients, as one LiTS-layout folder (links to the shared files; lits-small64 rewritten).
PATIENTS="$OUT/patients"
PYTHON="$PYTHON" "$ROOT/benchmarks/make_patients.sh" "$SHARED" "$PATIENTS"

flags() {
  case "$1" in
    today) ;;
    augment) echo --augment default ;;
    spacing) echo --spacing 1.5,1.5,2 ;;
    regions) echo --sampling region-balanced ;;
    combined) echo --augment default --spacing 1.5,1.5,2 --sampling region-balanced ;;
    poly) echo "$(flags combined) --lr-schedule poly" ;;
    phases) echo "$(flags poly) --aug brightness=0.5:0.6,1.4" ;;
    context) echo "$(flags phases) --spacing 3,3,3 --patch 64,64,32" ;;  # the later option wins
    instance) echo "$(flags phases) --norm instance" ;;
    lowres) echo "$(flags phases) --aug low-resolution=0.25:0.25,1" ;;
    liver-only) echo "$(flags phases) --stage liver" ;;
    nomirror) echo "$(flags phases) --aug mirror=0" ;;
    background) echo "$(flags phases) --p-liver 0.2 --p-lesion 0.13" ;;
    *) echo "generalisation: unknown mode $1" >&2; exit 2 ;;
  esac
}

MODES=("$@")
[ ${#MODES[@]} -gt 0 ] || MODES=(today augment spacing regions combined)
for mode in "${MODES[@]}"; do
  read -r -a extra <<< "$(flags "$mode")"
  run="$OUT/runs/$mode"
  if [ ! -f "$run/best.safetensors" ]; then
    rm -rf "$run"
    start=$(date +%s)
    # CPU seconds too: on a busy machine the wall time overstates what training on two free cores takes.
    ( time -p "$LITS" train "$SAMPLE" --out "$run" "${TRAIN[@]}" "${extra[@]}" ) > "$OUT/train-$mode.log" 2>&1
    echo "$(( $(date +%s) - start ))" > "$OUT/train-$mode.seconds"
  fi
  # A run with the poly decay is predicted with its last, fully decayed checkpoint.
  checkpoint=best
  case " ${extra[*]} " in *" --lr-schedule poly "*) checkpoint=last ;; esac
  rm -rf "$OUT/pred/$mode" "$OUT/eval/$mode"
  "$LITS" predict --run "$run" --checkpoint "$checkpoint" "$PATIENTS" --out "$OUT/pred/$mode" > "$OUT/predict-$mode.log" 2>&1
  "$LITS" evaluate --pred "$OUT/pred/$mode" --truth "$PATIENTS" --out "$OUT/eval/$mode" \
    --title "Trained on LiTS 117 alone ($mode), scored on three other patients" > "$OUT/evaluate-$mode.log" 2>&1
done

# The table: liver Dice per patient, their mean, and per third of the liver (mean over patients).
echo "| mode | train s | totalseg-3mm | lits-small64 (fixed) | dcmqi-3slice | mean | top | middle | bottom |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for mode in "${MODES[@]}"; do
  awk -F, -v mode="$mode" -v secs="$(cat "$OUT/train-$mode.seconds" 2>/dev/null || echo -)" '
    FNR == 1 { for (c = 1; c <= NF; c++) col[FILENAME, $c] = c; next }
    FILENAME ~ /cases.csv$/ { d[$1] = $(col[FILENAME, "liver_dice"]); sum += d[$1]; n++ }
    FILENAME ~ /regions.csv$/ { r[$2] += $(col[FILENAME, "liver_dice"]); rn[$2]++ }
    END {
      printf "| %s | %s | %.3f | %.3f | %.3f | %.3f |", mode, secs, d["1"], d["2"], d["3"], sum / n
      for (i = 1; i <= 3; i++) { t = (i == 1 ? "top" : i == 2 ? "middle" : "bottom"); printf " %s |", (rn[t] ? sprintf("%.3f", r[t] / rn[t]) : "-") }
      printf "\n"
    }
  ' "$OUT/eval/$mode/data/cases.csv" "$OUT/eval/$mode/data/regions.csv"
done
