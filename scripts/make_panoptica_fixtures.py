"""Reference values for LiTSEvaluation's instance metrics (InstanceMetrics): panoptica's
Panoptica_Evaluator on semantic lesion masks with ConnectedComponentsInstanceApproximator (cc3d,
26-connected) and NaiveThresholdMatching(Metric.IOU, 0.5, strict_threshold=True) (IoU > 0.5).

Writes Tests/LiTSEvaluationTests/Fixtures/panoptica_instances.json: cases of
  name, shape [nx, ny, nz], pred, truth (true voxels as runs [start, length, ...] of flat
  indices in NIfTI order, i fastest), expected {tp, fp, fn, rq, sq, pq, sq_dsc, pq_dsc}
  (null for NaN).
The cases: a shifted lesion at IoU exactly 0.5 (not matched: strict) and one above; a split
lesion (the larger part matched); two lesions merged by one prediction (the larger matched);
corner-touching lesions (one 26-connected instance each side, IoU 54/55); no prediction; no reference; neither; random blobs.

Run from the repository root:
  /work/venv-eval/bin/pip install panoptica
  /work/venv-eval/bin/python scripts/make_panoptica_fixtures.py
"""
import json
import math
import pathlib
import sys
from importlib.metadata import version

import numpy as np

from fixture_runs import runs
from panoptica import ConnectedComponentsInstanceApproximator, InputType, NaiveThresholdMatching, Panoptica_Evaluator
from panoptica.metrics import Metric


def cases():
    shape = (20, 16, 12)
    z = lambda: np.zeros(shape, np.uint8)
    out = []
    p, t = z(), z()
    t[1:4, 1:4, 1:4] = 1; p[1:4, 1:4, 2:5] = 1            # IoU 18/36 = 0.5: not a match
    t[8:14, 2:6, 2:6] = 1; p[9:14, 2:6, 2:6] = 1           # IoU 5/6
    out.append(("threshold", p, t))
    p, t = z(), z()
    t[2:14, 2:8, 2:8] = 1; p[2:9, 2:8, 2:8] = 1; p[10:14, 2:8, 2:8] = 1
    out.append(("split", p, t))
    p, t = z(), z()
    t[2:7, 2:8, 2:8] = 1; t[8:16, 2:8, 2:8] = 1; p[2:16, 2:8, 2:8] = 1
    out.append(("merge", p, t))
    p, t = z(), z()
    t[2:5, 2:5, 2:5] = 1; t[5:8, 5:8, 5:8] = 1; p[:] = t; p[8, 5, 5] = 1
    out.append(("diagonal-touch", p, t))
    p, t = z(), z()
    t[3:7, 3:7, 3:7] = 1
    out.append(("no-prediction", p, t))
    out.append(("no-reference", t.copy(), z()))
    out.append(("neither", z(), z()))
    rng = np.random.default_rng(3)
    p, t = z(), z()
    for _ in range(12):
        c = rng.integers((1, 1, 1), (16, 12, 9)); s = rng.integers(1, 4, size=3)
        t[c[0]:c[0] + s[0], c[1]:c[1] + s[1], c[2]:c[2] + s[2]] = 1
        if rng.random() < 0.75:
            d = rng.integers(-1, 2, size=3) * (rng.random(3) < 0.3); c2 = np.maximum(c + d, 0); s2 = s + (rng.random(3) < 0.3)
            p[c2[0]:c2[0] + s2[0], c2[1]:c2[1] + s2[1], c2[2]:c2[2] + s2[2]] = 1
    out.append(("random", p, t))
    return out


def main():
    target = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/LiTSEvaluationTests/Fixtures/panoptica_instances.json")
    evaluator = Panoptica_Evaluator(
        expected_input=InputType.SEMANTIC, instance_approximator=ConnectedComponentsInstanceApproximator(),
        instance_matcher=NaiveThresholdMatching(matching_metric=Metric.IOU, matching_threshold=0.5, strict_threshold=True),
        instance_metrics=[Metric.IOU, Metric.DSC])
    doc = {"peers": {m: version(m) for m in ["panoptica", "connected-components-3d", "numpy"]}, "cases": []}
    for name, p, t in cases():
        r = evaluator.evaluate(p, t, verbose=False)["ungrouped"]
        value = lambda x: None if isinstance(x, float) and math.isnan(x) else float(x)
        doc["cases"].append({"name": name, "shape": list(p.shape), "pred": runs(p), "truth": runs(t),
                             "expected": {k: value(getattr(r, k)) for k in ["tp", "fp", "fn", "rq", "sq", "pq", "sq_dsc", "pq_dsc"]}})
        print(name, doc["cases"][-1]["expected"])
    target.write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
