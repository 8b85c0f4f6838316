"""Reference values for LiTSKit's connected components (cc3d) and distance transform (scipy).

Writes into Tests/LiTSImagingTests/Fixtures/ (or the folder given as the first argument):

  components_blobs.nii.gz  a deterministic synthetic uint8 label volume, 48x40x32, identity affine:
                           a "liver" (label 1) holding some tumors (label 2), and label-2 blobs of
                           many sizes: single voxels (two in opposite corners of the volume),
                           pairs touching only by a corner, only by an edge, by a face, voxels
                           that follow each other in memory across a row or slice end (they must
                           not merge), blobs on the volume's faces, a large irregular blob and a
                           random speckle region near the percolation thresholds.
  components_blobs.json    for connectivity 6, 18 and 26, cc3d.connected_components(mask == 2)
                           summarised as a list of components, each {voxels, bbox_min, bbox_max,
                           centroid} with (i, j, k) voxel coordinates, bounding boxes inclusive
                           (from cc3d.statistics), sorted by each component's first voxel in
                           NIfTI/Fortran raster order (i fastest): LiTSKit's numbering. The same
                           for "liver including tumor" (mask >= 1) at 26-connectivity.
  edt.json                 scipy.ndimage.distance_transform_edt(mask, sampling=...) on small
                           anisotropic examples (an ellipsoid plus a cube on the border, and a
                           random mask): the mask and the distances flattened in Fortran order.
  components_sample117.json  only if data/sample/segmentation-117.nii.gz exists (`make sample`):
                           the tumor (label 2) components of the sample case for connectivity 6
                           and 26, summarised the same way, in the file's own voxel order (no
                           reorientation, as NIfTIReader.readFloat returns it). Numbers only: the
                           image itself is never committed.

Arrays loaded by nibabel are indexed [i, j, k], so a Fortran-order ravel is NIfTI's voxel order
`index = i + nx * (j + ny * k)`.

Peers used for the committed fixtures: connected-components-3d (cc3d) 4.1.1, scipy 1.17.1,
numpy 2.4.6, nibabel 5.4.2 (each file records the versions that wrote it).

Run from the repository root:
  .venv/bin/pip install connected-components-3d==4.1.1 scipy nibabel numpy
  .venv/bin/python scripts/make_components_fixture.py
"""
import json
import pathlib
import sys

import cc3d
import nibabel as nib
import numpy as np
import scipy
from importlib.metadata import version
from scipy import ndimage

root = pathlib.Path(__file__).resolve().parent.parent
out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "Tests/LiTSImagingTests/Fixtures"
out.mkdir(parents=True, exist_ok=True)
CC3D = f"connected-components-3d {version('connected-components-3d')}"


def summarise(mask, connectivity):
    """cc3d's components of a boolean [i, j, k] array, in order of first voxel (i fastest)."""
    labels = cc3d.connected_components(mask.astype(np.uint8), connectivity=connectivity)
    stats = cc3d.statistics(labels)
    flat = labels.ravel(order="F")
    ids, first = np.unique(flat, return_index=True)
    order = [int(l) for _, l in sorted(zip(first, ids)) if l != 0]
    comps = []
    for l in order:
        box = stats["bounding_boxes"][l]
        comps.append({
            "voxels": int(stats["voxel_counts"][l]),
            "bbox_min": [int(s.start) for s in box],
            "bbox_max": [int(s.stop) - 1 for s in box],
            "centroid": [float(c) for c in stats["centroids"][l]],
        })
    # Cross-check cc3d's statistics against numpy on the same labels.
    for l, c in zip(order, comps):
        idx = np.argwhere(labels == l)
        assert len(idx) == c["voxels"]
        assert list(idx.min(0)) == c["bbox_min"] and list(idx.max(0)) == c["bbox_max"]
        assert np.allclose(idx.mean(0), c["centroid"], atol=1e-9)
    return comps


