#!/usr/bin/env bash
# Compares a committed report folder with a fresh run of the same command, byte for byte: data/,
# charts/ and index.md, every file but the PNG images (whose bytes depend on the gnuplot, libpng
# and font versions of the machine, not on the numbers).
#   scripts/check_report.sh COMMITTED_REPORT FRESH_REPORT
# Exits 1 naming every file that differs, that the fresh run no longer writes, or that it newly writes.
set -euo pipefail
COMMITTED=${1:?usage: check_report.sh COMMITTED_REPORT FRESH_REPORT}
FRESH=${2:?usage: check_report.sh COMMITTED_REPORT FRESH_REPORT}
for d in "$COMMITTED/data" "$FRESH/data"; do
    [ -d "$d" ] || { echo "check_report: $d is missing" >&2; exit 1; }
done

list() { (cd "$1" && find . -type f ! -name '*.png' ! -name '.*' | sed 's|^\./||' | LC_ALL=C sort); }
bad=0
while IFS= read -r f; do
    if [ ! -f "$FRESH/$f" ]; then
        echo "STALE: $COMMITTED/$f is not written by a fresh run any more" >&2; bad=$((bad + 1))
    elif ! cmp -s "$COMMITTED/$f" "$FRESH/$f"; then
        echo "STALE: $COMMITTED/$f differs from a fresh run ($FRESH/$f):" >&2
        diff -u "$COMMITTED/$f" "$FRESH/$f" | head -n 12 | cut -c1-200 >&2 || true
        bad=$((bad + 1))
    fi
done < <(list "$COMMITTED")
while IFS= read -r f; do
    [ -f "$COMMITTED/$f" ] || { echo "STALE: a fresh run writes $FRESH/$f, which $COMMITTED lacks" >&2; bad=$((bad + 1)); }
done < <(list "$FRESH")
if [ "$bad" -gt 0 ]; then
    echo "$COMMITTED: $bad file(s) out of date; regenerate the committed reports with 'make reports'" >&2
    exit 1
fi
echo "$COMMITTED matches a fresh run ($(list "$COMMITTED" | wc -l) files compared, PNG images not)"
