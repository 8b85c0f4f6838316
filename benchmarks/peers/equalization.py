#!/usr/bin/env python3
"""Peer benchmark: per-slice histogram equalization and CLAHE with scikit-image.

The issue-4 question (does per-slice equalization separate liver and tumor?) done the Python
way. The volume is loaded once with nibabel as float32 in the file's voxel order (load not
timed). Per repeat, timed: window to [-100, 400] HU and scale to [0, 1] in float32
((clip(v) + 100) / 500), then for every axial slice k (the 2D image vol[:, :, k].T: rows j,
columns i, as LiTSKit's slices)
  equalize_slices  skimage.exposure.equalize_hist(slice, nbins=256)
  clahe_slices     skimage.exposure.equalize_adapthist(slice)   (kernel 1/8 of each side,
                   clip_limit 0.01, nbins 256)
Single-threaded, as scikit-image is. Prints
  equalize_slices min_s=.. median_s=.. n=N
  clahe_slices min_s=.. median_s=.. n=N
and a `checksum NAME sum=.. shape=..` line each (sum of the outputs as float64).
LiTSKit's counterparts: HistogramEqualization.perSlice and CLAHE.perSlice (window .liver).

Run: .venv/bin/python benchmarks/peers/equalization.py benchmarks/data/lits_sized/volume-0.nii --repeat 3
"""
import argparse
import statistics
import time

import nibabel as nib
import numpy as np
from skimage import exposure

LOW, HIGH = -100.0, 400.0


def window(vol):
    return ((np.clip(vol, np.float32(LOW), np.float32(HIGH)) - np.float32(LOW))
            / np.float32(HIGH - LOW)).astype(np.float32, copy=False)


def per_slice(vol, fn):
    unit = window(vol)
    out = np.empty_like(unit)
    for k in range(unit.shape[2]):
        out[:, :, k] = fn(np.ascontiguousarray(unit[:, :, k].T)).T
    return out


def line(name, times):
    return f"{name} min_s={min(times):.4f} median_s={statistics.median(times):.4f} n={len(times)}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    vol = np.asarray(nib.load(args.file).dataobj, dtype=np.float32)
    runs = [
        ("equalize_slices", lambda s: exposure.equalize_hist(s, nbins=256)),
        ("clahe_slices", lambda s: exposure.equalize_adapthist(s, clip_limit=0.01, nbins=256)),
    ]
    for name, fn in runs:
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            out = per_slice(vol, fn)
            times.append(time.perf_counter() - t0)
        print(line(name, times))
        print(f"checksum {name} sum={out.sum(dtype=np.float64):.3f} shape={'x'.join(map(str, out.shape))}",
              flush=True)


if __name__ == "__main__":
    main()
