#!/usr/bin/env bash
# Prints one plain closing line ("tests: N passed, N failed, N skipped") from an XCTest log,
# so any reader of the output sees the count without parsing XCTest's nested suites.
#   scripts/test_summary.sh LOG
set -euo pipefail
line=$(grep -E "^[[:space:]]*Executed [0-9]+ tests?" "$1" | tail -1 || true)
if [ -z "$line" ]; then echo "tests: 0 passed, 0 failed"; exit 1; fi
total=$(echo "$line" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
failed=$(echo "$line" | grep -oE '[0-9]+ failures?' | grep -oE '^[0-9]+' || echo 0)
skipped=$(echo "$line" | grep -oE '[0-9]+ tests? skipped' | grep -oE '^[0-9]+' || echo 0)
echo "tests: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
