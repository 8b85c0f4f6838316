"""metrics against the committed medpy and MONAI fixtures (LiTSEvaluationTests), lits_scores
against the official LiTS scoring program's output on the crafted cases (lits_protocol)."""
import math
import os

import numpy as np
import pytest

import litskit
from conftest import fixture, read_json, runs_mask

MEDPY = read_json(fixture("LiTSEvaluationTests", "medpy_metrics.json"))["cases"]
MONAI = read_json(fixture("LiTSEvaluationTests", "monai_nsd.json"))["cases"]
OFFICIAL = read_json(fixture("LiTSEvaluationTests", "lits_protocol", "official.json"))["cases"]


@pytest.mark.parametrize("case", MEDPY, ids=lambda c: c["name"])
def test_equals_medpy(case):
    shape = case["shape"]
    pred, truth = runs_mask(case["pred"], shape), runs_mask(case["truth"], shape)
    m = litskit.metrics(pred, truth, case["spacing"], connectivity=case["connectivity"])
    e = case["expected"]
    assert m["dice"] == pytest.approx(e["dc"], abs=1e-9)
    assert m["jaccard"] == pytest.approx(e["jc"], abs=1e-9)
    assert m["relativeVolumeDifference"] == pytest.approx(e["ravd"], abs=1e-9)
    for ours, theirs in (("assd", "assd"), ("hausdorff", "hd"), ("hd95", "hd95")):
        assert m[ours] == pytest.approx(e[theirs], abs=1e-5), ours


@pytest.mark.parametrize("case", MONAI, ids=lambda c: c["name"])
def test_nsd_equals_monai(case):
    shape = case["shape"]
    pred, truth = runs_mask(case["pred"], shape), runs_mask(case["truth"], shape)
    for tolerance, value in case["expected"].items():
        nsd = litskit.metrics(pred, truth, case["spacing"], nsd_tolerance=float(tolerance))["nsd"]
        if value is None:
            assert math.isnan(nsd)
        else:
            assert np.float32(nsd) == np.float32(value), tolerance


@pytest.mark.parametrize("case_id", sorted(OFFICIAL))
def test_lits_scores_equal_the_official_program(case_id):
    folder = fixture("LiTSEvaluationTests", "lits_protocol")
    truth, affine = litskit.load(os.path.join(folder, "ref", f"{case_id}.nii"))
    pred, _ = litskit.load(os.path.join(folder, "res", f"{case_id}.nii"))
    ours = litskit.lits_scores(pred, truth, affine)
    e = OFFICIAL[case_id]
    assert ours["detectedAnyOverlap"] == e["tp0"]
    assert ours["predictedLesions"] - ours["detectedAnyOverlap"] == e["fp0"]
    assert ours["referenceLesions"] - ours["detectedAnyOverlap"] == e["fn0"]
    assert ours["detected"] == e["tp"]
    assert ours["predictedLesions"] - ours["detected"] == e["fp"]
    assert ours["referenceLesions"] - ours["detected"] == e["fn"]
    assert [ours["lesionIntersection"], ours["lesionSizeSum"], ours["liverIntersection"], ours["liverSizeSum"]] == \
        [e["lesion_I"], e["lesion_S"], e["liver_I"], e["liver_S"]]
    assert ours["lesionDice"] == pytest.approx(e["lesion_dice"], abs=1e-9)
    assert ours["liverDice"] == pytest.approx(e["liver_dice"], abs=1e-9)
    assert ours["tumorBurdenDifference"] == pytest.approx(e["tumor_burden"], abs=1e-9)

    def tol(metric):
        return 1e-6 if metric in ("assd", "rmsd", "msd") else 1e-9
    lesion = e["lesion_scores"]
    assert len(ours["lesionScores"]) == len(lesion.get("dice", []))
    for n, s in enumerate(ours["lesionScores"]):
        for metric, values in lesion.items():
            assert s[metric] == pytest.approx(values[n], abs=tol(metric)), (n, metric)
    for metric, values in e["liver_scores"].items():
        assert ours["liverScores"][metric] == pytest.approx(values[0], abs=tol(metric)), metric


def test_empty_masks_follow_the_clis_rules():
    empty = np.zeros((6, 5, 4), dtype=bool)
    full = empty.copy()
    full[2:4, 2:4, 1:3] = True
    both = litskit.metrics(empty, empty, (1, 1, 1))
    assert math.isnan(both["dice"]) and math.isnan(both["hd95"]) and math.isnan(both["nsd"])
    one = litskit.metrics(empty, full, (1, 1, 1))
    assert one["dice"] == 0 and math.isnan(one["assd"]) and one["nsd"] == 0