def blobs():
    shape = (48, 40, 32)
    v = np.zeros(shape, np.uint8)
    rng = np.random.default_rng(20240117)
    i, j, k = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")

    # A liver (label 1) with two tumors inside and a tumor touching the liver's edge.
    liver = ((i - 34) / 11.0) ** 2 + ((j - 26) / 10.0) ** 2 + ((k - 20) / 8.0) ** 2 < 1
    v[liver] = 1
    v[((i - 31) ** 2 + (j - 24) ** 2 + (k - 19) ** 2) < 9] = 2
    v[((i - 38) ** 2 + (j - 29) ** 2 + (k - 22) ** 2) < 5] = 2
    v[((i - 37) ** 2 + (j - 16) ** 2 + (k - 20) ** 2) < 6] = 2

    # Single voxels, two of them in opposite corners of the volume.
    for p in [(0, 0, 0), (47, 39, 31), (5, 5, 5), (3, 30, 2), (12, 2, 28)]:
        v[p] = 2
    # Corner contact only: one component at 26, two at 18 and 6.
    v[10, 10, 10] = v[11, 11, 11] = 2
    # Edge contact only: one component at 18 and 26, two at 6.
    v[14, 10, 10] = v[15, 11, 10] = 2
    # Face contact: one component always.
    v[18, 10, 10] = v[19, 10, 10] = 2
    # Two 2x2x2 cubes touching by one corner, and a chain of corner-touching voxels.
    v[20:22, 20:22, 2:4] = 2
    v[22:24, 22:24, 4:6] = 2
    for t in range(6):
        v[2 + t, 14 + t, 12 + (t % 2)] = 2
    # Neighbours in memory, not in space: end of a row and start of the next, end of a slice and
    # start of the next (i = 47 -> i = 0, j = 39 -> j = 0).
    v[47, 5, 3] = v[0, 6, 3] = 2
    v[47, 39, 8] = v[0, 0, 9] = 2
    v[47, 20, 14] = v[0, 20, 14] = 2  # opposite ends of one row
    # Blobs on the volume's faces.
    v[0:3, 20:26, 20:24] = 2
    v[44:48, 0:2, 10:13] = 2
    v[10:14, 35:40, 29:32] = 2
    # A large irregular blob: overlapping spheres with a ragged surface.
    blob = np.zeros(shape, bool)
    for c, r in [((14, 24, 16), 5.5), ((19, 27, 18), 4.0), ((10, 28, 12), 3.5), ((15, 19, 20), 3.0)]:
        blob |= ((i - c[0]) ** 2 + (j - c[1]) ** 2 + (k - c[2]) ** 2) < r * r
    shell = blob & ~ndimage.binary_erosion(blob)
    blob &= ~(shell & (rng.random(shape) < 0.35))
    v[blob] = 2
    # Random speckle (density 0.22): many components at 6, a few at 18, mostly one at 26.
    box = (slice(26, 46), slice(2, 12), slice(24, 32))
    speckle = rng.random(shape) < 0.22
    v[box][speckle[box]] = 2
    return v


def write_blobs():
    v = blobs()
    img = nib.Nifti1Image(v, np.eye(4))
    img.set_data_dtype(np.uint8)
    nib.save(img, out / "components_blobs.nii.gz")
    back = np.asarray(nib.load(out / "components_blobs.nii.gz").dataobj)
    assert back.dtype == np.uint8 and np.array_equal(back, v)
    doc = {
        "generator": f"{CC3D} connected_components + statistics; nibabel {nib.__version__}",
        "shape": list(v.shape),
        "tumor_voxels": int((v == 2).sum()),
        "tumor": {str(c): summarise(v == 2, c) for c in (6, 18, 26)},
        "liver_26": summarise(v >= 1, 26),
    }
    (out / "components_blobs.json").write_text(json.dumps(doc))
    print("components_blobs:", {c: len(doc["tumor"][c]) for c in doc["tumor"]}, "liver_26:", len(doc["liver_26"]))


def write_edt():
    cases = []
    shape = (20, 16, 12)
    i, j, k = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    sampling = (0.8, 0.8, 2.5)
    mask = ((i - 8.5) / 6.5) ** 2 + ((j - 7.2) / 5.5) ** 2 + ((k - 5.5) / 4.2) ** 2 < 1
    mask |= (i >= 15) & (j >= 9) & (k <= 4)  # a cube on three of the volume's faces
    cases.append({"name": "ellipsoid+cube", "shape": list(shape), "sampling": list(sampling), "mask": mask})
    rng = np.random.default_rng(7)
    shape = (17, 13, 9)
    mask = rng.random(shape) < 0.85
    cases.append({"name": "random", "shape": list(shape), "sampling": [1.3, 0.7, 3.1], "mask": mask})
    for c in cases:
        d = ndimage.distance_transform_edt(c["mask"], sampling=c["sampling"])
        c["mask"] = [int(x) for x in c["mask"].ravel(order="F")]
        c["distance"] = [float(x) for x in d.ravel(order="F")]
    doc = {"generator": f"scipy {scipy.__version__} ndimage.distance_transform_edt(mask, sampling)", "cases": cases}
    (out / "edt.json").write_text(json.dumps(doc))
    print("edt:", [c["name"] for c in cases])


def write_sample():
    path = root / "data/sample/segmentation-117.nii.gz"
    if not path.exists():
        print(f"{path} not found (run `make sample`): components_sample117.json not written")
        return
    seg = np.asarray(nib.load(path).dataobj).astype(np.uint8)
    doc = {
        "generator": f"{CC3D} connected_components + statistics; nibabel {nib.__version__}",
        "source": "data/sample/segmentation-117.nii.gz, the file's own voxel order",
        "shape": list(seg.shape),
        "tumor_voxels": int((seg == 2).sum()),
        "tumor": {str(c): summarise(seg == 2, c) for c in (6, 26)},
    }
    (out / "components_sample117.json").write_text(json.dumps(doc))
    print("components_sample117:", {c: len(doc["tumor"][c]) for c in doc["tumor"]})


write_blobs()
write_edt()
write_sample()
