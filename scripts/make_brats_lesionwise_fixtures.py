"""Reference values for LiTSEvaluation's BraTS 2023 lesion-wise metrics (BraTSLesionWise): the
BraTS 2023 metrics code (github.com/rachitsaluja/BraTS-2023-Metrics, metrics.py,
get_LesionWiseResults with challenge "BraTS-MET": dilation 1, lesions <= 2 mm3 left out) run
on crafted cases.

Our lesion (label 2) is written as BraTS's enhancing tumour (label 3) and the rest of the
liver as label 2, so BraTS's "ET" row scores exactly our lesions. Two runs per case:
- as published: HD95 from DeepMind's surface_distance (surfel-weighted), kept as hd95_deepmind
  for information;
- with surface_distance's two functions replaced by medpy's hd95 (our HD95 definition), the
  value the test compares: everything else (matching, dilation merge, thresholds, 374, means)
  is BraTS's own code.
Compatibility edits (pandas 2 has no DataFrame.append, numpy 2 no np.Inf, pandas 2 cannot replace in an array column): applied to the source text here, not in
the project.

Writes Tests/LiTSEvaluationTests/Fixtures/brats_lesionwise.json: cases of name, shape, spacing,
pred, truth (lesion voxels as runs [start, length, ...] of flat NIfTI-order indices, i fastest),
expected {tp, fp, fn, dice, hd95, hd95_deepmind}.

Run from the repository root (BRATS = a checkout of rachitsaluja/BraTS-2023-Metrics):
  /work/venv-eval/bin/pip install connected-components-3d pandas nibabel scipy medpy
  /work/venv-eval/bin/python scripts/make_brats_lesionwise_fixtures.py BRATS [OUT.json [COMMIT]]
The committed fixture was made from commit 43c9052e (git -C BRATS rev-parse HEAD).
"""
import json
import math
import pathlib
import sys
import tempfile
import types
from importlib.metadata import version

import nibabel as nib
import numpy as np

from fixture_runs import runs
from medpy.metric.binary import hd95 as medpy_hd95


def load_brats(checkout):
    np.Inf = np.inf  # removed in numpy 2, used by the bundled surface_distance
    sys.path.insert(0, str(checkout))
    import surface_distance  # the copy bundled with BraTS
    source = (checkout / "metrics.py").read_text()
    source = source.replace("final_lesionwise_metrics_df = final_lesionwise_metrics_df.append(metric_df)",
                            "final_lesionwise_metrics_df = pd.concat([final_lesionwise_metrics_df, metric_df])")
    # pandas 2 compares the array-valued predicted_lesion_numbers column with inf and fails:
    # replace inf in the one column where it can occur (what the old pandas did).
    source = source.replace("metric_df = metric_df.replace(np.inf, 374)",
                            "metric_df['hd95_lesionwise'] = metric_df['hd95_lesionwise'].replace(np.inf, 374)")
    module = types.ModuleType("brats_metrics")
    exec(compile(source, "metrics.py", "exec"), module.__dict__)
    return module, surface_distance


