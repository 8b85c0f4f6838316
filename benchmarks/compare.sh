#!/usr/bin/env bash
# Compare LiTSKit's Swift runner (lits-bench) with the Python peers on the same files.
#
#   benchmarks/compare.sh            (REPEAT=3 by default; `make bench` calls this)
#   REPEAT=5 benchmarks/compare.sh
#
# Env: REPEAT (default 3), WRITE_REPEAT (default 1, nibabel's .nii.gz write), PYTHON (default .venv/bin/python, else python3),
#      LITS_BENCH (default .build/release/lits-bench),
#      MONAI (default auto: run the MONAI DataAnalyzer peer when PYTHON can import monai;
#      0 skips it, 1 requires it), MONAI_REPEAT (default 1; it takes minutes per repeat),
#      ONLY (an extended regex: run only the commands it matches, e.g. ONLY='equaliz|read ';
#      results.md is then left as it is and only the history file is written).
# Every run is also recorded with the CPU model, its ISA flags and the core count in
# benchmarks/history/DATE-CPU.tsv (benchmarks/history.sh); benchmarks/regressions.sh compares it
# with the last committed run on the same CPU model.
# Both sides print `NAME ... min_s=X median_s=Y n=N` lines; we pair them by NAME and
# print ratio = peer median / ours median (>1 means the Swift code is faster).
# The table goes to stdout and, with date, machine and commands, to benchmarks/results.md.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/benchmarks"
REPEAT="${REPEAT:-3}"
BIN="${LITS_BENCH:-$ROOT/.build/release/lits-bench}"
LITS="${LITS:-$ROOT/.build/release/lits}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"

if [ ! -x "$BIN" ]; then
  echo "compare.sh: Swift runner not found at $BIN" >&2
  echo "  build it first: swift build -c release --product lits-bench" >&2
  exit 1
fi

# Some machines set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (for our Swift OpenBLAS build);
# they slow numpy down, so they are unset for the Python peer commands only.
py() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" "$@"; }

py "$BENCH/make_data.py" --out "$BENCH/data" >&2

DATA="$BENCH/data/lits_sized"
NII="$DATA/volume-0.nii"
GZ="$DATA/volume-0.nii.gz"
LES="$BENCH/data/lits_sized_lesions"        # the EDA case: same CT, ~70 lesions
LES_VOL="$LES/volume-1.nii"
LES_SEG="$LES/segmentation-1.nii"
# .nii.gz writing, level 1 on both sides (nibabel's default and ours): WRITE_REPEAT (default 1)
# repeats the peer, which takes several seconds per write here.
WRITTEN_OURS="$BENCH/data/written-ours.nii.gz"
WRITTEN_PEER="$BENCH/data/written-nibabel.nii.gz"
WRITE_REPEAT="${WRITE_REPEAT:-1}"
MONAI="${MONAI:-auto}"
MONAI_REPEAT="${MONAI_REPEAT:-1}"
if [ "$MONAI" = auto ]; then
  if py -c "import monai, torch" 2>/dev/null; then MONAI=1; else
    MONAI=0; echo "compare.sh: monai/torch not importable by $PYTHON, skipping monai_analyzer" >&2; fi
fi

OURS="$(mktemp)"; PEER="$(mktemp)"
trap 'rm -f "$OURS" "$PEER"' EXIT

