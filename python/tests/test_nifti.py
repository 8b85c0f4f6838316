"""load and save against nibabel, live, on the NIfTI fixtures of LiTSCoreTests."""
import glob
import os
import warnings

import nibabel as nib
import numpy as np
import pytest

import litskit
from conftest import fixture

FILES = sorted(f for f in glob.glob(fixture("LiTSCoreTests", "nifti", "*.nii*")))


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
@pytest.mark.parametrize("canonical", [False, True])
def test_load_equals_nibabel(path, canonical):
    img = nib.load(path)
    if canonical:
        img = nib.as_closest_canonical(img)
    expected = np.asarray(img.get_fdata(), dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data, affine = litskit.load(path, canonical=canonical)
    assert data.dtype == np.float32 and data.shape == expected.shape
    np.testing.assert_array_equal(data, expected)
    np.testing.assert_allclose(affine, img.affine, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64, bool, np.int64])
def test_save_is_read_back_by_nibabel(tmp_path, dtype):
    rng = np.random.default_rng(1)
    data = (rng.random((7, 5, 4)) * 100).astype(dtype)
    affine = np.array([[-0.8, 0, 0, 10], [0, 0.8, 0, -5], [0, 0, 2.5, 3], [0, 0, 0, 1]])
    path = tmp_path / "out.nii.gz"
    litskit.save(path, data, affine)
    img = nib.load(path)
    np.testing.assert_array_equal(np.asanyarray(img.dataobj), data)
    np.testing.assert_allclose(img.affine, affine, atol=1e-6)
    back, back_affine = litskit.load(path)
    np.testing.assert_array_equal(back, data.astype(np.float32))


def test_nibabel_written_file_round_trips(tmp_path):
    data = np.arange(60, dtype=np.int16).reshape(5, 4, 3)
    affine = np.diag([1.5, 1.5, 3.0, 1.0])
    nib.save(nib.Nifti1Image(data, affine), tmp_path / "a.nii")
    back, back_affine = litskit.load(tmp_path / "a.nii")
    np.testing.assert_array_equal(back, data)
    np.testing.assert_allclose(back_affine, affine)
