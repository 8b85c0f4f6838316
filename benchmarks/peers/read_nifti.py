#!/usr/bin/env python3
"""Peer benchmark: read a NIfTI file into float32 HU with nibabel.

Times exactly  np.asarray(nib.load(FILE, mmap=False).get_fdata(dtype=np.float32))
--repeat times and prints (same format as lits-bench):
  read <basename> min_s=<x> median_s=<y> n=<N>
  checksum <basename> sum=<sum of voxels as float64>
"""
import argparse
import os
import statistics
import time

import nibabel as nib
import numpy as np


def read(path):
    return np.asarray(nib.load(path, mmap=False).get_fdata(dtype=np.float32))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        vol = read(args.file)
        times.append(time.perf_counter() - t0)
    name = os.path.basename(args.file)
    print(f"read {name} min_s={min(times):.4f} median_s={statistics.median(times):.4f} n={len(times)}")
    print(f"checksum {name} sum={vol.sum(dtype=np.float64):.1f}")


if __name__ == "__main__":
    main()
