#!/usr/bin/env python3
"""Peer benchmark: MONAI Auto3DSeg DataAnalyzer on CPU over a LiTS-layout dataset folder.

The datalist is every volume-N.nii(.gz) in DATA_DIR with its segmentation-N.nii(.gz), all in
the "training" list (fold 0). Per repeat a fresh DataAnalyzer(device="cpu", do_ccp=True,
hist_bins=4096, hist_range=[-1024, 3072] (1-HU bins), worker=--worker) runs
get_all_case_stats() and writes its datastats.yaml / datastats_by_case.yaml to a temporary
folder (part of the timing: that is what the tool does). What it computes per case (MONAI
1.6, monai/auto3dseg/analyzer.py): LoadImaged + EnsureTyped(float32) + Orientationd(RAS);
ImageStats (shape, spacing, size in mm, the image cropped to its non-zero box, intensity
max/mean/median/min/stdev/percentiles 0.5 10 90 99.5); FgImageStats (the same intensity
statistics over label > 0); LabelStats (per label value present: the same intensity statistics,
voxel fraction and, with do_ccp, skimage.measure.label components with their bounding-box
shapes); ImageHistogram (np.histogram of the whole image); then the dataset summary.

Prints:
  monai_analyzer min_s=.. median_s=.. n=N
  summary monai_analyzer cases=.. peak_rss_mb=.. label_ncomponents=VALUE:N,...
    (MONAI's connected-component count per label value of the last case)
"""
import argparse
import glob
import logging
import os
import re
import resource
import statistics
import sys
import tempfile
import time
import warnings


def datalist_of(folder):
    cases = []
    for vol in sorted(glob.glob(os.path.join(folder, "volume-*.nii*"))):
        m = re.fullmatch(r"volume-(\d+)(\.nii(?:\.gz)?)", os.path.basename(vol))
        if not m:
            continue
        for ext in (m.group(2), ".nii", ".nii.gz"):
            seg = os.path.join(folder, f"segmentation-{m.group(1)}{ext}")
            if os.path.exists(seg):
                cases.append({"fold": 0, "image": os.path.basename(vol), "label": os.path.basename(seg)})
                break
    return {"training": cases}


def line(name, times):
    return f"{name} min_s={min(times):.4f} median_s={statistics.median(times):.4f} n={len(times)}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--worker", type=int, default=0,
                    help="DataLoader workers (default 0: load in the main process)")
    ap.add_argument("--keep", help="copy the last datastats yaml files into this folder")
    args = ap.parse_args()

    warnings.filterwarnings("ignore")
    import torch
    from monai.apps.auto3dseg import DataAnalyzer

    logging.getLogger("monai").setLevel(logging.WARNING)
    torch.set_num_threads(os.cpu_count() or 1)
    datalist = datalist_of(os.path.abspath(args.data_dir))
    if not datalist["training"]:
        sys.exit(f"monai_analyzer: no volume-N / segmentation-N pairs in {args.data_dir}")

    times = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            out_yaml = os.path.join(tmp, "datastats.yaml")
            t0 = time.perf_counter()
            analyzer = DataAnalyzer(datalist, dataroot=os.path.abspath(args.data_dir),
                                    output_path=out_yaml, device="cpu", do_ccp=True,
                                    worker=args.worker, hist_bins=4096, hist_range=[-1024, 3072])
            result = analyzer.get_all_case_stats()
            times.append(time.perf_counter() - t0)
            if args.keep:
                import shutil
                os.makedirs(args.keep, exist_ok=True)
                for f in glob.glob(os.path.join(tmp, "*.yaml")):
                    shutil.copy(f, args.keep)

    by_case = result["stats_by_cases"]
    if len(by_case) != len(datalist["training"]):
        # DataAnalyzer logs and skips a case it cannot process: never time a partial run silently.
        sys.exit(f"monai_analyzer: {len(by_case)} of {len(datalist['training'])} cases analysed")
    print(line("monai_analyzer", times))
    ls = by_case[-1]["label_stats"]
    ncomp = {uid: lab.get("ncomponents") for uid, lab in zip(ls["labels"], ls["label"])}
    print(f"summary monai_analyzer cases={len(by_case)} "
          f"peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} "
          f"label_ncomponents={','.join(f'{k}:{v}' for k, v in ncomp.items())}", flush=True)


if __name__ == "__main__":
    main()
