#!/usr/bin/env python3
"""Peer benchmark: surface distances of a liver mask against a perturbed copy, medpy and MONAI.

The pair (built once, not timed): truth = label >= 1 of the segmentation, in the file's voxel
order (nibabel dataobj, no reorientation; spacing from the header zooms); pred = truth eroded
once (scipy.ndimage.binary_erosion, 6-connected structure, outside the image counts as
background) and shifted by +2 voxels along i (pred[i + 2, j, k] = eroded[i, j, k], zero fill,
no wrap-around).

Timed per repeat:
  surface_distance_medpy  medpy 0.5.2: medpy.metric.binary.assd(pred, truth, voxelspacing=spacing)
                          + medpy.metric.binary.hd95(pred, truth, voxelspacing=spacing)
                          (each computes both directed distance sets: four whole-image EDTs).
  surface_distance_monai  MONAI: compute_hausdorff_distance(percentile=95, spacing=spacing)
                          + compute_average_surface_distance(symmetric=True, spacing=spacing)
                          on (1, 1, X, Y, Z) CPU tensors (MONAI crops to the union's bounding
                          box itself). MONAI's hd95 is the larger of the two directed 95th
                          percentiles, not medpy's percentile of both sets together, so its
                          hd95 differs; its symmetric ASD is medpy 0.5.2's assd.
LiTSKit's counterpart: Metrics.surfaceDistances(pred:truth:shape:spacing:) (assd, hd95, hd and
both directed means in one call).

Prints
  surface_distance_medpy min_s=.. median_s=.. n=N
  surface_distance_monai min_s=.. median_s=.. n=N
and `checksum NAME assd=.. hd95=.. pred_voxels=.. truth_voxels=..` lines.

Run: .venv/bin/python benchmarks/peers/surface_distance.py benchmarks/data/lits_sized_lesions/segmentation-1.nii --repeat 3
Options: --skip-medpy / --skip-monai.
"""
import argparse
import warnings
import statistics
import time

import nibabel as nib
import numpy as np
from scipy import ndimage


def line(name, times):
    return f"{name} min_s={min(times):.4f} median_s={statistics.median(times):.4f} n={len(times)}"


def make_pair(path):
    img = nib.load(path)
    truth = np.asarray(img.dataobj) >= 1
    spacing = tuple(float(z) for z in img.header.get_zooms()[:3])
    eroded = ndimage.binary_erosion(truth, ndimage.generate_binary_structure(3, 1))
    pred = np.zeros_like(truth)
    pred[2:, :, :] = eroded[:-2, :, :]
    return pred, truth, spacing


def run_medpy(pred, truth, spacing):
    from medpy.metric import binary
    return (float(binary.assd(pred, truth, voxelspacing=spacing)),
            float(binary.hd95(pred, truth, voxelspacing=spacing)))


def run_monai(pred_t, truth_t, spacing):
    from monai.metrics import compute_average_surface_distance, compute_hausdorff_distance
    hd95 = compute_hausdorff_distance(pred_t, truth_t, include_background=True, percentile=95, spacing=spacing)
    asd = compute_average_surface_distance(pred_t, truth_t, include_background=True, symmetric=True, spacing=spacing)
    return float(asd.item()), float(hd95.item())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("seg")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-medpy", action="store_true")
    ap.add_argument("--skip-monai", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore", FutureWarning)  # MONAI 1.6 warns about its own deprecated argument

    pred, truth, spacing = make_pair(args.seg)
    counts = f"pred_voxels={int(pred.sum())} truth_voxels={int(truth.sum())}"

    if not args.skip_medpy:
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            assd, hd95 = run_medpy(pred, truth, spacing)
            times.append(time.perf_counter() - t0)
        print(line("surface_distance_medpy", times))
        print(f"checksum surface_distance_medpy assd={assd:.9f} hd95={hd95:.9f} {counts}", flush=True)

    if not args.skip_monai:
        import torch
        torch.set_num_threads(max(1, torch.get_num_threads()))
        pred_t = torch.from_numpy(pred)[None, None]
        truth_t = torch.from_numpy(truth)[None, None]
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            assd, hd95 = run_monai(pred_t, truth_t, spacing)
            times.append(time.perf_counter() - t0)
        print(line("surface_distance_monai", times))
        print(f"checksum surface_distance_monai assd={assd:.9f} hd95={hd95:.9f} {counts}", flush=True)


if __name__ == "__main__":
    main()
