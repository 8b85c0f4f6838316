"""PyTorch reference values for LiTSNet's BatchNorm3d and overlap losses.

Writes Tests/LiTSNetTests/Fixtures/norm_loss.json:
  batchnorm: torch.nn.BatchNorm3d(3) (eps 1e-5, momentum 0.1), float32, weight/bias set to
    fixed values, one training-mode forward of a (2, 3, 2, 3, 4) input, loss = sum(y * r):
    output, input gradient, weight and bias gradients, running_mean, running_var,
    num_batches_tracked; then an eval-mode forward of the same input with the updated stats.
  losses: float64 autograd on sigmoid predictions and 0/1 targets of shape (2, 2, 2, 3, 3),
    channel weights [1, 3]:
      jaccard_batch  (1 - (I + 100) / (U - I + 100)) * 100 per channel, sums over (N, D, H, W)
      jaccard_sample the same per (sample, channel) over (D, H, W), mean over samples
      dice_batch     1 - (2I + 1e-5) / (U + 1e-5) per channel, sums over (N, D, H, W)
    each with the weighted mean value, the per-channel values and d(value)/d(pred);
    plus hard Dice at 0.5 per channel (NaN written as null).
  optim: parameter trajectories of torch.optim.Adam / AdamW / SGD, 4 steps each, on the
    quadratic loss 0.5 * sum(a * p^2) from p0 = [1, -2, 0.5, 3], a = [1, 3, 0.5, 0.01], float32.
Arrays are flattened row-major.

Run: .venv/bin/pip install torch && .venv/bin/python scripts/make_norm_loss_fixture.py
"""
import json
import pathlib
import sys

import torch

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/LiTSNetTests/Fixtures")
out.mkdir(parents=True, exist_ok=True)
g = torch.Generator().manual_seed(1234)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


# --- BatchNorm3d, float32, as the real module computes it
bn = torch.nn.BatchNorm3d(3)
with torch.no_grad():
    bn.weight.copy_(torch.tensor([1.5, -0.75, 0.5]))
    bn.bias.copy_(torch.tensor([0.25, 0.0, -1.0]))
x = (torch.randn(2, 3, 2, 3, 4, generator=g) * torch.tensor([1.0, 3.0, 0.2]).view(1, 3, 1, 1, 1)
     + torch.tensor([0.5, -2.0, 10.0]).view(1, 3, 1, 1, 1)).float()
r = torch.randn(2, 3, 2, 3, 4, generator=g).float()
xin = x.clone().requires_grad_(True)
bn.train()
y = bn(xin)
(y * r).sum().backward()
bn.eval()
y_eval = bn(x)
batchnorm = {
    "shape": list(x.shape), "eps": bn.eps, "momentum": bn.momentum,
    "weight": flat(bn.weight), "bias": flat(bn.bias),
    "input": flat(x), "upstream": flat(r),
    "output": flat(y), "input_grad": flat(xin.grad),
    "weight_grad": flat(bn.weight.grad), "bias_grad": flat(bn.bias.grad),
    "running_mean": flat(bn.running_mean), "running_var": flat(bn.running_var),
    "num_batches_tracked": int(bn.num_batches_tracked),
    "eval_output": flat(y_eval),
}

# --- losses, float64 autograd
shape = (2, 2, 2, 3, 3)
logits = torch.randn(*shape, generator=g, dtype=torch.float64) * 2
pred32 = torch.sigmoid(logits).float()  # what the Swift side holds
pred = pred32.double()
target = (torch.rand(*shape, generator=g, dtype=torch.float64) < 0.4).double()
weights = torch.tensor([1.0, 3.0], dtype=torch.float64)


def jaccard(i, u, s=100.0):
    return (1 - (i + s) / (u - i + s)) * s


def dice(i, u, eps=1e-5):
    return 1 - (2 * i + eps) / (u + eps)


def loss_entry(fn, dims_per_channel, sample_mean):
    p = pred.clone().requires_grad_(True)
    i = (p * target).sum(dim=dims_per_channel)
    u = (p + target).sum(dim=dims_per_channel)
    per = fn(i, u)
    if sample_mean:
        per = per.mean(dim=0)  # (N, C) -> (C,)
    value = (per * weights).sum() / weights.sum()
    value.backward()
    return {"value": float(value.detach()), "per_channel": flat(per), "grad": flat(p.grad)}


hard = (pred32 > 0.5).double()
inter = (hard * target).sum(dim=(0, 2, 3, 4))
total = hard.sum(dim=(0, 2, 3, 4)) + target.sum(dim=(0, 2, 3, 4))
hard_dice = [None if t == 0 else float(2 * i / t) for i, t in zip(inter, total)]

losses = {
    "shape": list(shape), "weights": flat(weights),
    "pred": flat(pred32), "target": flat(target),
    "jaccard_batch": loss_entry(jaccard, (0, 2, 3, 4), False),
    "jaccard_sample": loss_entry(jaccard, (2, 3, 4), True),
    "dice_batch": loss_entry(dice, (0, 2, 3, 4), False),
    "hard_dice": hard_dice,
}

# --- optimizers on a quadratic, float32
p0 = [1.0, -2.0, 0.5, 3.0]
a = torch.tensor([1.0, 3.0, 0.5, 0.01])
configs = {
    "adam": lambda ps: torch.optim.Adam(ps, lr=0.1),
    "adam_l2": lambda ps: torch.optim.Adam(ps, lr=0.1, weight_decay=0.1),
    "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.1, weight_decay=0.1),
    "adam_eps": lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-2),
    "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1),
    "sgd_momentum": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
    "sgd_dampening": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01),
    "sgd_nesterov": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
}
optim = {"p0": p0, "a": flat(a), "steps": 4, "trajectories": {}}
for name, make in configs.items():
    p = torch.tensor(p0, requires_grad=True)
    opt = make([p])
    traj = []
    for _ in range(4):
        opt.zero_grad()
        (0.5 * (a * p * p).sum()).backward()
        opt.step()
        traj.append(flat(p))
    optim["trajectories"][name] = traj

doc = {"torch": torch.__version__, "batchnorm": batchnorm, "losses": losses, "optim": optim}
path = out / "norm_loss.json"
path.write_text(json.dumps(doc, indent=1) + "\n")
print(f"wrote {path} with torch {torch.__version__}")
