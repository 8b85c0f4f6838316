#!/usr/bin/env bash
# Fetches the sample case (LiTS volume 117, 2x downsampled, 128^3) from PyPI and converts it with
# the tool itself into data/sample/volume-117.nii.gz + segmentation-117.nii.gz.
# The MRC files record no voxel size: the spacing is assumed (1.5 mm isotropic), see README.
# Exits 75 when the package index (PyPI, or $PIP_INDEX_URL) cannot be reached; any other failure exits 1.
set -euo pipefail
LITS=${1:?usage: fetch_sample.sh PATH/TO/lits [OUT_DIR]}
OUT=${2:-data/sample}
CACHE=data/cache
WHEEL_SHA=67ffa526d8500ce5e3d9f2c96c1690543d811d352d93d531301d35791b9d6bba
WHEEL=$CACHE/liver_ct_segmentation_package-1.6.0-py2.py3-none-any.whl

if [ -f "$OUT/volume-117.nii.gz" ] && [ -f "$OUT/segmentation-117.nii.gz" ]; then
    echo "sample already in $OUT"
    exit 0
fi
mkdir -p "$CACHE"
if [ ! -f "$WHEEL" ]; then
    if ! python3 -m pip download --quiet --no-deps --timeout 30 --retries 2 \
            liver-ct-segmentation-package==1.6.0 -d "$CACHE"; then
        # Exit 75 (EX_TEMPFAIL) only when the package index itself cannot be reached, so that
        # callers (.ci/run) can tell "no network" from a real failure.
        INDEX=${PIP_INDEX_URL:-https://pypi.org/simple}
        if ! python3 - "${INDEX%/}/liver-ct-segmentation-package/" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=30).read(1)
except Exception as e:
    print(f"fetch_sample: cannot reach {sys.argv[1]}: {e}", file=sys.stderr)
    sys.exit(1)
PY
        then
            echo "fetch_sample: the package index is not reachable (network?)" >&2
            exit 75
        fi
        echo "fetch_sample: pip download failed although the index is reachable" >&2
        exit 1
    fi
fi
echo "$WHEEL_SHA  $WHEEL" | sha256sum --check --quiet || {
    echo "fetch_sample: checksum mismatch for $WHEEL" >&2; rm -f "$WHEEL"; exit 1; }
python3 - "$WHEEL" "$CACHE" <<'PY'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for member in ("img_117.mrc", "lab_117.mrc"):
        with z.open(f"liver_ct_segmentation_package/data/{member}") as src, open(f"{dest}/{member}", "wb") as dst:
            dst.write(src.read())
PY
"$LITS" import-mrc --image "$CACHE/img_117.mrc" --labels "$CACHE/lab_117.mrc" --id 117 --spacing 1.5 --out "$OUT"
