"""Reference values for LiTSKit's UNet3D from PyTorch.

Writes Tests/LiTSNetTests/Fixtures/unet_tiny.safetensors and unet_tiny.json: a tiny U-Net
(filters [4, 8, 16], residual paths on, dropout off) in training mode on a fixed input of shape
(2, 1, 8, 8, 8) with binary targets of shape (2, 2, 8, 8, 8):
  init.NAME   the state dict before the step (what LiTSKit loads)
  input, target, probs (the sigmoid outputs)
  grad.NAME   every parameter's gradient of the baseline's Jaccard distance (s = 100, sums over
              the whole batch per channel, mean over the two channels)
  after.NAME  batch-norm running statistics after the forward pass
and in the JSON: the config and the loss value.

Run: python3 -m venv .venv && .venv/bin/pip install torch safetensors numpy && .venv/bin/python scripts/make_unet_fixture.py
"""
import json
import pathlib
import sys

import torch
from safetensors.torch import save_file

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from unet_torch import UNet3D  # noqa: E402

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/LiTSNetTests/Fixtures")
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(117)
torch.set_num_threads(1)
config = {"inChannels": 1, "outChannels": 2, "filters": [4, 8, 16], "dropout": 0.0, "residual": True, "seed": 0}
model = UNet3D(1, 2, config["filters"], 0.0, True).double()
model.train()
init = {f"init.{k}": v.detach().clone().float() for k, v in model.state_dict().items() if v.dtype != torch.int64}
x = torch.randn(2, 1, 8, 8, 8, dtype=torch.float64)
target = (torch.rand(2, 2, 8, 8, 8, dtype=torch.float64) > 0.6).double()
# Round the inputs and weights to float32 first, so the float64 reference sees exactly what LiTSKit sees.
x = x.float().double()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(p.float().double())
probs = model(x)
s = 100.0
dims = (0, 2, 3, 4)
inter = (probs * target).sum(dim=dims)
union = probs.sum(dim=dims) + target.sum(dim=dims)
loss = ((1 - (inter + s) / (union - inter + s)) * s).mean()
loss.backward()
tensors = dict(init)
tensors["input"] = x.float()
tensors["target"] = target.float()
tensors["probs"] = probs.detach().float()
for k, p in model.named_parameters():
    tensors[f"grad.{k}"] = p.grad.float()
for k, v in model.state_dict().items():
    if "running" in k:
        tensors[f"after.{k}"] = v.float()
save_file({k: v.contiguous() for k, v in tensors.items()}, str(out / "unet_tiny.safetensors"))
(out / "unet_tiny.json").write_text(json.dumps({"config": config, "loss": loss.item(), "torch": torch.__version__}, indent=1))
print(f"wrote {out / 'unet_tiny.safetensors'} ({len(tensors)} tensors), loss {loss.item():.6f}")
