"""components against cc3d (connected_components + statistics), live and on the committed
fixture of LiTSImagingTests (cc3d 4.1.1's output)."""
import cc3d
import numpy as np
import pytest

import litskit
from conftest import fixture, read_json


def blobs():
    data, _ = litskit.load(fixture("LiTSImagingTests", "components_blobs.nii.gz"))
    return data.astype(np.uint8)


def check_against_cc3d(mask, connectivity):
    ours, stats = litskit.components(mask, connectivity=connectivity)
    theirs = cc3d.connected_components(np.asfortranarray(mask.astype(np.uint8)), connectivity=connectivity)
    their_stats = cc3d.statistics(theirs)
    n = int(theirs.max())
    assert int(ours.max()) == n
    # The same partition: every cc3d label maps to exactly one of ours.
    pairs = np.unique(np.stack([theirs[mask], ours[mask]]), axis=1)
    assert pairs.shape[1] == n and len(np.unique(pairs[1])) == n
    order = np.argsort(pairs[0])
    ours_of = pairs[1][order]          # our label of cc3d label 1...n
    np.testing.assert_array_equal(stats["voxel_counts"][ours_of], their_stats["voxel_counts"][1:])
    assert stats["voxel_counts"][0] == their_stats["voxel_counts"][0]
    np.testing.assert_allclose(stats["centroids"][ours_of], their_stats["centroids"][1:], rtol=1e-12)
    np.testing.assert_allclose(stats["centroids"][0], their_stats["centroids"][0], rtol=1e-9)
    assert [stats["bounding_boxes"][l] for l in ours_of] == list(their_stats["bounding_boxes"][1:])


@pytest.mark.parametrize("connectivity", [6, 18, 26])
def test_tumor_components_equal_cc3d(connectivity):
    check_against_cc3d(blobs() == 2, connectivity)


def test_liver_components_equal_cc3d():
    check_against_cc3d(blobs() >= 1, 26)


@pytest.mark.parametrize("connectivity", [6, 18, 26])
def test_committed_cc3d_fixture(connectivity):
    doc = read_json(fixture("LiTSImagingTests", "components_blobs.json"))
    labels, stats = litskit.components(blobs(), connectivity=connectivity, value=2)
    expected = doc["tumor"][str(connectivity)]
    assert int(labels.max()) == len(expected)
    # Ours are numbered by first voxel in i-fastest order, as the fixture lists them.
    for n, e in enumerate(expected, start=1):
        assert stats["voxel_counts"][n] == e["voxels"]
        assert [s.start for s in stats["bounding_boxes"][n]] == e["bbox_min"]
        assert [s.stop - 1 for s in stats["bounding_boxes"][n]] == e["bbox_max"]
        np.testing.assert_allclose(stats["centroids"][n], e["centroid"], rtol=1e-12)


def test_random_speckle_equals_cc3d():
    rng = np.random.default_rng(3)
    mask = rng.random((31, 17, 12)) < 0.3
    for c in (6, 18, 26):
        check_against_cc3d(mask, c)


def test_sample_case_equals_cc3d(sample):
    seg, _ = litskit.load(f"{sample}/segmentation-117.nii.gz")
    check_against_cc3d(seg == 2, 26)
