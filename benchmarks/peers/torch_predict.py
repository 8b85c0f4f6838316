"""Peer benchmark: whole-volume prediction with PyTorch and MONAI's sliding_window_inference.

Mirrors `lits bench predict --run RUN --npy volN.npy`: the run's best checkpoint loaded into the
PyTorch twin (scripts/unet_torch.py), the same preprocessed volume (C order (nz, ny, nx)), windows
of the run's patch size, overlap 0.5, Gaussian blending, 2 windows per batch, two threads.

Run: .venv/bin/python benchmarks/peers/torch_predict.py --run runs/sample --npy out/pre/vol0.npy --repeat 3
"""
import argparse
import json
import pathlib
import resource
import statistics
import sys
import time

import numpy as np
import torch
from monai.inferers import sliding_window_inference

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts"))
from unet_torch import load_checkpoint  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--run", required=True)
ap.add_argument("--npy", required=True)
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--threads", type=int, default=2)
args = ap.parse_args()
torch.set_num_threads(args.threads)
config = json.loads((pathlib.Path(args.run) / "config.json").read_text())
patch = config["patch"]
roi = (patch["d"], patch["h"], patch["w"])
model = load_checkpoint(pathlib.Path(args.run) / "best.safetensors").eval()
x = torch.from_numpy(np.load(args.npy)).float()[None, None]
out = None


def run():
    global out
    with torch.no_grad():
        out = sliding_window_inference(x, roi, 2, model, overlap=config.get("overlap", 0.5), mode="gaussian")


run()
times = []
for _ in range(args.repeat):
    t0 = time.perf_counter()
    run()
    times.append(time.perf_counter() - t0)
print(f"predict_volume min_s={min(times):.4f} median_s={statistics.median(times):.4f} n={args.repeat}")
print(f"summary predict_volume shape={tuple(x.shape[2:])} liver_probability_sum={out[0, 0].double().sum().item()} "
      f"peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}")
