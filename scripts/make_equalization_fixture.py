"""Reference values for LiTSKit's histogram equalization and CLAHE from scikit-image.

Writes Tests/LiTSImagingTests/Fixtures/equalization.json: synthetic CT-like axial slices
(deterministic numpy Generator; no real patient data) windowed to [-100, 400] HU and scaled to
[0, 1] as float32, and for each one the outputs of
  skimage.exposure.equalize_hist(image, nbins=256), (nbins=32), (nbins=256, mask=body)
  skimage.exposure.equalize_adapthist(image)                        default kernel (1/8 of each side)
  skimage.exposure.equalize_adapthist(image, kernel_size=(16, 16), clip_limit=0.02)
  skimage.exposure.equalize_adapthist(image, nbins=128)
Images: "ct128" (128 x 128), "ct96x140" (96 rows x 140 columns), and "noise23x37" (uniform noise,
23 rows x 37 columns, where a 16 x 16 kernel needs reflect padding of more than the image).

2D images are row-major (rows = j, columns = i, i fastest: a LiTSKit axial slice). Every array
is stored as base64 of little-endian float32 ("f4") or uint8 bytes ("u1", the mask) to keep the
file small and the values exact.

Made with scikit-image 0.26.0, numpy 2.4 (the versions are recorded in the file).
Run: python3 -m venv .venv && .venv/bin/pip install numpy scikit-image==0.26.0
     .venv/bin/python scripts/make_equalization_fixture.py [OUT_DIR]
"""
import base64
import json
import pathlib
import sys

import numpy as np
import skimage
from skimage import exposure

WINDOW = (-100.0, 400.0)


def ct_slice(rng, rows, cols):
    """An abdominal-looking axial slice in HU: air, body ellipse (fat rim, muscle, soft tissue),
    liver with hypodense and hyperdense lesions, spine, and noise."""
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float64)
    cy, cx = rows / 2, cols / 2
    hu = np.full((rows, cols), -1000.0)
    body = ((y - cy) / (0.42 * rows)) ** 2 + ((x - cx) / (0.46 * cols)) ** 2 <= 1
    inner = ((y - cy) / (0.36 * rows)) ** 2 + ((x - cx) / (0.40 * cols)) ** 2 <= 1
    hu[body] = -90.0            # subcutaneous fat
    hu[inner] = 40.0            # muscle / bowel
    liver = ((y - 0.45 * rows) / (0.22 * rows)) ** 2 + ((x - 0.35 * cols) / (0.20 * cols)) ** 2 <= 1
    hu[liver & inner] = 110.0
    for (ly, lx, r, v) in [(0.42, 0.30, 0.05, 35.0), (0.52, 0.40, 0.035, 20.0), (0.38, 0.42, 0.025, 170.0)]:
        lesion = (y - ly * rows) ** 2 + (x - lx * cols) ** 2 <= (r * min(rows, cols)) ** 2
        hu[lesion & liver] = v
    spine = (y - 0.72 * rows) ** 2 + (x - cx) ** 2 <= (0.07 * min(rows, cols)) ** 2
    hu[spine] = 700.0
    kidney = ((y - 0.58 * rows) / (0.08 * rows)) ** 2 + ((x - 0.70 * cols) / (0.06 * cols)) ** 2 <= 1
    hu[kidney] = 150.0
    hu += rng.normal(0.0, 15.0, size=hu.shape)
    lo, hi = WINDOW
    unit = ((np.clip(hu.astype(np.float32), lo, hi) - np.float32(lo)) / np.float32(hi - lo)).astype(np.float32)
    return unit, body


def b64(a, dtype):
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode("ascii")


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/LiTSImagingTests/Fixtures")
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2024)
    images = []
    a, m = ct_slice(rng, 128, 128)
    images.append(("ct128", a, m))
    a, m = ct_slice(rng, 96, 140)
    images.append(("ct96x140", a, m))
    noise = rng.random((23, 37)).astype(np.float32)
    images.append(("noise23x37", noise, noise > 0.3))

    doc = {
        "generator": f"scikit-image {skimage.__version__}, numpy {np.__version__}: "
                     "scripts/make_equalization_fixture.py",
        "layout": "row-major 2D (rows, cols); arrays base64 little-endian float32 (mask: uint8)",
        "window": list(WINDOW),
        "images": [],
    }
    for name, img, mask in images:
        assert img.dtype == np.float32
        entry = {
            "name": name, "rows": img.shape[0], "cols": img.shape[1],
            "image": b64(img, "<f4"), "mask": b64(mask, "u1"),
            "equalize_hist": [], "equalize_adapthist": [],
        }
        for nbins, use_mask in [(256, False), (32, False), (256, True)]:
            r = exposure.equalize_hist(img, nbins=nbins, mask=mask if use_mask else None)
            assert r.dtype == np.float32
            entry["equalize_hist"].append({"nbins": nbins, "mask": use_mask, "out": b64(r, "<f4")})
        for kernel, clip, nbins in [(None, 0.01, 256), ((16, 16), 0.02, 256), (None, 0.01, 128)]:
            r = exposure.equalize_adapthist(img, kernel_size=kernel, clip_limit=clip, nbins=nbins)
            assert r.dtype == np.float32
            entry["equalize_adapthist"].append({
                "kernel_size": list(kernel) if kernel else None, "clip_limit": clip, "nbins": nbins,
                "out": b64(r, "<f4"),
            })
        doc["images"].append(entry)

    path = out / "equalization.json"
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
