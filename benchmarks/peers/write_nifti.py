#!/usr/bin/env python3
"""Peer benchmark: write an int16 volume as .nii.gz with nibabel's to_filename.

Loads FILE (.nii) once, then times  img.to_filename(OUT)  --repeat times at gzip level LEVEL
(nibabel's Opener.default_compresslevel; 1 is nibabel's default and LiTSKit's level):
  write_gz level=<LEVEL> min_s=<x> median_s=<y> n=<N>
"""
import argparse
import os
import statistics
import time

import nibabel as nib
import numpy as np
from nibabel.openers import Opener


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("out")
    ap.add_argument("--level", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    Opener.default_compresslevel = args.level
    src = nib.load(args.file)
    img = nib.Nifti1Image(np.asarray(src.dataobj), src.affine, src.header)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        img.to_filename(args.out)
        times.append(time.perf_counter() - t0)
    print(f"write_gz level={args.level} min_s={min(times):.4f} median_s={statistics.median(times):.4f} n={len(times)}")
    print(f"backend write=nibabel bytes={os.path.getsize(args.out)}")


if __name__ == "__main__":
    main()
