#!/usr/bin/env bash
# The labelled patients of the shared data as one LiTS-layout folder, for the generalisation and
# cross-validation measurements (links to the shared files; lits-small64 rewritten with its
# header corrected: in-plane 0.664 mm written, 5.31 mm real, 512 pixels resized to 64):
#   1 totalseg-3mm, 2 lits-small64 (fixed), 3 dcmqi-3slice, and 117 the sample when SAMPLE is given.
# Needs python3 with nibabel (PYTHON=...).
#   benchmarks/make_patients.sh SHARED DIR [SAMPLE]
set -euo pipefail
SHARED="$1" DIR="$2" SAMPLE="${3:-}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$DIR"
if [ -n "$SAMPLE" ]; then
  ln -sf "$(cd "$SAMPLE" && pwd)/volume-117.nii.gz" "$DIR/volume-117.nii.gz"
  ln -sf "$(cd "$SAMPLE" && pwd)/segmentation-117.nii.gz" "$DIR/segmentation-117.nii.gz"
fi
[ -f "$DIR/segmentation-3.nii.gz" ] && exit 0
ln -sf "$SHARED/totalseg-3mm/ct.nii.gz" "$DIR/volume-1.nii.gz"
ln -sf "$SHARED/totalseg-3mm/liver.nii.gz" "$DIR/segmentation-1.nii.gz"
"$PYTHON" - "$SHARED/lits-small64" "$DIR" <<'PY'
import sys
import nibabel as nib
import numpy as np
src, dst = sys.argv[1], sys.argv[2]
for name, out in [("volume.nii", "volume-2.nii.gz"), ("segmentation.nii", "segmentation-2.nii.gz")]:
    img = nib.load(f"{src}/{name}")
    affine = img.affine.copy()
    affine[:3, :2] *= 8.0          # 512 pixels resized to 64 without updating the header
    data = np.asarray(img.dataobj)
    if name.startswith("segmentation"):
        data = np.rint(data).astype(np.uint8)
    fixed = nib.Nifti1Image(data, affine)
    fixed.header.set_xyzt_units("mm", "sec")
    nib.save(fixed, f"{dst}/{out}")
PY
ln -sf "$SHARED/dcmqi-3slice/ct.nii.gz" "$DIR/volume-3.nii.gz"
ln -sf "$SHARED/dcmqi-3slice/liver.nii.gz" "$DIR/segmentation-3.nii.gz"
