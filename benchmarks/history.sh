#!/usr/bin/env bash
# Records one benchmark run in benchmarks/history/, so that benchmarks/regressions.sh can compare
# the next run on the same CPU model with it. compare.sh and scale.sh call it; run alone:
#
#   benchmarks/history.sh OURS_FILE [PEER_FILE] [REPEAT]
#
# OURS_FILE / PEER_FILE hold the runners' lines (`NAME ... min_s=X median_s=Y n=N`; other lines
# are ignored). Writes benchmarks/history/<UTC date and time>-<cpu slug>.tsv and prints its path.
# The header names the CPU (model name, vendor, family, model, stepping), the ISA flags the
# kernels choose by, the core count, the load average, the commit and the repeat count: timings
# mean little without them. Env: HISTORY_DIR (default benchmarks/history), HISTORY_NOTE (a
# free-text line, e.g. "other builds running").
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OURS="${1:?usage: history.sh OURS_FILE [PEER_FILE] [REPEAT]}"
PEER="${2:-/dev/null}"
REPEAT="${3:-}"
DIR="${HISTORY_DIR:-$ROOT/benchmarks/history}"
mkdir -p "$DIR"

field() { awk -F': *' -v k="$1" '$1 ~ "^"k"[ \t]*$" { print $2; exit }' /proc/cpuinfo 2>/dev/null || true; }
MODEL="$(field 'model name')"; MODEL="${MODEL:-$(uname -m)}"
VENDOR="$(field vendor_id)"; FAMILY="$(field 'cpu family')"; CPUMODEL="$(field model)"; STEPPING="$(field stepping)"
# The identity regressions.sh matches on: the same model name can cover several generations
# (an "AMD EPYC" VM may be Zen 3 or Zen 5), so family and model number are part of it.
CPU="$MODEL (vendor $VENDOR, family $FAMILY, model $CPUMODEL)"
SLUG="$(printf '%s-f%sm%s' "$MODEL" "$FAMILY" "$CPUMODEL" | tr 'A-Z' 'a-z' | sed -E 's/\(r\)|\(tm\)//g; s/[^a-z0-9]+/-/g; s/^-+|-+$//g')"
FLAGS="$(awk -F': *' '$1 ~ /^flags/ { print $2; exit }' /proc/cpuinfo 2>/dev/null | tr ' ' '\n' \
  | grep -E '^(sse4_2|avx|avx2|fma|f16c|avx512.*|avx_vnni|amx.*)$' | tr '\n' ' ' | sed 's/ $//' || true)"
STAMP="$(date -u '+%Y-%m-%dT%H%M%SZ')"
OUT="$DIR/$STAMP-$SLUG.tsv"
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no -- Sources benchmarks/Sources Package.swift 2>/dev/null)" ] \
  || COMMIT="$COMMIT (with uncommitted changes)"

{
  printf '# date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  printf '# cpu\t%s\n' "$CPU"
  printf '# stepping\t%s\n' "$STEPPING"
  printf '# flags\t%s\n' "$FLAGS"
  printf '# cores\t%s\n' "$(nproc)"
  printf '# load\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo -)"
  printf '# kernel\t%s\n' "$(uname -sr)"
  printf '# commit\t%s\n' "$COMMIT"
  [ -n "$REPEAT" ] && printf '# repeat\t%s\n' "$REPEAT"
  [ -n "${HISTORY_NOTE:-}" ] && printf '# note\t%s\n' "$HISTORY_NOTE"
  printf 'name\tours_median_s\tours_min_s\tours_n\tpeer_median_s\tpeer_min_s\tpeer_n\tours_cpu_s\n'
  # Rows: the words before the first key=value are the name (as compare.sh pairs them); the
  # Swift names preprocess_cubic/linear are the peer's preprocess_order3/1.
  awk '
    function name_of(line,   n, i, out, w) {
      n = split(line, w, " "); out = ""
      for (i = 1; i <= n && w[i] !~ /=/; i++) out = out (out == "" ? "" : " ") w[i]
      return out
    }
    function val(line, key) { return match(line, key "=[0-9.eE+-]+") ? substr(line, RSTART + length(key) + 1, RLENGTH - length(key) - 1) : "-" }
    /median_s=/ {
      nm = name_of($0)
      side = (FILENAME == ARGV[1]) ? "o" : "p"
      if (side == "o") { sub(/^preprocess_cubic/, "preprocess_order3", nm); sub(/^preprocess_linear/, "preprocess_order1", nm) }
      if (!(nm in seen)) { seen[nm] = 1; order[++k] = nm }
      med[side, nm] = val($0, "median_s"); mn[side, nm] = val($0, "min_s"); cnt[side, nm] = val($0, "n")
      if (side == "o") cpu[nm] = val($0, "cpu_s_per_case")   # scale.sh: user + system seconds per case
    }
    END {
      for (i = 1; i <= k; i++) {
        nm = order[i]
        printf "%s", nm
        for (s = 0; s < 2; s++) {
          sd = s == 0 ? "o" : "p"
          if ((sd, nm) in med) printf "\t%s\t%s\t%s", med[sd, nm], mn[sd, nm], cnt[sd, nm]
          else printf "\t-\t-\t-"
        }
        printf "\t%s\n", ((nm in cpu) ? cpu[nm] : "-")
      }
    }' "$OURS" "$PEER"
} > "$OUT"
echo "$OUT"
