"""PyTorch reference values for LiTSNet's InstanceNorm3d.

Writes Tests/LiTSNetTests/Fixtures/instance_norm.json: torch.nn.InstanceNorm3d(3, eps=1e-5,
affine=True) (nnU-Net's normalisation; track_running_stats off, so train and eval agree), float32,
weight/bias set to fixed values, a training-mode forward of a (2, 3, 2, 3, 4) input whose
channels and samples have different means and scales, loss = sum(y * r): output, input gradient,
weight and bias gradients; and the eval-mode output of the same input. Arrays are flattened
row-major.

Run: python3 -m venv /work/venv-x && /work/venv-x/bin/pip install torch &&
     /work/venv-x/bin/python scripts/make_instance_norm_fixture.py
"""
import json
import pathlib
import sys

import torch

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/LiTSNetTests/Fixtures")
out.mkdir(parents=True, exist_ok=True)
g = torch.Generator().manual_seed(4321)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


norm = torch.nn.InstanceNorm3d(3, eps=1e-5, affine=True)
with torch.no_grad():
    norm.weight.copy_(torch.tensor([1.25, -0.5, 0.8]))
    norm.bias.copy_(torch.tensor([0.1, -0.3, 2.0]))
scale = torch.tensor([[1.0, 4.0, 0.1], [0.5, 2.0, 3.0]]).view(2, 3, 1, 1, 1)
shift = torch.tensor([[0.5, -2.0, 10.0], [-1.0, 3.0, 0.0]]).view(2, 3, 1, 1, 1)
x = (torch.randn(2, 3, 2, 3, 4, generator=g) * scale + shift).float()
r = torch.randn(2, 3, 2, 3, 4, generator=g).float()
xin = x.clone().requires_grad_(True)
norm.train()
y = norm(xin)
(y * r).sum().backward()
norm.eval()
y_eval = norm(x)
doc = {
    "torch_version": torch.__version__,
    "shape": list(x.shape), "eps": norm.eps,
    "weight": flat(norm.weight), "bias": flat(norm.bias),
    "input": flat(x), "upstream": flat(r),
    "output": flat(y), "input_grad": flat(xin.grad),
    "weight_grad": flat(norm.weight.grad), "bias_grad": flat(norm.bias.grad),
    "eval_output": flat(y_eval),
}
(out / "instance_norm.json").write_text(json.dumps(doc, indent=1) + "\n")
print("wrote", out / "instance_norm.json")
