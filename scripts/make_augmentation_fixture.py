"""Reference values for LiTSKit's augmentation transforms from scipy and PyTorch.

Writes Tests/LiTSTrainingTests/Fixtures/augmentation.json, for a deterministic volume
x[k, j, i] = ((31 k + 17 j + 7 i) mod 23) / 23 (the test builds the same one):
  blur:    scipy.ndimage.gaussian_filter(x, sigma, mode="reflect", truncate=4.0) on a 7x6x5 patch
           (what batchgenerators' GaussianBlurTransform calls);
  lowres:  torch interpolate "nearest-exact" down by a zoom, "trilinear" (align_corners=False)
           back (batchgeneratorsv2's SimulateLowResolutionTransform), 7x6x5, zoom 0.6;
  spatial: a 6x5x4 patch of a 12x11x10 volume rotated about i, j, k and zoomed about its centre,
           sampled with scipy.ndimage.map_coordinates: order 1 mode "grid-constant" (image,
           padding outside) and order 0 (labels, 0 outside).
Arrays are flattened with i fastest (NIfTI order).

Run: in a venv with numpy, scipy and torch (the committed fixture: scipy 1.17.1, torch 2.13.0+cpu),
     python scripts/make_augmentation_fixture.py
"""
import json
import math
import pathlib
import sys

import numpy as np
import scipy
import torch
from scipy import ndimage

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/LiTSTrainingTests/Fixtures")
out.mkdir(parents=True, exist_ok=True)


def volume(d, h, w):
    k, j, i = np.meshgrid(np.arange(d), np.arange(h), np.arange(w), indexing="ij")
    return (((31 * k + 17 * j + 7 * i) % 23) / 23).astype(np.float64)


def labels(d, h, w):
    k, j, i = np.meshgrid(np.arange(d), np.arange(h), np.arange(w), indexing="ij")
    return ((i + 2 * j + 3 * k) // 4 % 3).astype(np.uint8)


def flat(a):
    return [float(v) for v in np.asarray(a).ravel(order="C")]  # [k, j, i] C order: i fastest


x = volume(5, 6, 7)
sigma_kji = (0.5, 1.0, 0.7)
blur = ndimage.gaussian_filter(x, sigma=sigma_kji, mode="reflect", truncate=4.0)

zoom = 0.6
low_shape = [max(1, round(n * zoom)) for n in x.shape]
t = torch.from_numpy(x)[None, None]
down = torch.nn.functional.interpolate(t, size=low_shape, mode="nearest-exact")
up = torch.nn.functional.interpolate(down, size=list(x.shape), mode="trilinear", align_corners=False)

# Rotation about i, j, k (applied in that order), then 1 / zoom per axis: offset u (i, j, k)
# from the patch centre maps to the volume offset R u / zoom.
deg = (17.0, -11.0, 23.0)
zoom_ijk = (0.87, 0.87, 1.1)
a, b, c = (math.radians(v) for v in deg)
rx = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
ry = np.array([[math.cos(b), 0, math.sin(b)], [0, 1, 0], [-math.sin(b), 0, math.cos(b)]])
rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
m = rz @ ry @ rx @ np.diag([1 / z for z in zoom_ijk])
vol = volume(10, 11, 12)
lab = labels(10, 11, 12)
pw, ph, pd = 6, 5, 4
origin_ijk = (7, 3, 2)
centre = np.array([origin_ijk[0] + (pw - 1) / 2, origin_ijk[1] + (ph - 1) / 2, origin_ijk[2] + (pd - 1) / 2])
kk, jj, ii = np.meshgrid(np.arange(pd), np.arange(ph), np.arange(pw), indexing="ij")
u = np.stack([ii - (pw - 1) / 2, jj - (ph - 1) / 2, kk - (pd - 1) / 2]).reshape(3, -1)
src = centre[:, None] + m @ u  # (i, j, k) rows
coords = src[::-1]  # map_coordinates wants (k, j, i)
pad = -0.25
image = ndimage.map_coordinates(vol, coords, order=1, mode="grid-constant", cval=pad)
near = ndimage.map_coordinates(lab, coords, order=0, mode="grid-constant", cval=0)
frac = np.abs(src - np.floor(src) - 0.5).min()
assert frac > 1e-3, "a coordinate sits on a rounding tie; choose other angles"

doc = {
    "generator": f"scipy {scipy.__version__}, torch {torch.__version__}; scripts/make_augmentation_fixture.py",
    "blur": {"shape_whd": [7, 6, 5], "sigma_ijk": list(sigma_kji[::-1]), "values": flat(blur)},
    "lowres": {"shape_whd": [7, 6, 5], "zoom": zoom, "values": flat(up[0, 0].numpy())},
    "spatial": {"volume_whd": [12, 11, 10], "patch_whd": [pw, ph, pd], "origin_ijk": list(origin_ijk),
                "degrees_ijk": list(deg), "zoom_ijk": list(zoom_ijk), "pad": pad,
                "image": [float(v) for v in image], "labels": [int(v) for v in near]},
}
(out / "augmentation.json").write_text(json.dumps(doc, indent=1) + "\n")
print(f"wrote {out / 'augmentation.json'}")
