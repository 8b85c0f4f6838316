"""Reference percentiles from numpy for LiTSKit's HU statistics.

Writes Tests/LiTSAnalysisTests/Fixtures/percentiles.json: a few deterministic HU samples
(whole numbers as int16 CT stores them; fractional values as partial-volume averages give; a
skewed mixture with values outside the histogram range) with numpy's mean, std (ddof=0), min,
max and np.percentile(..., method='linear') at 0.5, 5, 25, 50, 75, 95, 99.5.

Run: python3 -m venv .venv && .venv/bin/pip install numpy && .venv/bin/python scripts/make_percentile_fixture.py
"""
import json
import pathlib
import sys

import numpy as np

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/LiTSAnalysisTests/Fixtures")
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(2024)
levels = [0.5, 5, 25, 50, 75, 95, 99.5]
samples = {
    "integer_liver": np.round(rng.normal(110, 25, 5001)).astype(np.float32),
    "fractional_tumor": (rng.normal(70, 20, 3000) + rng.random(3000) * 0.37).astype(np.float32),
    "mixture_with_outliers": np.concatenate([
        rng.normal(-800, 60, 700), rng.normal(40, 30, 1200), rng.uniform(300, 1500, 90),
        np.array([-3500.25, 5000.5, 4096.0, -3072.0]),
    ]).astype(np.float32),
    "single_value": np.array([42.5], dtype=np.float32),
}
doc = {"numpy": np.__version__, "levels": levels, "samples": {}}
for name, v in samples.items():
    d = v.astype(np.float64)
    doc["samples"][name] = {
        "values": [float(x) for x in v],
        "mean": float(d.mean()), "std": float(d.std()), "min": float(d.min()), "max": float(d.max()),
        "percentiles": [float(x) for x in np.percentile(d, levels)],
    }
(out / "percentiles.json").write_text(json.dumps(doc))
print(f"wrote {out / 'percentiles.json'}")
