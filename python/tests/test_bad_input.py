"""Bad input becomes exceptions with a one-line message; arrays in any layout are read right."""
import numpy as np
import pytest

import litskit


def blob(shape=(12, 10, 8)):
    m = np.zeros(shape, dtype=bool)
    m[2:6, 3:7, 1:5] = True
    m[8:11, 1:3, 5:8] = True
    return m


def test_missing_file_names_the_file(tmp_path):
    path = str(tmp_path / "nope.nii.gz")
    with pytest.raises(litskit.LitsError, match="nope.nii.gz"):
        litskit.load(path)


def test_not_nifti_is_refused(tmp_path):
    path = tmp_path / "junk.nii"
    path.write_bytes(b"not a nifti file at all" * 20)
    with pytest.raises(litskit.LitsError, match="junk.nii"):
        litskit.load(path)


def test_shape_mismatch():
    with pytest.raises(litskit.LitsError, match="shape"):
        litskit.metrics(blob(), blob((12, 10, 9)), (1, 1, 1))
    with pytest.raises(ValueError):   # LitsError is a ValueError
        litskit.lits_scores(blob().astype(np.uint8), blob((5, 5, 5)).astype(np.uint8), (1, 1, 1))


def test_wrong_dtypes():
    with pytest.raises(litskit.LitsError, match="dtype"):
        litskit.metrics(blob().astype(np.complex64), blob(), (1, 1, 1))
    with pytest.raises(litskit.LitsError, match="whole numbers"):
        litskit.lits_scores(blob() * 0.5, blob(), (1, 1, 1))
    with pytest.raises(litskit.LitsError, match="0...255"):
        litskit.liver_regions(blob().astype(np.int32) * 300)
    with pytest.raises(litskit.LitsError, match="3D"):
        litskit.components(np.zeros((4, 4)))


def test_bad_spacing_and_options():
    with pytest.raises(litskit.LitsError, match="spacing"):
        litskit.metrics(blob(), blob(), (1, 0, 1))
    with pytest.raises(litskit.LitsError, match="connectivity"):
        litskit.components(blob(), connectivity=8)
    with pytest.raises(litskit.LitsError, match="connectivity"):
        litskit.metrics(blob(), blob(), (1, 1, 1), connectivity=4)


def test_save_refuses_bad_names_and_types(tmp_path):
    with pytest.raises(litskit.LitsError, match="must end in .nii"):
        litskit.save(tmp_path / "x.png", blob(), np.eye(4))
    with pytest.raises(litskit.LitsError, match="cannot be written"):
        litskit.save(tmp_path / "x.nii", blob().astype(np.complex64), np.eye(4))
    with pytest.raises(litskit.LitsError, match="4x4"):
        litskit.save(tmp_path / "x.nii", blob(), np.eye(3))


@pytest.mark.parametrize("layout", ["C", "F", "sliced", "transposed-view"])
def test_any_layout_gives_the_same_answer(layout):
    base = blob((24, 20, 16))
    truth = np.roll(base, 1, axis=0)
    if layout == "C":
        a, t = np.ascontiguousarray(base), np.ascontiguousarray(truth)
    elif layout == "F":
        a, t = np.asfortranarray(base), np.asfortranarray(truth)
    elif layout == "sliced":
        big = np.zeros((48, 20, 16), bool)
        big[::2] = base
        bigt = np.zeros((48, 20, 16), bool)
        bigt[::2] = truth
        a, t = big[::2], bigt[::2]
        assert not a.flags.c_contiguous and not a.flags.f_contiguous
    else:
        a = np.ascontiguousarray(base.transpose(2, 1, 0)).transpose(2, 1, 0)
        t = np.ascontiguousarray(truth.transpose(2, 1, 0)).transpose(2, 1, 0)
    reference = litskit.metrics(np.asfortranarray(base), np.asfortranarray(truth), (0.7, 0.8, 2.0))
    assert litskit.metrics(a, t, (0.7, 0.8, 2.0)) == reference
    labels, stats = litskit.components(a)
    ref_labels, _ = litskit.components(np.asfortranarray(base))
    np.testing.assert_array_equal(labels, ref_labels)
    # The labels follow the array's own indexing: voxel [i, j, k] of the input.
    assert labels[3, 4, 2] == 1 and labels[9, 2, 6] == 2 and labels[0, 0, 0] == 0


def test_inputs_are_not_modified():
    a = blob()
    before = a.copy()
    litskit.components(a)
    litskit.metrics(a, a, (1, 1, 1))
    np.testing.assert_array_equal(a, before)
