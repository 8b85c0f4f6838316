"""A tiny safetensors file written by the reference implementation (Python `safetensors`), for
LiTSNet's reader test.

Writes Tests/LiTSNetTests/Fixtures/python_written.safetensors with:
  enc.0.conv1.weight  F32 (2, 3)   arange(6) * 0.5 - 1
  enc.0.bn1.num_batches_tracked  I64 ()  7    (PyTorch's int64 scalar buffer)
  scale               F64 (3,)     [0.1, -2.5, 1e300]
  empty               F32 (0, 4)
and metadata {"format": "pt", "note": "LiTSKit fixture"}.

Run: .venv/bin/pip install numpy safetensors && .venv/bin/python scripts/make_safetensors_fixture.py
"""
import pathlib
import sys

import numpy as np
import safetensors
from safetensors.numpy import save_file, load_file

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/LiTSNetTests/Fixtures")
out.mkdir(parents=True, exist_ok=True)
tensors = {
    "enc.0.conv1.weight": (np.arange(6, dtype=np.float32) * 0.5 - 1).reshape(2, 3),
    "enc.0.bn1.num_batches_tracked": np.array(7, dtype=np.int64),
    "scale": np.array([0.1, -2.5, 1e300], dtype=np.float64),
    "empty": np.zeros((0, 4), dtype=np.float32),
}
path = out / "python_written.safetensors"
save_file(tensors, str(path), metadata={"format": "pt", "note": "LiTSKit fixture"})
back = load_file(str(path))
assert all(np.array_equal(back[k], v) for k, v in tensors.items())
print(f"wrote {path} ({path.stat().st_size} bytes) with safetensors {safetensors.__version__}")
