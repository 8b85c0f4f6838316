"""Reference values for LiTSEvaluation's overlap and surface metrics (medpy 0.5.2).

Writes Tests/LiTSEvaluationTests/Fixtures/medpy_metrics.json (or the path given as the first
argument): deterministic pairs of small 3D binary masks and what medpy.metric.binary says about
them. Each case holds

  name, shape [nx, ny, nz], spacing [mm x 3] (medpy's `voxelspacing`), connectivity (medpy's
  `connectivity`, 1 = 6-neighbourhood in 3D, the default; 2 = 18; 3 = 26),
  pred, truth      the true voxels as runs [start0, length0, start1, length1, ...] of flat
                   indices in Fortran order (i fastest), i.e. NIfTI's
                   `index = i + nx * (j + ny * k)`: voxels start ..< start + length are true,
  expected         medpy with result = pred, reference = truth:
                   dc, jc, ravd (= (|pred| - |truth|) / |truth|, signed),
                   assd, hd, hd95, asd_pred_to_truth (= asd(pred, truth)),
                   asd_truth_to_pred (= asd(truth, pred)), in mm.

The cases: anisotropic spacing (0.7, 0.7, 2.5) with overlapping ellipsoids; masks touching the
image faces (scipy's binary_erosion counts outside the image as background, border_value=0, so
those voxels are surface voxels); a whole-image mask; one-voxel masks; a one-voxel mask against
a blob; a pair with no overlap; identical masks; a liver-like ellipsoid against a copy eroded by
one voxel and shifted by two voxels; random speckle (many components and holes); a single-slice
volume (nz = 1, every voxel a surface voxel); and the liver-like pair at connectivity 2 and 3.
Every pair has both masks non-empty (medpy raises on an empty mask; LiTSKit's empty-mask rules
are tested separately).

Peers: medpy 0.5.2, scipy 1.17.1, numpy 2.4.6 (the file records the versions that wrote it).

Run from the repository root:
  .venv/bin/pip install medpy==0.5.2 scipy numpy
  .venv/bin/python scripts/make_metric_fixtures.py
"""
import json
import pathlib
import sys

from importlib.metadata import version

import numpy as np
import scipy
from medpy.metric import binary
from scipy import ndimage

OUT = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else (
    pathlib.Path(__file__).resolve().parent.parent / "Tests/LiTSEvaluationTests/Fixtures/medpy_metrics.json")


def grid(shape):
    return np.meshgrid(*[np.arange(n, dtype=np.float64) for n in shape], indexing="ij")


def ellipsoid(shape, centre, radii):
    x, y, z = grid(shape)
    return ((x - centre[0]) / radii[0]) ** 2 + ((y - centre[1]) / radii[1]) ** 2 + ((z - centre[2]) / radii[2]) ** 2 <= 1


def shifted(mask, offset):
    """`mask` moved by `offset` voxels, filled with False (no wrap-around)."""
    out = np.zeros_like(mask)
    src = tuple(slice(max(0, -o), n - max(0, o)) for o, n in zip(offset, mask.shape))
    dst = tuple(slice(max(0, o), n - max(0, -o)) for o, n in zip(offset, mask.shape))
    out[dst] = mask[src]
    return out


def liver_like(shape):
    """An ellipsoid with a smaller lobe to one side and a notch: liver-ish, not convex."""
    nx, ny, nz = shape
    m = ellipsoid(shape, (nx * 0.4, ny * 0.5, nz * 0.5), (nx * 0.3, ny * 0.35, nz * 0.4))
    m |= ellipsoid(shape, (nx * 0.68, ny * 0.45, nz * 0.55), (nx * 0.18, ny * 0.2, nz * 0.25))
    m &= ~ellipsoid(shape, (nx * 0.45, ny * 0.85, nz * 0.5), (nx * 0.12, ny * 0.15, nz * 0.6))
    return m