# Commands actually run (recorded in results.md, with the repo root stripped).
SWIFT_CMDS=(
  "$BIN read $NII --repeat $REPEAT"
  "$BIN read $GZ --repeat $REPEAT"
  "$BIN inflate $GZ --repeat $REPEAT"
  "$BIN write-gz $NII $WRITTEN_OURS --repeat $REPEAT"
  "$BIN preprocess $NII --repeat $REPEAT"
  "$BIN eda $LES_VOL $LES_SEG --repeat $REPEAT"
  "$BIN equalize $NII --repeat $REPEAT"
  "$BIN qa-duplicates $NII --repeat $REPEAT"
  "$LITS bench train-step --repeat $REPEAT"
  "$LITS bench conv --repeat $REPEAT"
)
# Whole-volume prediction needs a trained run (make demo leaves runs/sample) and the preprocessed
# LiTS-sized case; both sides read the same volN.npy and checkpoint.
if [ -f "$ROOT/runs/sample/best.safetensors" ]; then
  [ -f "$BENCH/data/lits_sized_pre/vol1.npy" ] || "$LITS" preprocess "$LES" --out "$BENCH/data/lits_sized_pre" >&2
  SWIFT_CMDS+=("$LITS bench predict --run $ROOT/runs/sample --npy $BENCH/data/lits_sized_pre/vol1.npy --repeat 1")
  PREDICT_PEER=1
fi
PEER_CMDS=(
  "$BENCH/peers/read_nifti.py $NII --repeat $REPEAT"
  "$BENCH/peers/read_nifti.py $GZ --repeat $REPEAT"
  "$BENCH/peers/write_nifti.py $NII $WRITTEN_PEER --level 1 --repeat $WRITE_REPEAT"
  "$BENCH/peers/preprocess.py $NII --repeat $REPEAT"
  "$BENCH/peers/eda_case.py $LES_VOL $LES_SEG --repeat $REPEAT"
  "$BENCH/peers/equalization.py $NII --repeat $REPEAT"
  "$BENCH/peers/torch_unet.py --repeat $REPEAT"
  "$BENCH/peers/torch_conv.py --autocast-bf16 --repeat $REPEAT"
)
if [ "${PREDICT_PEER:-0}" = 1 ]; then
  PEER_CMDS+=("$BENCH/peers/torch_predict.py --run $ROOT/runs/sample --npy $BENCH/data/lits_sized_pre/vol1.npy --repeat 1")
fi
# Peer-only row (no Swift counterpart): MONAI Auto3DSeg DataAnalyzer over the EDA case folder.
if [ "$MONAI" = 1 ]; then PEER_CMDS+=("$BENCH/peers/monai_analyzer.py $LES --repeat $MONAI_REPEAT"); fi

# ONLY: keep the matching commands of both sides.
ONLY="${ONLY:-}"
if [ -n "$ONLY" ]; then
  keep=(); for c in "${SWIFT_CMDS[@]}"; do [[ "$c" =~ $ONLY ]] && keep+=("$c"); done; SWIFT_CMDS=("${keep[@]}")
  keep=(); for c in "${PEER_CMDS[@]}"; do [[ "$c" =~ $ONLY ]] && keep+=("$c"); done; PEER_CMDS=("${keep[@]}")
fi

# Warm the page cache so neither side pays for the first disk read (make_data may
# have just written the files, or not).
cat "$NII" "$GZ" "$LES_SEG" > /dev/null

for c in "${SWIFT_CMDS[@]}"; do echo "+ $c" >&2; $c | tee -a "$OURS" >&2; done
for c in "${PEER_CMDS[@]}"; do echo "+ $PYTHON $c" >&2; py $c | tee -a "$PEER" >&2; done
HISTORY_FILE="$("$BENCH/history.sh" "$OURS" "$PEER" "$REPEAT")"
echo "recorded $HISTORY_FILE" >&2

