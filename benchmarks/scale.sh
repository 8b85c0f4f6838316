#!/usr/bin/env bash
# Cost as the work grows: every stage of the `lits` CLI (info, qa, eda, preprocess, predict,
# evaluate) on datasets of 1, 4 and 16 LiTS-sized cases; time per case and peak memory per stage.
#
#   benchmarks/scale.sh [N ...]          (default: 1 4 16)
#   SLICES=120 benchmarks/scale.sh 1 4   (smaller cases, for a quick look)
#
# The cases: make_data.py's LiTS-sized CT (512x512xSLICES int16, 1.074x1.074x3 mm, the shared
# pancreas CT stacked along z) with its 70-lesion label map (segmentation-1.nii), COPIED (not
# linked: each copy has its own page-cache pages, as distinct files do) under the ids 0..N-1 of a
# LiTS-layout folder, case i with its first (corner, air) voxel raised by i HU. So the N cases
# hold the same voxels but one: the per-case work is the same, and `lits qa` finds every pair a
# near-duplicate (an error: it exits 1 after writing its whole report; its pairwise check takes
# its slowest path).
# Each stage is one `lits` process timed by /usr/bin/time (wall seconds and peak resident
# memory of the process), run under `flock /tmp/litskit-bench.lock` when flock exists.
# predict needs a trained run (RUN, default runs/sample from `make demo`); without one, predict
# and evaluate are skipped. The page cache is warmed (the files read once) before each size.
#
# Env: LITS (default .build/release/lits), RUN, SLICES (default 450), WORK (default
# benchmarks/data/scale; about 354 MB per case at 450 slices), PYTHON (for make_data.py),
# KEEP=1 keeps the datasets and outputs. Prints a markdown table, writes it with the conditions to
# benchmarks/scale.md, and records `scale_STAGE_nN` rows (seconds per case) with
# benchmarks/history.sh, so benchmarks/regressions.sh watches them too.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/benchmarks"
LITS="${LITS:-$ROOT/.build/release/lits}"
RUN="${RUN:-$ROOT/runs/sample}"
SLICES="${SLICES:-450}"
WORK="${WORK:-$BENCH/data/scale}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"
SIZES=("$@"); [ ${#SIZES[@]} -gt 0 ] || SIZES=(1 4 16)

[ -x "$LITS" ] || { echo "scale.sh: lits not found at $LITS (swift build -c release --product lits)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "scale.sh: needs /usr/bin/time (GNU time) for peak memory" >&2; exit 1; }
for n in "${SIZES[@]}"; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "scale.sh: not a case count: $n" >&2; exit 2; }; done

# One source case (the 450-slice one is compare.sh's; other depths get their own folder).
if [ "$SLICES" = 450 ]; then SRC_ROOT="$BENCH/data"; else SRC_ROOT="$WORK/source-$SLICES"; fi
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" "$BENCH/make_data.py" --out "$SRC_ROOT" --slices "$SLICES" >&2
SRC_VOL="$SRC_ROOT/lits_sized/volume-0.nii"
SRC_SEG="$SRC_ROOT/lits_sized_lesions/segmentation-1.nii"

LOCK=(); command -v flock > /dev/null && LOCK=(flock /tmp/litskit-bench.lock)
HAVE_RUN=0; [ -f "$RUN/config.json" ] && HAVE_RUN=1
[ $HAVE_RUN = 1 ] || echo "scale.sh: no trained run at $RUN: predict and evaluate skipped" >&2

# History rows of other case depths carry it in their name (scale_predict_n4_s120).
SUFFIX=""; [ "$SLICES" = 450 ] || SUFFIX="_s$SLICES"
LINES="$(mktemp)"; trap 'rm -f "$LINES"' EXIT
declare -A SEC CPU MEM RC
STAGES=(info qa eda preprocess predict evaluate)

# timed STAGE N OUT_LOG -- command...: one process, its wall time and peak RSS.
timed() {
  local stage="$1" n="$2" log="$3"; shift 4
  local tf; tf="$(mktemp)"
  local rc=0
  "${LOCK[@]}" /usr/bin/time -f '%e %M %U %S' -o "$tf" "$@" > "$log" 2>&1 || rc=$?
  read -r wall kb user sys < <(tail -n 1 "$tf"); rm -f "$tf"
  SEC[$stage,$n]="$(awk -v w="$wall" -v n="$n" 'BEGIN { printf "%.3f", w / n }')"
  CPU[$stage,$n]="$(awk -v u="$user" -v s="$sys" -v n="$n" 'BEGIN { printf "%.2f", (u + s) / n }')"
  MEM[$stage,$n]="$(( kb / 1024 ))"
  RC[$stage,$n]=$rc
  echo "scale_${stage}_n$n$SUFFIX min_s=${SEC[$stage,$n]} median_s=${SEC[$stage,$n]} n=1 wall_s=$wall cpu_s_per_case=${CPU[$stage,$n]} user_s=$user sys_s=$sys peak_mb=${MEM[$stage,$n]} load=$(cut -d' ' -f1 /proc/loadavg) rc=$rc" | tee -a "$LINES" >&2
}

for n in "${SIZES[@]}"; do
  D="$WORK/cases-$SLICES-n$n"; O="$WORK/out-$SLICES-n$n"
  rm -rf "$D" "$O"; mkdir -p "$D" "$O"
  for ((i = 0; i < n; i++)); do
    cp "$SRC_VOL" "$D/volume-$i.nii"; cp "$SRC_SEG" "$D/segmentation-$i.nii"
    # Case i's first voxel (a corner, in air) + i HU: the files differ, so `lits qa` cannot stop
    # at "identical voxel data" and compares every pair in full (they stay near-duplicates).
    python3 - "$D/volume-$i.nii" "$i" <<'PY'
import struct, sys
path, i = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    head = f.read(348)
    assert struct.unpack("<i", head[:4])[0] == 348 and struct.unpack("<h", head[70:72])[0] == 4, "int16 NIfTI-1 expected"
    offset = int(struct.unpack("<f", head[108:112])[0])
    f.seek(offset); v = struct.unpack("<h", f.read(2))[0]
    f.seek(offset); f.write(struct.pack("<h", v + i))
PY
  done
  cat "$D"/*.nii > /dev/null
  echo "== $n case(s) in $D" >&2
  timed info "$n" "$O/info.log" -- "$LITS" info "$D"
  timed qa "$n" "$O/qa.log" -- "$LITS" qa "$D" --out "$O/qa"
  timed eda "$n" "$O/eda.log" -- "$LITS" eda "$D" --out "$O/eda"
  timed preprocess "$n" "$O/preprocess.log" -- "$LITS" preprocess "$D" --out "$O/pre"
  if [ $HAVE_RUN = 1 ]; then
    timed predict "$n" "$O/predict.log" -- "$LITS" predict --run "$RUN" "$D" --out "$O/pred"
    timed evaluate "$n" "$O/evaluate.log" -- "$LITS" evaluate --pred "$O/pred" --truth "$D" --out "$O/eval"
  fi
  [ "${KEEP:-0}" = 1 ] || rm -rf "$D" "$O/pre" "$O/pred"
done

# The table: seconds per case and peak MB for each size, then the change from the smallest size.
TABLE="$({
  printf '| stage |'; for n in "${SIZES[@]}"; do printf ' s/case, %s |' "$n"; done
  for n in "${SIZES[@]}"; do printf ' CPU s/case, %s |' "$n"; done
  for n in "${SIZES[@]}"; do printf ' peak MB, %s |' "$n"; done
  printf ' s/case, largest / smallest | CPU s/case, largest / smallest | peak MB, largest / smallest |\n'
  printf '|---|'; for _ in "${SIZES[@]}" "${SIZES[@]}" "${SIZES[@]}"; do printf -- '---:|'; done; printf -- '---:|---:|---:|\n'
  first="${SIZES[0]}"; last="${SIZES[${#SIZES[@]}-1]}"
  for s in "${STAGES[@]}"; do
    [ -n "${SEC[$s,$first]:-}" ] || continue
    printf '| %s |' "$s"
    for n in "${SIZES[@]}"; do printf ' %s%s |' "${SEC[$s,$n]}" "$([ "${RC[$s,$n]}" = 0 ] || echo " (exit ${RC[$s,$n]})")"; done
    for n in "${SIZES[@]}"; do printf ' %s |' "${CPU[$s,$n]}"; done
    for n in "${SIZES[@]}"; do printf ' %s |' "${MEM[$s,$n]}"; done
    awk -v a="${SEC[$s,$first]}" -v b="${SEC[$s,$last]}" -v c="${CPU[$s,$first]}" -v d="${CPU[$s,$last]}" \
      -v e="${MEM[$s,$first]}" -v f="${MEM[$s,$last]}" \
      'BEGIN { printf " %.2f | %.2f | %.2f |\n", (a > 0 ? b / a : 0), (c > 0 ? d / c : 0), (e > 0 ? f / e : 0) }'
  done
})"
echo "$TABLE"

HIST="$("$BENCH/history.sh" "$LINES" /dev/null 1)"
{
  echo "# Cost as the work grows (benchmarks/scale.sh)"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); $(awk -F'\t' '$1 == "# cpu" { print "cpu: " $2 }' "$HIST"), nproc=$(nproc), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- cases: ${SIZES[*]} copies of one ${SLICES}-slice LiTS-sized case (512x512x$SLICES int16 CT + 70-lesion label map, make_data.py) under different ids, case i's corner voxel + i HU so that the files differ (\`lits qa\` then warns of a near-duplicate for every pair); run: ${RUN#$ROOT/}"
  echo "- each stage is one \`lits\` process on all cores: s/case = wall time / cases; CPU s/case = (user + system time) / cases, the steadier number on a shared machine; peak MB = the process's peak resident memory (/usr/bin/time %M)"
  echo "- peak memory does not depend on the number of cases when it stays within what the workers' cases hold at once: two cases at a time (\`--threads 2\`, the default) for info, qa, eda, preprocess and evaluate, so at most about twice the 1-case peak; predict works on one case at a time"
  echo "- recorded in ${HIST#$ROOT/}"
  echo
  echo "$TABLE"
  echo
  echo '```'
  cat "$LINES"
  echo '```'
} > "$BENCH/scale.md"
echo "wrote $BENCH/scale.md; recorded $HIST" >&2