def cases():
    shape = (24, 20, 14)
    z = lambda: np.zeros(shape, bool)
    out = []
    t, p = z(), z()
    t[2:6, 2:6, 2:5] = 1; p[3:7, 2:6, 2:5] = 1              # matched, shifted
    t[12:16, 3:7, 2:5] = 1                                  # missed
    p[18:21, 14:17, 8:11] = 1                               # false positive
    out.append(("match-miss-fp", p, t, (0.8, 0.8, 2.5)))
    t, p = z(), z()
    t[2:6, 2:6, 2:6] = 1; t[7:10, 2:6, 2:6] = 1             # one voxel apart: merged by the dilation
    p[2:6, 2:6, 2:6] = 1
    out.append(("dilation-merge", p, t, (1.0, 1.0, 1.0)))
    t, p = z(), z()
    t[2:14, 2:8, 2:8] = 1; p[2:7, 2:8, 2:8] = 1; p[9:14, 2:8, 2:8] = 1
    out.append(("split", p, t, (0.7, 0.7, 1.5)))
    t, p = z(), z()
    t[2:16, 2:8, 2:8] = 1; t[2:6, 12:16, 2:6] = 1; p[2:16, 2:16, 3:5] = 1   # one prediction over two lesions
    out.append(("merge", p, t, (0.7, 0.7, 1.5)))
    t, p = z(), z()
    t[4:8, 4:8, 4:8] = 1; p[8:11, 4:8, 4:8] = 1             # touching, no overlap: matched (Dice 0)
    t[15, 15, 10] = 1; p[15, 15, 10] = 1                    # 1.225 mm3: left out, its match not FP
    t[20, 3, 3] = 1                                         # tiny miss: left out
    out.append(("adjacent-and-tiny", p, t, (0.7, 0.7, 2.5)))
    t, p = z(), z()
    p[3:6, 3:6, 3:6] = 1; p[10:12, 10:12, 10:12] = 1
    out.append(("no-truth", p, t, (1.0, 1.0, 1.0)))
    out.append(("neither", z(), z(), (1.0, 1.0, 1.0)))
    rng = np.random.default_rng(7)
    t, p = z(), z()
    for _ in range(14):
        c = rng.integers((1, 1, 1), (20, 16, 11)); s = rng.integers(1, 4, size=3)
        t[c[0]:c[0] + s[0], c[1]:c[1] + s[1], c[2]:c[2] + s[2]] = 1
        if rng.random() < 0.7:
            d = rng.integers(-1, 2, size=3); c2 = np.maximum(c + d, 0); s2 = s + (rng.random(3) < 0.4)
            p[c2[0]:c2[0] + s2[0], c2[1]:c2[1] + s2[1], c2[2]:c2[2] + s2[2]] = 1
    for _ in range(3):
        c = rng.integers((1, 1, 1), (20, 16, 11)); p[c[0]:c[0] + 2, c[1]:c[1] + 2, c[2]:c[2] + 1] = 1
    out.append(("random", p, t, (0.75, 0.75, 2.0)))
    return out


def as_brats(mask, folder, name, spacing):
    data = np.where(mask, 3, 0).astype(np.uint8)
    data[0, 0, 0] = 2 if not mask[0, 0, 0] else 3            # some "liver" that ET ignores
    path = pathlib.Path(folder) / name
    nib.save(nib.Nifti1Image(data, np.diag(list(spacing) + [1.0])), str(path))
    return str(path)


def score(brats, p, t, spacing, folder):
    pred, gt = as_brats(p, folder, "pred.nii.gz", spacing), as_brats(t, folder, "gt.nii.gz", spacing)
    df = brats.get_LesionWiseResults(pred, gt, "BraTS-MET")
    row = df[df["Labels"] == "ET"].iloc[0]
    return row


def main():
    checkout = pathlib.Path(sys.argv[1])
    target = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "Tests/LiTSEvaluationTests/Fixtures/brats_lesionwise.json")
    brats, surface_distance = load_brats(checkout)
    published = (surface_distance.compute_surface_distances, surface_distance.compute_robust_hausdorff)

    def medpy_distances(gt, pred, spacing):
        return (np.asarray(gt, bool), np.asarray(pred, bool), spacing)

    def medpy_robust(sd, percent):
        gt, pred, spacing = sd
        return math.inf if not gt.any() or not pred.any() else medpy_hd95(pred, gt, voxelspacing=spacing)

    doc = {"peers": {m: version(m) for m in ["connected-components-3d", "pandas", "numpy", "scipy", "medpy"]},
           "brats_commit": sys.argv[3] if len(sys.argv) > 3 else None, "cases": []}
    with tempfile.TemporaryDirectory() as folder:
        for name, p, t, spacing in cases():
            surface_distance.compute_surface_distances, surface_distance.compute_robust_hausdorff = published
            deepmind = score(brats, p, t, spacing, folder)
            surface_distance.compute_surface_distances, surface_distance.compute_robust_hausdorff = medpy_distances, medpy_robust
            ours = score(brats, p, t, spacing, folder)
            expected = {"tp": int(ours["Num_TP"]), "fp": int(ours["Num_FP"]), "fn": int(ours["Num_FN"]),
                        "dice": float(ours["LesionWise_Score_Dice"]), "hd95": float(ours["LesionWise_Score_HD95"]),
                        "hd95_deepmind": float(deepmind["LesionWise_Score_HD95"])}
            print(name, expected)
            doc["cases"].append({"name": name, "shape": list(t.shape), "spacing": list(spacing),
                                 "pred": runs(p), "truth": runs(t), "expected": expected})
    target.write_text(json.dumps(doc, indent=1) + "\n")
    print("wrote", target)


if __name__ == "__main__":
    main()
