"""Peer benchmark: the same U-Net training step, inference and convolution in PyTorch on CPU.

Mirrors `lits bench train-step` and `lits bench conv`: the model of scripts/unet_torch.py with
filters [16, 32, 64, 128], batch 2 of 1x16x96x96 random patches, two threads, forward + backward
(the baseline's Jaccard distance) + Adam step; inference forward alone (eval mode, no_grad); one
32-to-32 channel 3x3x3 convolution on (1, 32, 16, 96, 96), forward and backward.
Prints NAME min_s=.. median_s=.. n=.. lines and a summary with peak RSS.

Run: .venv/bin/python benchmarks/peers/torch_unet.py --repeat 5
"""
import argparse
import pathlib
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts"))
from unet_torch import UNet3D  # noqa: E402


def measure(name, repeats, body):
    body()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        body()
        times.append(time.perf_counter() - t0)
    print(f"{name} min_s={min(times):.4f} median_s={statistics.median(times):.4f} n={repeats}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--patch", default="16,96,96", help="D,H,W as lits bench train-step --patch")
    args = ap.parse_args()
    d, h, w = (int(v) for v in args.patch.split(","))
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = UNet3D(1, 2, (16, 32, 64, 128))
    x = torch.rand(args.batch, 1, d, h, w) * 2 - 1
    y = (torch.rand(args.batch, 2, d, h, w) > 0.7).float()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    s = 100.0

    def step():
        opt.zero_grad()
        p = model(x)
        dims = (0, 2, 3, 4)
        inter = (p * y).sum(dim=dims)
        union = p.sum(dim=dims) + y.sum(dim=dims)
        loss = ((1 - (inter + s) / (union - inter + s)) * s).mean()
        loss.backward()
        opt.step()

    model.train()
    measure("train_step", args.repeat, step)
    model.eval()
    with torch.no_grad():
        measure("infer_forward", args.repeat, lambda: model(x))

    conv = torch.nn.Conv3d(32, 32, 3, padding=1)
    cx = (torch.rand(1, 32, 16, 96, 96) * 2 - 1).requires_grad_(True)
    with torch.no_grad():
        measure("conv3d_forward", args.repeat, lambda: conv(cx))
    out = conv(cx)
    grad = torch.ones_like(out)
    measure("conv3d_backward", args.repeat, lambda: torch.autograd.grad(out, [cx, conv.weight, conv.bias], grad, retain_graph=True))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"summary torch={torch.__version__} threads={args.threads} peak_rss_mb={peak}")


if __name__ == "__main__":
    main()
