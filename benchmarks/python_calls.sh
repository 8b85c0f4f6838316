#!/usr/bin/env bash
# litskit's Python calls against nibabel, cc3d and medpy on the LiTS-sized case
# (benchmarks/python_calls.py). Uses the venv that `make check-python` made (the wheel installed)
# unless PYTHON names another; adds medpy (and scipy) to it when REQUIRE_MEDPY is not 0 and it is missing.
#
#   benchmarks/python_calls.sh            (REPEAT=3)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-/tmp/venv-litskit-check/bin/python}"
[ -x "$PYTHON" ] || { echo "python_calls.sh: $PYTHON missing: run make check-python (or set PYTHON)" >&2; exit 1; }
if [ "${REQUIRE_MEDPY:-1}" != 0 ] && ! "$PYTHON" -c "import medpy.metric" 2>/dev/null; then
  # medpy's metrics need scipy only; --no-deps skips SimpleITK (a large download it does not use here).
  "$PYTHON" -m pip install -q scipy && "$PYTHON" -m pip install -q --no-deps medpy
fi
[ -f "$ROOT/benchmarks/data/lits_sized/volume-0.nii" ] || "$PYTHON" "$ROOT/benchmarks/make_data.py" --out "$ROOT/benchmarks/data"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" "$ROOT/benchmarks/python_calls.py" --repeat "${REPEAT:-3}"
