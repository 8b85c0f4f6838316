#!/usr/bin/env python3
"""The `lits evaluate --protocol lits` benchmark case: the 70-lesion LiTS-sized case of
make_data.py (run it first) against a perturbed prediction, for the official LiTS scoring
program and for LiTSKit on the same files.

The prediction (deterministic, --seed, default 0): the truth shifted by (+1, +1, 0) voxels,
8 of the 70 lesions dropped (made liver), lesion voxels on every 7th slice made liver, and 10
false-positive spheres (radius 2 to 4 voxels) inside the liver.

Outputs under OUT (default benchmarks/data/lits_protocol), relative symlinks except pred:
  truth/{volume-1.nii, segmentation-1.nii}     the case as a dataset folder for `lits evaluate`
  pred/segmentation-1.nii                      the perturbed prediction (uint8, the truth's header)
  official/{ref,res}/segmentation-1.nii        the layout evaluate.py reads
  set70/truth/{volume,segmentation}-N.nii, set70/pred/segmentation-N.nii, N = 0..69:
                                               the same pair 70 times, a LiTS-test-sized set
"""
import argparse
import os

import cc3d
import nibabel as nib
import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))


def link(target, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        os.remove(path)
    os.symlink(os.path.relpath(target, os.path.dirname(path)), path)


def perturbed(truth, rng):
    p = np.zeros_like(truth)
    p[1:, 1:, :] = truth[:-1, :-1, :]
    lesions = cc3d.connected_components(p == 2, connectivity=26)
    for n in rng.choice(np.arange(1, lesions.max() + 1), size=8, replace=False):
        p[lesions == n] = 1
    for k in range(0, p.shape[2], 7):
        s = p[:, :, k]
        s[s == 2] = 1
    liver = np.argwhere(p == 1)
    for _ in range(10):
        c = liver[rng.integers(len(liver))]
        r = int(rng.integers(2, 5))
        lo = np.maximum(c - r, 0); hi = np.minimum(c + r + 1, p.shape)
        i, j, k = np.ogrid[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
        ball = (i - c[0]) ** 2 + (j - c[1]) ** 2 + (k - c[2]) ** 2 <= r * r
        region = p[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
        region[ball & (region == 1)] = 2
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.path.join(BENCH, "data"))
    ap.add_argument("--out", default=os.path.join(BENCH, "data", "lits_protocol"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    volume = os.path.join(args.data, "lits_sized", "volume-0.nii")
    seg = os.path.join(args.data, "lits_sized_lesions", "segmentation-1.nii")
    img = nib.load(seg)
    truth = np.asanyarray(img.dataobj).astype(np.uint8)
    pred = perturbed(truth, np.random.default_rng(args.seed))
    out = nib.Nifti1Image(pred, img.affine, img.header)
    out.set_data_dtype(np.uint8)
    os.makedirs(os.path.join(args.out, "pred"), exist_ok=True)
    pred_path = os.path.join(args.out, "pred", "segmentation-1.nii")
    nib.save(out, pred_path)
    link(volume, os.path.join(args.out, "truth", "volume-1.nii"))
    link(seg, os.path.join(args.out, "truth", "segmentation-1.nii"))
    link(seg, os.path.join(args.out, "official", "ref", "segmentation-1.nii"))
    link(pred_path, os.path.join(args.out, "official", "res", "segmentation-1.nii"))
    for n in range(70):
        link(volume, os.path.join(args.out, "set70", "truth", f"volume-{n}.nii"))
        link(seg, os.path.join(args.out, "set70", "truth", f"segmentation-{n}.nii"))
        link(pred_path, os.path.join(args.out, "set70", "pred", f"segmentation-{n}.nii"))
    t = cc3d.connected_components(truth == 2, connectivity=6).max()
    q = cc3d.connected_components(pred == 2, connectivity=6).max()
    print(f"truth lesions {t}, predicted components {q}, shape {truth.shape}; wrote {args.out}")


if __name__ == "__main__":
    main()
