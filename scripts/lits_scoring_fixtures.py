"""Reference values for `lits evaluate --protocol lits`: the official LiTS scoring program's
numbers on crafted cases (and, optionally, on one real case with a perturbed prediction).

The official program (PatrickChrist/lits-challenge-scoring) is NOT part of this repository and
is not downloaded here: give the path of a checkout of it (the folder holding `program/`). The
script copies `program/` into a temporary folder and applies small compatibility edits for
today's numpy, scipy and nibabel (each asserted to apply as often as expected):

  get_data() -> np.asanyarray(dataobj)      (removed in nibabel 5)
  scipy.ndimage.measurements / .morphology -> scipy.ndimage   (deprecated modules)
  np.bool -> bool; x[list_of_slices] -> x[tuple(...)]          (numpy >= 1.24)
  find_objects(bool_mask) -> find_objects(mask.astype(np.int8)) (scipy no longer takes bool)
  scipy.array -> np.array; `None == array` -> `None is array`  (surface.py)

and one behavioural edit, documented in LiTSProtocol.swift: `detect_lesions` returns five values
when the reference has no lesion, which evaluate.py cannot unpack (the program stops); it is
made to return (empty mask, reference, 0 detected), the natural result.

Writes Tests/LiTSEvaluationTests/Fixtures/lits_protocol/{ref,res}/case-*.nii (the crafted cases,
uint8, small) and lits_protocol/official.json:
  cases.<name>   the program run on that case alone: tp/fp/fn at thresholds 0 and 0.5,
                 lesion_scores (lists over detected lesions), liver_scores (one entry),
                 dice_per_case, dice_global_x (I and S), tumor_burden (difference)
  dataset        the program run on all cases together: its three metric dictionaries,
                 tumour burden rmse and max, and scores.txt as written.
With --real SEG.nii.gz, also lits_protocol/official_real.json for that case against the
prediction perturbed as LiTSProtocolTests rebuilds it: shifted by (+2, +1, 0) voxels (zeros where
nothing shifts in) and, on every slice k with k % 5 == 0, lesion voxels turned into liver. The
real data itself is never written into the repository.

Run from the repository root:
  python3 -m venv /work/venv-eval && /work/venv-eval/bin/pip install numpy scipy nibabel medpy
  /work/venv-eval/bin/python scripts/lits_scoring_fixtures.py /path/to/lits-challenge-scoring \
      [--real /work/shared/data/lits117/segmentation-117.nii.gz]
"""
import argparse
import contextlib
import io
import json
import pathlib
import runpy
import shutil
import sys
import tempfile

from importlib.metadata import version

import nibabel as nb
import numpy as np

OUT = pathlib.Path("Tests/LiTSEvaluationTests/Fixtures/lits_protocol")

EDITS = {
    "evaluate.py": [
        ("from scipy.ndimage.measurements import label", "from scipy.ndimage import label"),
        ("(reference_volume.get_data())", "(np.asanyarray(reference_volume.dataobj))"),
        ("(submission_volume.get_data())", "(np.asanyarray(submission_volume.dataobj))"),
    ],
    "helpers/calc_metric.py": [
        ("return detected_mask, num_detected, 0, 0, 0", "return detected_mask, mod_reference_mask, 0"),
        ("bounding_box = ndimage.find_objects(target_mask)[0]",
         "bounding_box = ndimage.find_objects(target_mask.astype(np.int8))[0]", 2),
        ("x[sum_slices]", "x[tuple(sum_slices)]"),
        ("dtype=np.bool)", "dtype=bool)"),
        ("mask[mask_slices]", "mask[tuple(mask_slices)]"),
        ("x_ret[replace_slices]", "x_ret[tuple(replace_slices)]"),
    ],
    "helpers/surface.py": [
        ("import scipy.ndimage.morphology", "import scipy.ndimage\nimport numpy as np"),
        ("physical_voxel_spacing = scipy.array(", "physical_voxel_spacing = np.array("),
        ("mask_edge_points += scipy.array(", "mask_edge_points += np.array("),
        ("reference_edge_points += scipy.array(", "reference_edge_points += np.array("),
        ("if None == self.__mask_reference_nn", "if self.__mask_reference_nn is None"),
        ("if None == self.__reference_mask_nn", "if self.__reference_mask_nn is None"),
        ("scipy.ndimage.morphology.generate_binary_structure", "scipy.ndimage.generate_binary_structure"),
        ("scipy.ndimage.morphology.binary_erosion", "scipy.ndimage.binary_erosion"),
    ],
}


def patched_program(checkout, tmp):
    src = pathlib.Path(checkout) / "program"
    dst = pathlib.Path(tmp) / "program"
    shutil.copytree(src, dst)
    for name, edits in EDITS.items():
        path = dst / name
        text = path.read_text()
        for old, new, *count in edits:
            n = count[0] if count else 1
            assert text.count(old) == n, f"{name}: expected {n} of '{old}', found {text.count(old)}"
            text = text.replace(old, new)
        path.write_text(text)
    return dst


