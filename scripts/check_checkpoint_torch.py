"""Loads a LiTSKit checkpoint into the PyTorch twin (scripts/unet_torch.py) and checks that it
gives the same outputs as LiTSKit did.

    LITSNET_EXPORT=/tmp/ckpt swift test --filter CheckpointTests   # writes model.safetensors, model.json, io.safetensors
    .venv/bin/python scripts/check_checkpoint_torch.py /tmp/ckpt
"""
import pathlib
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from unet_torch import load_checkpoint  # noqa: E402

folder = pathlib.Path(sys.argv[1])
model = load_checkpoint(folder / "model.safetensors")  # strict load_state_dict
model.eval()
io = load_file(str(folder / "io.safetensors"))
with torch.no_grad():
    out = model(io["input"])
diff = (out - io["output"]).abs().max().item()
print(f"max |torch - LiTSKit| = {diff:.3g} over {out.numel()} outputs")
sys.exit(0 if diff < 1e-5 else 1)