# Pair `NAME ... median_s=X` lines. Swift names are mapped to the peer names:
# preprocess_cubic* -> preprocess_order3*, preprocess_linear* -> preprocess_order1*.
table() {
  awk '
    function name_of(line,   n, i, out) {   # the words before the first key=value
      n = split(line, w, " "); out = ""
      for (i = 1; i <= n && w[i] !~ /=/; i++) out = out (out == "" ? "" : " ") w[i]
      return out
    }
    function median_of(line) { return (match(line, /median_s=[0-9.eE+-]+/) ? substr(line, RSTART + 9, RLENGTH - 9) : "") }
    /median_s=/ {                            # peer file first: rows follow the peer order
      nm = name_of($0)
      if (FILENAME == ARGV[2]) {               # ours: map Swift names to peer names
        sub(/^preprocess_cubic/, "preprocess_order3", nm)
        sub(/^preprocess_linear/, "preprocess_order1", nm)
        if (!(nm in ours) && !(nm in peer)) order[++k] = nm
        ours[nm] = median_of($0)
      } else {
        if (!(nm in peer)) order[++k] = nm
        peer[nm] = median_of($0)
      }
    }
    END {
      print "| measurement (peer name) | ours median s | peer median s | peer/ours |"
      print "|---|---:|---:|---:|"
      for (i = 1; i <= k; i++) {
        nm = order[i]; o = (nm in ours) ? ours[nm] : "-"; p = (nm in peer) ? peer[nm] : "-"
        r = (o != "-" && p != "-" && o + 0 > 0) ? sprintf("%.2f", p / o) : "-"
        printf "| %s | %s | %s | %s |\n", nm, o, p, r
      }
    }' "$PEER" "$OURS"
}

TABLE="$(table)"
echo "$TABLE"
if [ -n "$ONLY" ]; then echo "ONLY='$ONLY': results.md left as it is" >&2; exit 0; fi

{
  echo "# LiTSKit benchmark results"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "- machine: $(uname -srm), nproc=$(nproc), $(awk '/MemTotal/ {printf "%.0f GB RAM", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- cpu: $(awk -F'\t' '$1 == "# cpu" { print $2 }' "$HISTORY_FILE"); flags: $(awk -F'\t' '$1 == "# flags" { print $2 }' "$HISTORY_FILE")"
  echo "- recorded in ${HISTORY_FILE#$ROOT/}"
  echo "- repeat: $REPEAT; ratio = peer median / ours median (>1: Swift is faster)"
  echo "- data: $(cd "$DATA" && ls -l volume-0.nii volume-0.nii.gz | awk '{printf "%s%s %d bytes", (NR > 1 ? "; " : ""), $NF, $5}')"
  echo "- eda / components: lits_sized_lesions/volume-1.nii (-> volume-0.nii) + segmentation-1.nii"
  echo "  - ours: $(grep -h -m1 '^summary lesions=' "$OURS" || echo '-')"
  echo "  - peer: $(grep -h -m1 '^summary lesions=' "$PEER" || echo '-')"
  if [ "$MONAI" = 1 ]; then echo "  - monai: $(grep -h -m1 '^summary monai_analyzer' "$PEER" || echo '-')"; fi
  echo
  echo "$TABLE"
  echo
  # Written by benchmarks/lits_protocol.sh (it needs a checkout of the official LiTS program).
  if [ -f "$BENCH/results-lits-protocol.md" ]; then cat "$BENCH/results-lits-protocol.md"; echo; fi
  echo "## Commands"
  echo
  echo '```'
  printf '%s\n' "${SWIFT_CMDS[@]}"
  for c in "${PEER_CMDS[@]}"; do echo "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $PYTHON $c"; done
  echo '```'
  echo
  echo "## Raw output"
  echo
  echo '```'
  echo "# ours"; cat "$OURS"
  echo "# peers"; cat "$PEER"
  echo '```'
} | sed "s#$ROOT/##g" > "$BENCH/results.md"
# The augmentation throughput section comes from benchmarks/augmentation.sh (run on its own).
if [ -f "$BENCH/augmentation.md" ]; then cat "$BENCH/augmentation.md" >> "$BENCH/results.md"; fi
# The scaling table comes from benchmarks/scale.sh (run on its own: minutes per size).
if [ -f "$BENCH/scale.md" ]; then { echo; cat "$BENCH/scale.md"; } >> "$BENCH/results.md"; fi
# The engine rounds taken in turn (benchmarks/engine.md) and int8 against fp32 and bf16
# (benchmarks/int8.sh), both run on their own on a quiet machine.
for extra in engine.md int8.md; do
  if [ -f "$BENCH/$extra" ]; then { echo; cat "$BENCH/$extra"; } >> "$BENCH/results.md"; fi
done
echo "wrote $BENCH/results.md" >&2