def cases():
    rng = np.random.default_rng(20240601)
    out = []

    def add(name, pred, truth, spacing, connectivity=1):
        out.append((name, pred.astype(bool), truth.astype(bool), spacing, connectivity))

    s = (40, 36, 16)
    add("ellipsoids_anisotropic", ellipsoid(s, (21, 17, 8), (12, 10, 4)),
        ellipsoid(s, (19, 18, 7.5), (13, 9, 5)), (0.7, 0.7, 2.5))

    s = (24, 20, 12)
    truth = np.zeros(s, bool)
    truth[0:10, 3:15, 0:6] = True          # touches the i = 0 and k = 0 faces
    pred = np.zeros(s, bool)
    pred[2:24, 5:20, 4:12] = True          # touches i = nx-1, j = ny-1 and k = nz-1
    add("boxes_touching_faces", pred, truth, (0.8, 0.9, 2.0))

    box = np.zeros((10, 9, 7), bool)
    box[3:7, 3:6, 2:5] = True
    add("whole_image_vs_box", np.ones((10, 9, 7), bool), box, (1.0, 1.5, 2.5))

    s = (15, 13, 9)
    a = np.zeros(s, bool); a[3, 4, 2] = True
    b = np.zeros(s, bool); b[11, 9, 7] = True
    add("single_voxels", a, b, (0.7, 0.7, 2.5))
    c = np.zeros(s, bool); c[0, 0, 0] = True
    add("single_voxel_corner_vs_blob", c, ellipsoid(s, (8, 6, 4), (4, 4, 3)), (0.7, 0.7, 2.5))
    add("single_voxel_same", a, a.copy(), (1.0, 1.0, 1.0))

    s = (30, 26, 14)
    add("no_overlap", ellipsoid(s, (7, 8, 5), (5, 5, 3)), ellipsoid(s, (21, 17, 8), (6, 5, 4)), (0.7, 0.7, 2.5))

    m = ellipsoid(s, (15, 13, 7), (9, 8, 5))
    add("identical", m, m.copy(), (0.7, 0.7, 2.5))

    s = (48, 40, 20)
    truth = liver_like(s)
    pred = shifted(ndimage.binary_erosion(truth, ndimage.generate_binary_structure(3, 1)), (2, -2, 1))
    add("liver_eroded_shifted", pred, truth, (0.7, 0.7, 2.5))
    add("liver_eroded_shifted_c2", pred, truth, (0.7, 0.7, 2.5), 2)
    add("liver_eroded_shifted_c3", pred, truth, (0.7, 0.7, 2.5), 3)

    s = (20, 18, 10)
    add("random_speckle", rng.random(s) < 0.3, rng.random(s) < 0.5, (0.9, 0.6, 1.7))
    add("random_speckle_c3", rng.random(s) < 0.6, rng.random(s) < 0.2, (1.1, 0.8, 3.0), 3)

    s = (25, 21, 1)
    add("single_slice", ellipsoid(s, (12, 10, 0), (8, 6, 1)), ellipsoid(s, (10, 11, 0), (9, 7, 1)), (0.7, 0.7, 2.5))
    return out


def runs(mask):
    """[start0, length0, start1, length1, ...] of the true voxels in Fortran order."""
    flat = np.concatenate([[False], mask.ravel(order="F"), [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(flat))
    starts, ends = edges[0::2], edges[1::2]
    return np.column_stack([starts, ends - starts]).ravel().tolist()


def main():
    doc = {
        "generator": "scripts/make_metric_fixtures.py",
        "versions": {"medpy": version("medpy"),
                     "scipy": scipy.__version__, "numpy": np.__version__},
        "index_order": "Fortran (i fastest): index = i + nx * (j + ny * k); masks as [start, length] runs",
        "cases": [],
    }
    for name, pred, truth, spacing, conn in cases():
        assert pred.any() and truth.any(), name
        kw = dict(voxelspacing=spacing, connectivity=conn)
        doc["cases"].append({
            "name": name, "shape": list(pred.shape), "spacing": list(spacing), "connectivity": conn,
            "pred": runs(pred), "truth": runs(truth),
            "expected": {
                "dc": binary.dc(pred, truth),
                "jc": binary.jc(pred, truth),
                "ravd": binary.ravd(pred, truth),
                "assd": float(binary.assd(pred, truth, **kw)),
                "hd": float(binary.hd(pred, truth, **kw)),
                "hd95": float(binary.hd95(pred, truth, **kw)),
                "asd_pred_to_truth": float(binary.asd(pred, truth, **kw)),
                "asd_truth_to_pred": float(binary.asd(truth, pred, **kw)),
            },
        })
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # One line per case: small, and diffs stay readable.
    entries = doc.pop("cases")
    cases_json = ",\n  ".join(json.dumps(c, separators=(",", ":")) for c in entries)
    head = json.dumps(doc, indent=1)[:-2]
    OUT.write_text(head + ',\n "cases": [\n  ' + cases_json + "\n ]\n}\n")
    print(f"wrote {OUT} ({len(entries)} cases)")


if __name__ == "__main__":
    main()
