#!/usr/bin/env python3
"""Peer benchmark: one 32-to-32 channel 3x3x3 convolution in PyTorch on CPU.

The layer LiTSNet's Conv3d is measured on: nn.Conv3d(32, 32, 3, padding=1) on a
(1, 32, 16, 96, 96) float32 input (uniform in [-1, 1], seed 1), two threads by default.
  conv3d_forward   the forward pass under no_grad
  conv3d_backward  autograd.grad of the output with respect to input, weight and bias
                   (upstream gradient uniform in [-1, 1]), the forward not timed
One warm-up call each. Prints
  conv3d_forward min_s=.. median_s=.. n=N
  conv3d_backward min_s=.. median_s=.. n=N
with `gflops=` (2 * Cout * Cin * 27 * D * H * W per forward, twice that per backward, at the
median) and a `summary torch=.. threads=.. peak_rss_mb=..` line.
LiTSKit's counterpart: `lits bench conv` (LiTSNet.Conv3d forward and backward).
With --autocast-bf16 the same runs under torch.autocast("cpu", dtype=torch.bfloat16) (oneDNN's
bf16 convolutions), printed as conv3d_bf16_forward / conv3d_bf16_backward: the peer of
`lits bench conv`'s conv3d_kernel_bf16_* lines.

Run: .venv/bin/python benchmarks/peers/torch_conv.py --repeat 5
"""
import argparse
import resource
import statistics
import time

import torch

SHAPE = (1, 32, 16, 96, 96)
COUT = 32


def measure(name, repeats, flops, body):
    body()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        body()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(f"{name} min_s={min(times):.4f} median_s={med:.4f} n={repeats} gflops={flops / med * 1e-9:.1f}",
          flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--autocast-bf16", action="store_true", help="run under CPU bf16 autocast")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    n, cin, d, h, w = SHAPE
    flops = 2.0 * COUT * cin * 27 * n * d * h * w

    conv = torch.nn.Conv3d(cin, COUT, 3, padding=1)
    x = (torch.rand(*SHAPE) * 2 - 1).requires_grad_(True)
    prefix = "conv3d_bf16" if args.autocast_bf16 else "conv3d"
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.autocast_bf16):
        with torch.no_grad():
            measure(prefix + "_forward", args.repeat, flops, lambda: conv(x))
        out = conv(x)
    grad = torch.rand_like(out) * 2 - 1
    measure(prefix + "_backward", args.repeat, 2 * flops,
            lambda: torch.autograd.grad(out, [x, conv.weight, conv.bias], grad, retain_graph=True))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"summary torch={torch.__version__} threads={args.threads} peak_rss_mb={peak}")


if __name__ == "__main__":
    main()
