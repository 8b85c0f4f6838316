"""Reference values for LiTSTraining's sliding window, from MONAI's `sliding_window_inference`.

Prints Swift literals that Tests/LiTSTrainingTests/SamplerAndWindowTests.swift hard-codes (the
test target has no resource folder):

  1. window starts along one axis for (length, window, overlap) cases: taken from the windows
     `sliding_window_inference` really visits (with_coord=True hands the predictor its slices),
     on a (length, 4, 4) image with roi (window, 4, 4); an axis shorter than its window is padded
     by MONAI first, so its only start is 0 in the padded image.
  2. `compute_importance_map(patch, mode="gaussian", sigma_scale=0.125)` at every flat index
     (row-major D, H, W) divisible by a step (7 or 61), its minimum and maximum (MONAI clamps the map from below at
     max(min(map), 1e-3)).
  3. whole predictions: `sliding_window_inference` of a deterministic image with a predictor
     whose output depends on the window (channel 0 = x + mean of the window, channel 1 =
     0.5 * mean of the window), so the result depends on window placement, padding and blending
     weights; the sum per channel and the values at every flat index divisible by 37.

The image is x[d, h, w] = ((31 d + 17 h + 7 w) mod 23) / 23 (exact in float32).

Peers: MONAI 1.6.1, PyTorch 2.15 (CPU, float32).

Run from the repository root:
  .venv/bin/pip install monai torch numpy
  .venv/bin/python scripts/make_sliding_window_fixture.py
"""
import monai
import torch
from monai.data.utils import compute_importance_map
from monai.inferers import sliding_window_inference

STARTS = [
    (168, 168, 0.5), (200, 168, 0.5), (100, 16, 0.5), (37, 16, 0.5), (16, 16, 0.5),
    (10, 16, 0.5), (50, 16, 0.25), (50, 16, 0.0), (17, 16, 0.5), (30, 16, 0.9),
    (13, 8, 0.7), (300, 96, 0.5), (129, 64, 0.33), (23, 10, 0.7), (57, 20, 0.8),
]

IMPORTANCE = [((4, 8, 8), 7), ((16, 24, 20), 61)]  # patch, step

PREDICTIONS = [
    # name, (D, H, W), patch (d, h, w), overlap, mode, sw_batch_size
    ("padH_gaussian", (7, 5, 19), (4, 8, 8), 0.5, "gaussian", 3),
    ("padH_constant", (7, 5, 19), (4, 8, 8), 0.25, "constant", 2),
    ("small_gaussian", (10, 12, 9), (4, 4, 4), 0.6, "gaussian", 5),
    ("padAll_gaussian", (3, 5, 6), (4, 8, 8), 0.5, "gaussian", 1),
]


def image(shape):
    d, h, w = torch.meshgrid(*[torch.arange(n) for n in shape], indexing="ij")
    return (((31 * d + 17 * h + 7 * w) % 23).float() / 23.0)[None, None]


def window_starts(length, window, overlap):
    seen = []

    def predictor(x, coords):
        for c in coords:
            seen.append(c[2].start)
        return x

    sliding_window_inference(torch.zeros(1, 1, length, 4, 4), (window, 4, 4), 1, predictor,
                             overlap=overlap, with_coord=True)
    return sorted({int(s) for s in seen})


def predictor(x):
    mean = x.mean(dim=(1, 2, 3, 4), keepdim=True)
    return torch.cat([x + mean, (0.5 * mean).expand_as(x)], dim=1)


def floats(values):
    return ", ".join(f"{v:.9g}" for v in values)


def main():
    print(f"// MONAI {monai.__version__}, torch {torch.__version__}")
    print("// window starts: (length, window, overlap, starts)")
    for length, window, overlap in STARTS:
        print(f"({length}, {window}, {overlap}, {window_starts(length, window, overlap)}),")
    for patch, step in IMPORTANCE:
        m = compute_importance_map(patch, mode="gaussian", sigma_scale=0.125).flatten()
        idx = list(range(0, m.numel(), step))
        print(f"// importance {patch}: min {m.min().item():.9g}, max {m.max().item():.9g}, every {step}th value:")
        print(f"[{floats(m[idx].tolist())}]")
    for name, shape, patch, overlap, mode, bs in PREDICTIONS:
        out = sliding_window_inference(image(shape), patch, bs, predictor, overlap=overlap, mode=mode)
        print(f"// {name}: image {shape} patch {patch} overlap {overlap} {mode} batch {bs}")
        for c in range(2):
            ch = out[0, c].flatten()
            idx = list(range(0, ch.numel(), 37))
            print(f"//   channel {c} sum {ch.double().sum().item():.9g}")
            print(f"[{floats(ch[idx].tolist())}]")


if __name__ == "__main__":
    main()
