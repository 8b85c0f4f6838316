#!/usr/bin/env python3
"""Peer benchmark: the per-case EDA statistics of `lits eda`, with nibabel + numpy + scipy + cc3d.

Written plainly, as a researcher would. Per repeat, for one case (CT + label map):
  load both with nibabel, reoriented to the closest canonical (RAS+) grid, CT as float32 HU;
  label voxel counts (0, 1, 2; np.count_nonzero of the liver and tumour masks), liver (label >= 1) and tumour (label 2) volumes in mL;
  liver extent along the superior-inferior axis (canonical k: first/last slice with liver,
    slices * slice spacing in mm) and the image faces liver / tumour touch;
  HU statistics of three classes: body = largest 26-connected component of HU > -500
    (cc3d.largest_k), liver = label >= 1, tumour = label == 2: voxels, mean, std (ddof 0),
    min, max, np.percentile at 0.5 5 25 50 75 95 99.5 (linear), and a histogram in 1-HU bins
    ([v, v + 1) for integer v, np.histogram over floor(min) .. floor(max) + 1);
  lesions: cc3d.connected_components(seg == 2, connectivity=26) + cc3d.statistics; per lesion
    voxels, mL, equivalent-sphere diameter, bbox and extent in mm, slices spanned, centroid
    (canonical voxel and world mm), mean/std HU, largest in-plane diameter over its slices both
    as area-equivalent diameter 2*sqrt(area/pi) and as the longest pixel-centre distance plus
    one pixel (what LiTSAnalysis' PlaneGeometry computes), the liver third the centroid lies in,
    and the centroid's depth below the liver surface: scipy distance_transform_edt of the liver
    mask (sampling = spacing) on the liver's bounding box padded by one background voxel on
    every side (identical to the whole-volume EDT inside the liver, except that outside the
    image counts as outside the liver), read at the voxel nearest the centroid;
  liver components: cc3d 26-connected components of label >= 1, count and largest fraction.

Prints:
  eda_case min_s=.. median_s=.. n=N      the whole per case, load included
  components min_s=.. median_s=.. n=N    cc3d.connected_components(seg == 2, 26) + cc3d.statistics
  summary lesions=.. liver_voxels=.. peak_rss_mb=.. tumor_voxels=.. body_voxels=.. liver_components=..
    (the first three as `lits-bench eda` prints them; peak RSS from getrusage ru_maxrss, whole
    process, all repeats)
--json PATH writes every statistic of the last repeat (keys named as in LiTSAnalysis' CaseEDA).
"""
import argparse
import json
import resource
import statistics
import time

import cc3d
import nibabel as nib
import numpy as np
from scipy import ndimage
from scipy.spatial.distance import pdist

LEVELS = [0.5, 5, 25, 50, 75, 95, 99.5]


def level_key(p):
    return str(int(p)) if p == int(p) else str(p)


def hu_stats(values):
    """Statistics and 1-HU-bin histogram of a 1D array of HU values."""
    lo, hi = float(values.min()), float(values.max())
    first = int(np.floor(lo))
    nbins = int(np.floor(hi)) - first + 1
    hist, _ = np.histogram(values, bins=nbins, range=(first, first + nbins))
    stats = {
        "voxels": int(values.size),
        "mean": float(values.mean(dtype=np.float64)),
        "std": float(values.std(dtype=np.float64)),
        "min": lo,
        "max": hi,
        "percentiles": dict(zip(map(level_key, LEVELS), map(float, np.percentile(values, LEVELS)))),
    }
    return stats, {"firstBinHU": first, "counts": hist.tolist(), "count": int(hist.sum())}


def longest_diameter(pixels_mm, spacing_xy):
    """Longest distance between pixel centres + one pixel (mm)."""
    d = pdist(pixels_mm).max() if len(pixels_mm) > 1 else 0.0
    return float(d) + (spacing_xy[0] + spacing_xy[1]) / 2


def touched_faces(mask):
    faces = []
    for name, sl in (("inferior", np.s_[:, :, 0]), ("superior", np.s_[:, :, -1]),
                     ("left", np.s_[0, :, :]), ("right", np.s_[-1, :, :]),
                     ("posterior", np.s_[:, 0, :]), ("anterior", np.s_[:, -1, :])):
        if mask[sl].any():
            faces.append(name)
    return faces