def run_official(program, folder):
    """Runs evaluate.py on folder/{ref,res}; returns its globals and scores.txt."""
    out = pathlib.Path(folder) / "output"
    argv, path = sys.argv, list(sys.path)
    sys.argv = ["evaluate.py", str(folder), str(out)]
    sys.path.insert(0, str(program))
    for m in [m for m in sys.modules if m == "helpers" or m.startswith("helpers.")]:
        del sys.modules[m]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            g = runpy.run_path(str(program / "evaluate.py"), run_name="__main__")
    finally:
        sys.argv, sys.path = argv, path
    return g, (out / "scores.txt").read_text()


def floats(d):
    return {k: [float(x) for x in v] if isinstance(v, list) else float(v) for k, v in d.items()}


def case_record(g):
    s = g["lesion_detection_stats"]
    return {
        "tp0": int(s[0]["TP"]), "fp0": int(s[0]["FP"]), "fn0": int(s[0]["FN"]),
        "tp": int(s[0.5]["TP"]), "fp": int(s[0.5]["FP"]), "fn": int(s[0.5]["FN"]),
        "lesion_scores": floats(g["lesion_segmentation_scores"]),
        "liver_scores": floats(g["liver_segmentation_scores"]),
        "lesion_dice": float(g["dice_per_case"]["lesion"][0]),
        "liver_dice": float(g["dice_per_case"]["liver"][0]),
        "lesion_I": int(g["dice_global_x"]["lesion"]["I"]), "lesion_S": int(g["dice_global_x"]["lesion"]["S"]),
        "liver_I": int(g["dice_global_x"]["liver"]["I"]), "liver_S": int(g["dice_global_x"]["liver"]["S"]),
        "tumor_burden": float(g["tumor_burden_list"][0]),
    }


def dataset_record(g, scores_txt):
    return {
        "lesion_detection_metrics": floats(g["lesion_detection_metrics"]),
        "lesion_segmentation_metrics": floats(g["lesion_segmentation_metrics"]),
        "liver_segmentation_metrics": floats(g["liver_segmentation_metrics"]),
        "tumor_burden_rmse": float(g["tumor_burden_rmse"]),
        "tumor_burden_max": float(g["tumor_burden_max"]),
        "scores_txt": scores_txt,
    }


