"""liver_regions, per_third_dice and evaluate_case: the thirds as LiverExtent defines them (k
inferior to superior), and the same numbers `lits evaluate` writes for the same pair."""
import json
import os

import numpy as np
import pytest

import litskit


def phantom():
    labels = np.zeros((20, 16, 30), dtype=np.uint8)
    labels[4:16, 3:13, 3:27] = 1          # liver on slices 3...26 (24 slices: 8 per third)
    labels[6:10, 5:9, 20:24] = 2          # a lesion in the top third
    return labels


def test_thirds_of_the_liver():
    r = litskit.liver_regions(phantom())
    assert r["liverExtent"] == {"kMin": 3, "kMax": 26}
    expected = ["outside"] * 3 + ["bottom"] * 8 + ["middle"] * 8 + ["top"] * 8 + ["outside"] * 3
    assert r["regions"] == expected
    assert litskit.liver_regions(np.zeros((4, 4, 4), np.uint8))["liverExtent"] is None


def test_per_third_dice_counts():
    truth = phantom()
    pred = truth.copy()
    pred[4:16, 3:13, 3:11] = 0            # the whole bottom third missed
    thirds = litskit.per_third_dice(pred, truth, (0.8, 0.8, 2.5))
    assert thirds["bottom"]["liverDice"] == 0
    assert thirds["middle"]["liverDice"] == 1 and thirds["top"]["liverDice"] == 1
    assert thirds["top"]["lesionDice"] == 1
    assert thirds["bottom"]["liverFN"] == 12 * 10 * 8


def test_evaluate_case_equals_lits_evaluate(tmp_path):
    truth = phantom()
    pred = truth.copy()
    pred[4:16, 3:13, 3:6] = 0
    pred[12:15, 8:11, 10:13] = 2
    affine = np.diag([0.8, 0.8, 2.5, 1.0])
    os.makedirs(tmp_path / "truth")
    os.makedirs(tmp_path / "pred")
    litskit.save(tmp_path / "truth" / "segmentation-1.nii.gz", truth, affine)
    litskit.save(tmp_path / "truth" / "volume-1.nii.gz", np.full(truth.shape, -100, np.int16), affine)
    litskit.save(tmp_path / "pred" / "segmentation-1.nii.gz", pred, affine)
    r = litskit.evaluate(tmp_path / "pred", tmp_path / "truth", tmp_path / "eval", progress=False)
    cli = r.summary[0]   # evaluation.json: one object per case
    _, stored = litskit.load(tmp_path / "truth" / "segmentation-1.nii.gz")   # float32 in the header
    ours = litskit.evaluate_case(pred, truth, stored)
    for structure in ("liver", "lesion"):
        for key in ("dice", "jaccard", "hausdorff", "hd95", "assd", "nsd", "tp", "fp", "fn"):
            assert ours[structure][key] == pytest.approx(cli[structure][key], abs=1e-12), (structure, key)
    # evaluation.json writes an undefined Dice as null, litskit as NaN.
    undefined = lambda v: float("nan") if v is None else v
    for o, c in zip(ours["regions"], cli["regions"], strict=True):
        assert o.keys() == c.keys()
        for key in o:
            assert o[key] == pytest.approx(undefined(c[key]), nan_ok=True), key
    assert ours["liverSliceDice"] == pytest.approx(cli["liverSliceDice"])
    m = litskit.metrics(pred >= 1, truth >= 1, stored)
    assert m["hd95"] == pytest.approx(cli["liver"]["hd95"], abs=1e-12)