def eda_case(vol_path, seg_path, timings):
    img = nib.as_closest_canonical(nib.load(vol_path))
    seg_img = nib.as_closest_canonical(nib.load(seg_path))
    hu = img.get_fdata(dtype=np.float32)
    seg = np.asanyarray(seg_img.dataobj).astype(np.uint8)
    spacing = np.array(img.header.get_zooms()[:3], dtype=np.float64)
    voxel_ml = float(np.prod(spacing)) / 1000.0

    out = {"shape": list(hu.shape), "canonicalSpacing": spacing.tolist()}
    liver = seg >= 1
    tumor = seg == 2
    n_liver_vox, n_tumor_vox = np.count_nonzero(liver), np.count_nonzero(tumor)
    counts = np.array([seg.size - n_liver_vox, n_liver_vox - n_tumor_vox, n_tumor_vox])
    out["labelVoxels"] = counts.tolist()
    out["liverML"] = float(counts[1] + counts[2]) * voxel_ml
    out["tumorML"] = float(counts[2]) * voxel_ml
    out["tumorBurden"] = out["tumorML"] / out["liverML"] if out["liverML"] > 0 else None

    # Liver extent along k (canonical: inferior -> superior).
    ks = np.flatnonzero(liver.any(axis=(0, 1)))
    k_min, k_max = int(ks[0]), int(ks[-1])
    n_slices = k_max - k_min + 1
    out["liverExtent"] = {"kMin": k_min, "kMax": k_max}
    out["liverExtentMM"] = n_slices * spacing[2]
    out["liverTouches"] = touched_faces(liver)
    out["tumorTouches"] = touched_faces(tumor)

    # HU statistics per class.
    body = cc3d.largest_k(hu > -500, k=1, connectivity=26) > 0
    out["hu"], out["histograms"] = {}, {}
    for name, mask in (("body", body), ("liver", liver), ("tumor", tumor)):
        if mask.any():
            out["hu"][name], out["histograms"][name] = hu_stats(hu[mask])

    # Liver components.
    liver_cc, n_liver = cc3d.connected_components(liver, connectivity=26, return_N=True)
    sizes = np.bincount(liver_cc.ravel(order="K"))[1:]
    out["liverComponents"] = int(n_liver)
    out["liverLargestComponentFraction"] = float(sizes.max() / sizes.sum()) if n_liver else None

    # Lesions.
    t0 = time.perf_counter()
    labels, n = cc3d.connected_components(seg == 2, connectivity=26, return_N=True)
    stats = cc3d.statistics(labels)
    timings.append(time.perf_counter() - t0)

    # Depth below the liver surface: EDT on the liver's bounding box, padded by one voxel.
    idx = [np.flatnonzero(liver.any(axis=a)) for a in ((1, 2), (0, 2))] + [ks]
    lo = np.array([i[0] for i in idx])
    hi = np.array([i[-1] for i in idx])
    crop = np.pad(liver[lo[0]:hi[0] + 1, lo[1]:hi[1] + 1, lo[2]:hi[2] + 1], 1)
    depth = ndimage.distance_transform_edt(crop, sampling=spacing)

    lesions = []
    for lab in range(1, n + 1):
        bb = stats["bounding_boxes"][lab]
        m = labels[bb] == lab
        v = hu[bb][m]
        nvox = int(stats["voxel_counts"][lab])
        per_slice = m.sum(axis=(0, 1))
        best_d, best_k = 0.0, bb[2].start
        for kk in np.flatnonzero(per_slice):
            pix = np.argwhere(m[:, :, kk]) * spacing[:2]
            d = longest_diameter(pix, spacing[:2])
            if d > best_d:
                best_d, best_k = d, bb[2].start + int(kk)
        c = stats["centroids"][lab]
        ci = np.clip(np.floor(c + 0.5).astype(int), 0, np.array(hu.shape) - 1)
        p = ci - lo + 1
        inside = np.all(p >= 0) and np.all(p < depth.shape)
        t = (c[2] - k_min + 0.5) / n_slices
        vol_ml = nvox * voxel_ml
        lesions.append({
            "id": lab,
            "voxels": nvox,
            "volumeML": vol_ml,
            "equivalentDiameterMM": (6 * vol_ml * 1000 / np.pi) ** (1 / 3),
            "bboxMin": [s.start for s in bb],
            "bboxMax": [s.stop - 1 for s in bb],
            "extentMM": [(s.stop - s.start) * sp for s, sp in zip(bb, spacing)],
            "slices": int(np.count_nonzero(per_slice)),
            "maxInPlaneDiameterMM": best_d,
            "maxInPlaneSlice": best_k,
            "maxAreaEquivalentDiameterMM": float(2 * np.sqrt(per_slice.max() * spacing[0] * spacing[1] / np.pi)),
            "centroidVoxel": c.tolist(),
            "centroidWorldMM": (img.affine @ np.append(c, 1.0))[:3].tolist(),
            "meanHU": float(v.mean(dtype=np.float64)),
            "stdHU": float(v.std(dtype=np.float64)),
            "region": "bottom" if t < 1 / 3 else ("middle" if t < 2 / 3 else "top"),
            "depthMM": float(depth[tuple(p)]) if inside else 0.0,
        })
    out["lesions"] = lesions
    return out


def line(name, times):
    return f"{name} min_s={min(times):.4f} median_s={statistics.median(times):.4f} n={len(times)}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("volume")
    ap.add_argument("segmentation")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="write the statistics of the last repeat to this file")
    args = ap.parse_args()

    whole, comp = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out = eda_case(args.volume, args.segmentation, comp)
        whole.append(time.perf_counter() - t0)
    print(line("eda_case", whole))
    print(line("components", comp))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    n_vox = out["labelVoxels"]
    print(f"summary lesions={len(out['lesions'])} liver_voxels={n_vox[1] + n_vox[2]} peak_rss_mb={rss_mb} "
          f"tumor_voxels={n_vox[2]} body_voxels={out['hu']['body']['voxels']} "
          f"liver_components={out['liverComponents']}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