def box(v, lo, hi, value):
    v[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = value


def crafted():
    """name -> (reference, prediction, spacing). Liver = a block; lesions inside it."""
    shape = (24, 20, 12)
    cases = {}

    def liver():
        v = np.zeros(shape, np.uint8)
        box(v, (2, 2, 1), (22, 18, 11), 1)
        return v

    # Touching lesions: two reference cubes meeting along an edge (separate 6-connected
    # components, one 26-connected), a prediction over both, shifted one voxel.
    r, p = liver(), liver()
    box(r, (4, 4, 3), (8, 8, 7), 2); box(r, (8, 8, 3), (12, 12, 7), 2)
    box(p, (5, 4, 3), (9, 8, 7), 2); box(p, (9, 8, 3), (13, 12, 7), 2)
    box(r, (15, 4, 3), (18, 7, 6), 2); box(r, (18, 4, 3), (20, 7, 6), 2)   # face-touching: one
    box(p, (15, 4, 3), (20, 7, 6), 2)
    cases["case-01"] = (r, p, (1.0, 1.0, 1.0))

    # One prediction spanning two reference lesions, well (detected: counts one).
    r, p = liver(), liver()
    box(r, (4, 4, 4), (8, 8, 8), 2); box(r, (9, 4, 4), (13, 8, 8), 2)
    box(p, (4, 4, 4), (13, 8, 8), 2)
    cases["case-02"] = (r, p, (0.8, 0.8, 2.0))

    # One prediction spanning two small lesions, badly (missed: counts minus two).
    r, p = liver(), liver()
    box(r, (5, 5, 4), (7, 7, 6), 2); box(r, (12, 5, 4), (14, 7, 6), 2)
    box(p, (4, 4, 3), (16, 9, 8), 2)
    box(r, (5, 12, 4), (10, 16, 8), 2); box(p, (5, 12, 4), (10, 16, 7), 2)   # a clean one too
    cases["case-03"] = (r, p, (1.0, 1.0, 1.0))

    # Two predictions on one lesion (split), and a third prediction outside (false positive).
    r, p = liver(), liver()
    box(r, (4, 4, 3), (16, 9, 8), 2)
    box(p, (4, 4, 3), (9, 9, 8), 2); box(p, (10, 4, 3), (16, 9, 8), 2)
    box(p, (18, 14, 8), (20, 16, 10), 2)
    cases["case-04"] = (r, p, (0.75, 0.75, 1.5))

    # Anisotropic spacing, shifted lesions, a lesion at the image border.
    r, p = liver(), liver()
    box(r, (3, 3, 2), (9, 9, 6), 2); box(p, (4, 3, 3), (10, 10, 7), 2)
    box(r, (14, 10, 0), (20, 16, 4), 2); box(p, (14, 11, 0), (19, 16, 5), 2)
    cases["case-05"] = (r, p, (0.7, 0.9, 3.0))

    # Empty sides: no reference lesion (the official program cannot score it; see the edit),
    # no predicted lesion, neither, and a prediction without label 1.
    r, p = liver(), liver()
    box(p, (6, 6, 4), (9, 9, 7), 2)
    cases["case-06"] = (r, p, (1.0, 1.0, 1.0))
    r, p = liver(), liver()
    box(r, (6, 6, 4), (9, 9, 7), 2)
    cases["case-07"] = (r, p, (1.0, 1.0, 1.0))
    cases["case-08"] = (liver(), liver(), (1.0, 1.0, 1.0))
    r, p = liver(), np.zeros(shape, np.uint8)
    box(r, (6, 6, 4), (10, 10, 8), 2); box(p, (6, 6, 4), (10, 11, 8), 2)
    cases["case-09"] = (r, p, (1.0, 1.0, 1.0))

    # Numbering: a false positive first in scipy's order, so group numbers and prediction
    # numbers differ (the official union quirk); a prediction overlapping two groups equally.
    r, p = liver(), liver()
    box(p, (3, 3, 2), (5, 5, 4), 2)                                            # FP, p = 1
    box(r, (6, 10, 3), (10, 14, 7), 2); box(p, (7, 10, 3), (11, 14, 7), 2)
    box(r, (12, 4, 3), (15, 7, 6), 2); box(r, (17, 4, 3), (20, 7, 6), 2)
    box(p, (14, 4, 3), (18, 7, 6), 2)                                          # equal overlaps
    cases["case-10"] = (r, p, (1.0, 1.0, 1.0))

    # Random blobs: many lesions, mixed overlaps, merges and splits.
    rng = np.random.default_rng(15)
    r, p = liver(), liver()
    for _ in range(14):
        c = rng.integers((3, 3, 2), (20, 16, 9))
        s = rng.integers(1, 4, size=3)
        box(r, c, c + s, 2)
        if rng.random() < 0.8:
            d = rng.integers(-1, 2, size=3)
            box(p, np.maximum(c + d, 0), c + d + s + rng.integers(-1, 2, size=3), 2)
    for _ in range(4):
        c = rng.integers((3, 3, 2), (20, 16, 9))
        box(p, c, c + 2, 2)
    cases["case-11"] = (r, p, (0.78, 0.78, 2.5))
    return cases


def save(v, spacing, path):
    img = nb.Nifti1Image(v.astype(np.uint8), np.diag(list(spacing) + [1.0]))
    img.header.set_zooms(spacing)
    nb.save(img, str(path))


def perturbed(truth):
    p = np.zeros_like(truth)
    p[2:, 1:, :] = truth[:-2, :-1, :]
    for k in range(0, truth.shape[2], 5):
        s = p[:, :, k]
        s[s == 2] = 1
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("official", help="checkout of PatrickChrist/lits-challenge-scoring")
    ap.add_argument("--real", help="a LiTS segmentation (.nii.gz) to score against a perturbed copy")
    args = ap.parse_args()
    versions = {m: version(m) for m in ["numpy", "scipy", "nibabel", "medpy"]}
    with tempfile.TemporaryDirectory() as tmp:
        program = patched_program(args.official, tmp)
        cases = crafted()
        for side in ["ref", "res"]:
            shutil.rmtree(OUT / side, ignore_errors=True)
            (OUT / side).mkdir(parents=True)
        for name, (r, p, spacing) in cases.items():
            save(r, spacing, OUT / "ref" / f"{name}.nii")
            save(p, spacing, OUT / "res" / f"{name}.nii")
        records = {}
        for name in cases:
            folder = pathlib.Path(tmp) / name
            for side in ["ref", "res"]:
                (folder / side).mkdir(parents=True)
                shutil.copy(OUT / side / f"{name}.nii", folder / side)
            g, _ = run_official(program, folder)
            records[name] = case_record(g)
        g, scores = run_official(program, OUT)
        shutil.rmtree(OUT / "output")
        doc = {"peers": versions, "cases": records, "dataset": dataset_record(g, scores)}
        (OUT / "official.json").write_text(json.dumps(doc, indent=1) + "\n")
        print(scores)
        if args.real:
            img = nb.load(args.real)
            truth = np.asanyarray(img.dataobj).astype(np.uint8)
            folder = pathlib.Path(tmp) / "real"
            for side, v in [("ref", truth), ("res", perturbed(truth))]:
                (folder / side).mkdir(parents=True)
                out = nb.Nifti1Image(v, img.affine, img.header)
                out.set_data_dtype(np.uint8)
                nb.save(out, str(folder / side / "case.nii"))
            g, scores = run_official(program, folder)
            doc = {"peers": versions, "source": pathlib.Path(args.real).name, "shape": list(truth.shape),
                   "case": case_record(g), "dataset": dataset_record(g, scores)}
            (OUT / "official_real.json").write_text(json.dumps(doc, indent=1) + "\n")
            print(scores)


if __name__ == "__main__":
    main()
