"""Reference values for LiTSKit's resampler from scipy.ndimage.zoom.

Writes Tests/LiTSImagingTests/Fixtures/resample.json: a small deterministic CT-like volume, and
scipy's zoom of it to other shapes with grid_mode=True (voxel centres aligned, the convention
LiTSKit uses) and mode='nearest' (edge values repeated):
  order=1 (linear) for CT, order=0 (nearest) for labels.
Arrays are flattened in Fortran order (i fastest), as NIfTI stores voxels.

Run: python3 -m venv .venv && .venv/bin/pip install numpy scipy && .venv/bin/python scripts/make_resample_fixture.py
"""
import json
import pathlib
import sys

import numpy as np
import scipy
from scipy import ndimage

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/LiTSImagingTests/Fixtures")
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(117)
shape = (12, 10, 6)
ct = rng.normal(40, 80, size=shape).astype(np.float32)
labels = (rng.random(shape) * 3).astype(np.uint8)

cases = []
# Shrink in-plane and grow in z, like 512x512x(5 mm) -> 168x168x(2 mm); then the reverse.
for target in [(5, 4, 15), (17, 13, 4), (12, 10, 6)]:
    zoom = [t / s for t, s in zip(target, shape)]
    lin = ndimage.zoom(ct, zoom, order=1, mode="nearest", grid_mode=True)
    near = ndimage.zoom(labels, zoom, order=0, mode="nearest", grid_mode=True)
    assert lin.shape == target and near.shape == target, (lin.shape, near.shape)
    cases.append({
        "shape": list(target),
        "linear": [float(x) for x in lin.ravel(order="F")],
        "nearest": [int(x) for x in near.ravel(order="F")],
    })

doc = {
    "generator": f"scipy {scipy.__version__} ndimage.zoom(grid_mode=True, mode='nearest')",
    "shape": list(shape),
    "ct": [float(x) for x in ct.ravel(order="F")],
    "labels": [int(x) for x in labels.ravel(order="F")],
    "targets": cases,
}
(out / "resample.json").write_text(json.dumps(doc))
print(f"wrote {out / 'resample.json'} ({len(cases)} targets)")
