#!/usr/bin/env python3
"""litskit's calls from Python against the Python peers on the LiTS-sized case
(benchmarks/make_data.py: 512x512x450 int16 CT, uint8 labels), the Python call overhead
included: each number is the wall time of the whole Python call, numpy conversions and all.

    python benchmarks/python_calls.py [--data benchmarks/data/lits_sized] [--repeat 3]

Peers: nibabel (load), cc3d (connected_components + statistics), medpy (dc, hd95, assd) when
importable (it takes minutes here, so it runs once). Prints a markdown table; ratio = peer
median / litskit median (> 1: litskit is faster).
"""
import argparse
import os
import statistics
import time

import numpy as np

import litskit


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(root, "benchmarks", "data", "lits_sized"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import nibabel as nib
    import cc3d
    try:
        from medpy.metric import binary as medpy_binary
    except ImportError:
        medpy_binary = None

    vol_nii = os.path.join(args.data, "volume-0.nii")
    vol_gz = os.path.join(args.data, "volume-0.nii.gz")
    seg_nii = os.path.join(args.data, "segmentation-0.nii")
    seg, affine = litskit.load(seg_nii)
    seg = seg.astype(np.uint8)
    spacing = np.sqrt((affine[:3, :3] ** 2).sum(axis=0))
    tumour, liver = seg == 2, seg >= 1
    pred = np.asfortranarray(np.roll(seg, 2, axis=2))   # a prediction two slices off
    print(f"case: {seg.shape}, spacing {spacing.round(3)} mm; liver {int(liver.sum())} voxels, tumour {int(tumour.sum())}")

    rows = []

    def compare(name, ours, peer, peer_name, peer_repeat=None):
        o = timed(ours, args.repeat)
        p = timed(peer, peer_repeat or args.repeat) if peer else None
        rows.append((name, o, peer_name, p))
        print(f"{name}: litskit {o[0]:.3f} s" + (f", {peer_name} {p[0]:.3f} s, ratio {p[0] / o[0]:.1f}" if p else ""), flush=True)

    tiny = np.zeros((2, 2, 2), bool)
    compare("call overhead: components of a 2x2x2 mask (x1000)",
            lambda: [litskit.components(tiny) for _ in range(1000)],
            lambda: [cc3d.statistics(cc3d.connected_components(tiny, connectivity=26)) for _ in range(1000)], "cc3d")
    compare("load volume-0.nii (int16 -> float32)", lambda: litskit.load(vol_nii),
            lambda: nib.load(vol_nii).get_fdata(dtype=np.float32), "nibabel")
    compare("load volume-0.nii.gz", lambda: litskit.load(vol_gz),
            lambda: nib.load(vol_gz).get_fdata(dtype=np.float32), "nibabel")
    compare("load canonical volume-0.nii", lambda: litskit.load(vol_nii, canonical=True),
            lambda: nib.as_closest_canonical(nib.load(vol_nii)).get_fdata(dtype=np.float32), "nibabel")
    for name, mask in (("tumour", tumour), ("liver", liver)):
        compare(f"components + statistics, {name}, 26-connected", lambda m=mask: litskit.components(m, 26),
                lambda m=mask: cc3d.statistics(cc3d.connected_components(m, connectivity=26)), "cc3d")
    if medpy_binary is not None:
        def medpy_all():
            medpy_binary.dc(pred >= 1, liver)
            medpy_binary.hd95(pred >= 1, liver, voxelspacing=spacing)
            medpy_binary.assd(pred >= 1, liver, voxelspacing=spacing)
        compare("liver Dice + HD95 + ASSD (litskit: + Jaccard, HD, NSD)", lambda: litskit.metrics(pred >= 1, liver, spacing),
                medpy_all, "medpy", peer_repeat=1)
    else:
        compare("liver metrics (Dice, Jaccard, HD, HD95, ASSD, NSD)", lambda: litskit.metrics(pred >= 1, liver, spacing), None, None)
    compare("official LiTS case scores", lambda: litskit.lits_scores(pred, seg, spacing), None, None)

    print()
    print("| call | litskit median (min) s | peer | peer median (min) s | ratio |")
    print("|---|---:|---|---:|---:|")
    for name, o, peer_name, p in rows:
        peer = f"{p[0]:.3f} ({p[1]:.3f})" if p else "-"
        ratio = f"{p[0] / o[0]:.1f}" if p else "-"
        print(f"| {name} | {o[0]:.3f} ({o[1]:.3f}) | {peer_name or '-'} | {peer} | {ratio} |")


if __name__ == "__main__":
    main()
