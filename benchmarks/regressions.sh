#!/usr/bin/env bash
# Prints every row of a benchmark run that got more than 20% slower than the last committed run
# on the same CPU model. Informational: it always exits 0 and is never a test.
#
#   benchmarks/regressions.sh [NEW.tsv]
#
# NEW: a file written by benchmarks/history.sh (default: the newest file in benchmarks/history/).
# Baseline: for each row of NEW, the newest *committed* file in benchmarks/history/ (git ls-files)
# that is older than NEW, has the same `# cpu` line (model name, vendor, family, model) and holds
# that row; so a run of a few rows is compared row by row with the runs that last measured them.
# Env: THRESHOLD (percent, default 20), HISTORY_DIR.
# Our median is compared; the peer's median in both runs is printed beside it, because on a
# shared machine a peer that slowed down as much points at the load, not at the code (and for
# scale.sh rows, where both runs recorded it, the CPU seconds per case, steadier than wall time).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${HISTORY_DIR:-$ROOT/benchmarks/history}"
THRESHOLD="${THRESHOLD:-20}"

NEW="${1:-$(ls "$DIR"/*.tsv 2>/dev/null | sort | tail -n 1)}"
if [ -z "$NEW" ] || [ ! -f "$NEW" ]; then
  echo "regressions.sh: no run to check (benchmarks/history/ is empty; run make bench first)"
  exit 0
fi

header() { awk -F'\t' -v k="# $2" '$1 == k { print $2; exit }' "$1"; }
CPU="$(header "$NEW" cpu)"
NEW_BASE="$(basename "$NEW")"

# Committed runs of the same CPU, older than NEW (file names start with the UTC date and time).
BASES=()
while IFS= read -r f; do
  case "$f" in /*) ;; *) f="$ROOT/$f" ;; esac
  [ -f "$f" ] || continue
  b="$(basename "$f")"
  [[ "$b" < "$NEW_BASE" ]] || continue
  [ "$(header "$f" cpu)" = "$CPU" ] && BASES+=("$f")
done < <(cd "$ROOT" && { git ls-files -- "$DIR" 2>/dev/null || ls "$DIR"/*.tsv; } | grep '\.tsv$' | sort)

echo "regressions.sh: $(basename "$NEW") ($(header "$NEW" date), load $(header "$NEW" load))"
echo "  cpu: $CPU; cores $(header "$NEW" cores)"
if [ "${#BASES[@]}" -eq 0 ]; then
  echo "  no committed earlier run on this CPU model in ${DIR#$ROOT/}/: nothing to compare (commit this run as the baseline)"
  exit 0
fi

# Newest first: the first file that holds a row is its baseline.
REV=()
for ((i = ${#BASES[@]} - 1; i >= 0; i--)); do REV+=("${BASES[$i]}"); done

awk -F'\t' -v threshold="$THRESHOLD" -v root="$ROOT/" -v nfiles="${#REV[@]}" '
  FNR == 1 { file++ }
  /^#/ || $1 == "name" { next }
  file <= nfiles {                       # baselines, newest first
    if ($2 != "-" && !($1 in base)) {
      base[$1] = $2; basepeer[$1] = $5; basecpu[$1] = ($8 == "" ? "-" : $8); f = FILENAME; sub(root, "", f); basefile[$1] = f
    }
    next
  }
  $2 != "-" { rows[++k] = $1; now[$1] = $2; nowpeer[$1] = $5; nowcpu[$1] = ($8 == "" ? "-" : $8) }
  END {
    compared = 0; slower = 0; missing = 0
    for (i = 1; i <= k; i++) {
      nm = rows[i]
      if (!(nm in base)) { missing++; continue }
      compared++
      if (base[nm] + 0 <= 0) continue
      change = (now[nm] / base[nm] - 1) * 100
      if (change > threshold) {
        slower++
        peer = (basepeer[nm] != "-" && nowpeer[nm] != "-") ? sprintf("; peer %s -> %s s (%+.0f%%)", basepeer[nm], nowpeer[nm], (nowpeer[nm] / basepeer[nm] - 1) * 100) : ""
        cpu = (basecpu[nm] != "-" && nowcpu[nm] != "-" && basecpu[nm] > 0) ? sprintf("; CPU s %s -> %s (%+.0f%%)", basecpu[nm], nowcpu[nm], (nowcpu[nm] / basecpu[nm] - 1) * 100) : ""
        printf "  SLOWER %s: %s -> %s s (%+.0f%%) against %s%s%s\n", nm, base[nm], now[nm], change, basefile[nm], peer, cpu
      }
    }
    if (slower == 0) printf "  no row more than %s%% slower (%d rows compared", threshold, compared
    else printf "  %d of %d compared rows more than %s%% slower (", slower, compared, threshold
    printf "%s%d without a baseline on this CPU)\n", (slower == 0 ? ", " : ""), missing
  }' "${REV[@]}" "$NEW"
exit 0
