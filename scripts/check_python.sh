#!/bin/bash
# The Python package's check (make check-python): install the wheel that `make wheel` built into
# a fresh virtual environment, then, with the Swift toolchain out of reach (env -i, and /opt/swift
# hidden under an empty tmpfs in a private mount namespace), import it, run python/tests and
# execute notebooks/05-python.ipynb. Fails when anything fails, or when the wheel's library or
# binary would resolve a library inside the toolchain.
#
#   scripts/check_python.sh [WHEEL] [VENV]      (defaults: dist/litskit-*.whl, /tmp/venv-litskit-check)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WHEEL=${1:-$(ls -t dist/litskit-*.whl 2>/dev/null | head -1)}
VENV=${2:-/tmp/venv-litskit-check}
TOOLCHAIN=${SWIFT_TOOLCHAIN_DIR:-/opt/swift}
[ -n "$WHEEL" ] && [ -f "$WHEEL" ] || { echo "check_python: no wheel (run make wheel)" >&2; exit 1; }
# Debian's Python: the check's machine has no toolchain, and no pyenv either.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

echo "check_python: fresh venv $VENV with $WHEEL"
rm -rf "$VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "$WHEEL"
# The peers and the notebook runner (small: no torch, no MONAI; their outputs are the fixtures).
"$VENV/bin/pip" install -q --disable-pip-version-check nibabel connected-components-3d pytest matplotlib nbclient nbformat ipykernel

SITE=$("$VENV/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['platlib'])")
for f in "$SITE/litskit/lib/liblitskit.so" "$SITE/litskit/bin/lits"; do
  if ldd "$f" | grep -q "$TOOLCHAIN"; then
    echo "check_python: $f resolves libraries in $TOOLCHAIN:" >&2; ldd "$f" | grep "$TOOLCHAIN" >&2; exit 1
  fi
  if ldd "$f" | grep -q "not found"; then
    echo "check_python: $f needs libraries this machine lacks:" >&2; ldd "$f" | grep "not found" >&2; exit 1
  fi
done

mkdir -p out/check
# What runs without the toolchain: a bare environment (no LD_LIBRARY_PATH, no PATH into it).
STEPS="cd '$ROOT' && \
env -i PATH='$VENV/bin:/usr/bin:/bin' HOME=/tmp LANG=C.UTF-8 '$VENV/bin/python' -c 'import litskit; print(\"litskit\", litskit.__version__)' && \
env -i PATH='$VENV/bin:/usr/bin:/bin' HOME=/tmp LANG=C.UTF-8 MPLBACKEND=Agg LITSKIT_EXPECT_INSTALLED=1 LITSKIT_REQUIRE_SAMPLE=1 LITSKIT_TOOLCHAIN_HIDDEN=\$HIDDEN \
  '$VENV/bin/python' -m pytest -q -p no:cacheprovider python/tests && \
env -i PATH='$VENV/bin:/usr/bin:/bin' HOME=/tmp LANG=C.UTF-8 \
  '$VENV/bin/python' scripts/run_notebook.py notebooks/05-python.ipynb out/check/05-python.ipynb"

if [ "$(id -u)" = 0 ] && [ -d "$TOOLCHAIN" ] && unshare -m true 2>/dev/null; then
  echo "check_python: $TOOLCHAIN hidden (private mount namespace, empty tmpfs over it)"
  unshare -m sh -c "HIDDEN=1; mount -t tmpfs none '$TOOLCHAIN' && [ -z \"\$(ls -A '$TOOLCHAIN')\" ] && $STEPS"
else
  echo "check_python: NOTE $TOOLCHAIN could not be hidden (needs root and unshare); running under env -i only"
  sh -c "HIDDEN=; $STEPS"
fi
echo "check_python: passed"
