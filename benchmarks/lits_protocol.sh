#!/usr/bin/env bash
# `lits evaluate --protocol lits` against the official LiTS scoring program on the same
# LiTS-sized case (benchmarks/make_lits_protocol_case.py: 512x512x450, 70 lesions, a perturbed
# prediction): wall time and peak memory of each (/usr/bin/time), scores.txt compared, and the
# 70-case set scored by lits. Each timed command holds /tmp/litskit-bench.lock.
#   benchmarks/lits_protocol.sh OFFICIAL_CHECKOUT        (the folder holding program/evaluate.py)
#   PYTHON=/work/venv-eval/bin/python REPEAT=3 benchmarks/lits_protocol.sh ...
# Writes benchmarks/results-lits-protocol.md (compare.sh includes it in results.md).
set -euo pipefail
OFFICIAL=${1:?usage: benchmarks/lits_protocol.sh OFFICIAL_CHECKOUT}
BENCH=$(cd "$(dirname "$0")" && pwd); ROOT=$(dirname "$BENCH")
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}; REPEAT=${REPEAT:-3}
LITS=$ROOT/.build/release/lits; CASE=$BENCH/data/lits_protocol
[ -x "$LITS" ] || { echo "lits_protocol.sh: build first: swift build -c release --product lits" >&2; exit 1; }
[ -f "$CASE/pred/segmentation-1.nii" ] || { "$PYTHON" "$BENCH/make_data.py"; "$PYTHON" "$BENCH/make_lits_protocol_case.py"; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
timed() {  # timed LOG CMD...: "wall_s peak_kb" of one run into LOG
  local log=$1; shift
  flock /tmp/litskit-bench.lock /usr/bin/time -f "%e %M" -o "$log" "$@" > "$TMP/stdout" 2> "$TMP/stderr"
}
ours=()
for n in $(seq "$REPEAT"); do
  rm -rf "$TMP/ours"
  timed "$TMP/ours.time" "$LITS" evaluate --protocol lits --pred "$CASE/pred" --truth "$CASE/truth" --out "$TMP/ours"
  ours+=("$(cat "$TMP/ours.time")")
done
cp "$TMP/ours/data/scores.txt" "$TMP/ours-scores.txt"
timed "$TMP/official.time" "$PYTHON" "$BENCH/peers/lits_official.py" "$OFFICIAL" "$CASE/official"
grep -E '^[a-zA-Z_]+: ' "$TMP/stdout" | grep -v '^official program' > "$TMP/official-scores.txt"
same=$(cmp -s "$TMP/ours-scores.txt" "$TMP/official-scores.txt" && echo "identical" || echo "DIFFERENT")
rm -rf "$TMP/set70"
timed "$TMP/set70.time" "$LITS" evaluate --protocol lits --pred "$CASE/set70/pred" --truth "$CASE/set70/truth" --out "$TMP/set70"
median=$(printf '%s\n' "${ours[@]}" | sort -n | awk '{a[NR]=$0} END {print a[int((NR + 1) / 2)]}')
read -r ow om <<< "$median"; read -r pw pm < "$TMP/official.time"; read -r sw sm < "$TMP/set70.time"
{
  echo "## \`lits evaluate --protocol lits\` against the official LiTS scoring program"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -srm), nproc=$(nproc), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- case: benchmarks/data/lits_protocol (512x512x450, 70 lesions, perturbed prediction); scores.txt $same"
  echo "- ours: $REPEAT runs (wall s, peak KB): ${ours[*]}"
  echo
  echo "| measurement | ours | official program | official/ours |"
  echo "|---|---:|---:|---:|"
  awk -v ow="$ow" -v pw="$pw" -v om="$om" -v pm="$pm" 'BEGIN {
    printf "| one case, wall s (median) | %.2f | %.2f | %.0fx faster |\n", ow, pw, pw / ow
    printf "| one case, peak memory MB | %.0f | %.0f | %.1fx less |\n", om / 1024, pm / 1024, pm / om }'
  awk -v sw="$sw" -v sm="$sm" -v pw="$pw" 'BEGIN {
    printf "| 70 cases, wall s | %.1f | %.0f (70 x one case) | %.0fx |\n", sw, 70 * pw, 70 * pw / sw }'
  echo
  echo "Commands: \`lits evaluate --protocol lits --pred CASE/pred --truth CASE/truth\`, \`python benchmarks/peers/lits_official.py OFFICIAL CASE/official\` (evaluate.py with the fixture script's compatibility edits), \`lits evaluate --protocol lits\` on CASE/set70."
} | sed "s#$ROOT/##g" > "$BENCH/results-lits-protocol.md"
cat "$BENCH/results-lits-protocol.md"
