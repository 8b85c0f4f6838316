"""Reference values for LiTSEvaluation's normalized surface Dice: MONAI's
`monai.metrics.compute_surface_dice` (default use_subvoxels=False, euclidean distances).

Writes Tests/LiTSEvaluationTests/Fixtures/monai_nsd.json: pairs of small 3D binary masks
  name, shape [nx, ny, nz], spacing [mm x 3],
  pred, truth   the true voxels as runs [start0, length0, ...] of flat indices in NIfTI order
                (i fastest: index = i + nx * (j + ny * k)),
  expected      {tolerance mm: NSD} (null where MONAI returns NaN: both masks empty).
The cases: shifted anisotropic ellipsoids at several tolerances, including tolerances that equal
distances exactly (ties: "<=" counts them); masks touching the image faces; random speckle;
one empty mask; both empty.

Run from the repository root:
  python3 -m venv /work/venv-eval
  /work/venv-eval/bin/pip install numpy scipy /opt/wheels/torch-*.whl monai
  /work/venv-eval/bin/python scripts/make_nsd_fixtures.py
"""
import json
import math
import pathlib
import sys
from importlib.metadata import version

import numpy as np

from fixture_runs import runs
import torch
from monai.metrics import compute_surface_dice


def ellipsoid(shape, centre, radii):
    g = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    return sum(((g[a] - centre[a]) / radii[a]) ** 2 for a in range(3)) <= 1


def monai_nsd(pred, truth, spacing, tolerance):
    def onehot(m):
        t = torch.from_numpy(m.astype(np.float32))[None]
        return torch.cat([1 - t, t])[None]
    v = compute_surface_dice(onehot(pred), onehot(truth), class_thresholds=[tolerance], include_background=False,
                             spacing=list(spacing))
    x = float(v[0, 0])
    return None if math.isnan(x) else x


def cases():
    rng = np.random.default_rng(7)
    shape = (26, 22, 14)
    out = []
    a = ellipsoid(shape, (12, 10, 6), (7, 6, 4))
    b = ellipsoid(shape, (14, 11, 7), (6, 6, 3.5))
    out.append(("ellipsoids-anisotropic", a, b, (0.7, 0.8, 2.5), [0.5, 0.7, 1.0, 1.4, 2.5, 5.0]))
    # Ties: spacing 0.5 and a shift of two voxels: distances of exactly 1.0 mm.
    c = np.zeros(shape, bool); c[4:14, 4:12, 3:9] = True
    d = np.zeros(shape, bool); d[6:16, 4:12, 3:9] = True
    out.append(("shift-ties", c, d, (0.5, 0.5, 0.5), [0.5, 1.0, 1.1180339887498949, 2.0]))
    e = np.zeros(shape, bool); e[0:10, 0:8, 0:5] = True
    f = np.zeros(shape, bool); f[0:12, 1:9, 0:4] = True
    out.append(("image-faces", e, f, (1.0, 1.0, 1.0), [0.0, 1.0, 1.5]))
    g = rng.random(shape) < 0.15
    h = rng.random(shape) < 0.15
    out.append(("speckle", g, h, (0.78, 0.78, 1.5), [0.78, 1.0, 2.0]))
    out.append(("pred-empty", np.zeros(shape, bool), a, (1.0, 1.0, 1.0), [2.0]))
    out.append(("both-empty", np.zeros(shape, bool), np.zeros(shape, bool), (1.0, 1.0, 1.0), [2.0]))
    return out


def main():
    target = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/LiTSEvaluationTests/Fixtures/monai_nsd.json")
    doc = {"peers": {m: version(m) for m in ["monai", "torch", "numpy", "scipy"]}, "cases": []}
    for name, pred, truth, spacing, tolerances in cases():
        doc["cases"].append({
            "name": name, "shape": list(pred.shape), "spacing": list(spacing),
            "pred": runs(pred), "truth": runs(truth),
            "expected": {repr(t): monai_nsd(pred, truth, spacing, t) for t in tolerances},
        })
    target.write_text(json.dumps(doc, indent=1) + "\n")
    for c in doc["cases"]:
        print(c["name"], c["expected"])


if __name__ == "__main__":
    main()
