#!/usr/bin/env python3
"""Peer benchmark: the Keras baseline's preprocessing of one CT volume.

Per repeat:  load with nibabel (get_fdata(): float64, the nibabel default the baseline
uses) -> np.clip(vol, -100, 400) -> scipy.ndimage.zoom to 168x168 in-plane and 2 mm
slices (factors 168/nx, 168/ny, spacing_z/2.0, spacing from the header zooms) ->
min-max normalise to [0, 1] as float32.
Run with order=3 (the baseline) and order=1. One pass per repeat gives two timings:
the whole path (load + compute) and the compute only (load excluded). Prints:
  preprocess_order3 min_s=.. median_s=.. n=N           whole path, incl. load
  preprocess_order3_compute min_s=.. median_s=.. n=N   clip + zoom + normalise only
  (same for order1) and a `checksum preprocess_orderK sum=.. shape=..` line each.
"""
import argparse
import statistics
import time

import nibabel as nib
import numpy as np
from scipy import ndimage


def preprocess(vol, spacing_z, order):
    vol = np.clip(vol, -100, 400)
    nx, ny, _ = vol.shape
    out = ndimage.zoom(vol, (168 / nx, 168 / ny, spacing_z / 2.0), order=order)
    lo, hi = out.min(), out.max()
    return ((out - lo) / (hi - lo)).astype(np.float32)


def line(name, times):
    return f"{name} min_s={min(times):.4f} median_s={statistics.median(times):.4f} n={len(times)}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    for order in (3, 1):
        whole, compute = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            img = nib.load(args.file)
            vol = img.get_fdata()
            spacing_z = float(img.header.get_zooms()[2])
            t1 = time.perf_counter()
            out = preprocess(vol, spacing_z, order)
            t2 = time.perf_counter()
            whole.append(t2 - t0)
            compute.append(t2 - t1)
            del img, vol
        name = f"preprocess_order{order}"
        print(line(name, whole))
        print(line(name + "_compute", compute))
        print(f"checksum {name} sum={out.sum(dtype=np.float64):.3f} shape={'x'.join(map(str, out.shape))}",
              flush=True)


if __name__ == "__main__":
    main()
