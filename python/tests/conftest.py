"""Shared paths: the repository's committed fixtures (Tests/*/Fixtures) and the sample case."""
import json
import os

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = {name: os.path.join(ROOT, "Tests", name, "Fixtures")
            for name in ("LiTSCoreTests", "LiTSImagingTests", "LiTSEvaluationTests")}
SAMPLE = os.path.join(ROOT, "data", "sample")


def fixture(test_target, *parts):
    return os.path.join(FIXTURES[test_target], *parts)


def read_json(path):
    with open(path) as f:
        return json.load(f)


def runs_mask(runs, shape):
    """A fixture mask: [start, length] runs over the Fortran-order flat index (i fastest)."""
    flat = np.zeros(int(np.prod(shape)), dtype=bool)
    for s, n in zip(runs[0::2], runs[1::2]):
        flat[s:s + n] = True
    return flat.reshape(shape, order="F")


@pytest.fixture
def sample():
    """The sample case (LiTS 117, `make sample`); these tests fail without it under `make check`
    (LITSKIT_REQUIRE_SAMPLE=1), and skip elsewhere."""
    seg = os.path.join(SAMPLE, "segmentation-117.nii.gz")
    if not os.path.isfile(seg):
        if os.environ.get("LITSKIT_REQUIRE_SAMPLE"):
            pytest.fail(f"{seg} is missing (make sample)")
        pytest.skip("no sample case (make sample)")
    return SAMPLE
