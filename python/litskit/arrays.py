"""The array functions: numpy in, numpy out, computed in-process by liblitskit.so.

Arrays are indexed [i, j, k] in NIfTI voxel order, as nibabel's `img.get_fdata()` (axis 0 is i).
Inputs in any memory layout are accepted: they are copied to Fortran order (i fastest, the
library's order) when they are not already, never read with the wrong strides.
"""
import ctypes
import json
import os
import warnings

import numpy as np

from . import _lib
from ._lib import LitsError

_NIFTI_CODES = {np.dtype(np.uint8): 2, np.dtype(np.int16): 4, np.dtype(np.int32): 8,
                np.dtype(np.float32): 16, np.dtype(np.float64): 64}


def _path(path):
    return os.fsencode(os.fspath(path))


def _volume(a, name):
    a = np.asarray(a)
    if a.ndim != 3:
        raise LitsError(f"{name}: expected a 3D array (i, j, k), got shape {a.shape}")
    if 0 in a.shape:
        raise LitsError(f"{name}: shape {a.shape} has an empty axis")
    return a


def _bytes(a, name):
    """A 3D array as uint8, Fortran order: bool and uint8 as they are; other integers and whole
    floats in 0...255 converted; anything else refused."""
    a = _volume(a, name)
    if a.dtype == np.bool_:
        return np.asfortranarray(a).view(np.uint8)
    if a.dtype == np.uint8:
        return np.asfortranarray(a)
    if a.dtype.kind in "iuf":
        lo, hi = a.min(), a.max()
        if a.dtype.kind == "f" and not np.array_equal(a, np.floor(a)):
            raise LitsError(f"{name}: label values must be whole numbers (the {a.dtype} array holds fractions)")
        if lo < 0 or hi > 255:
            raise LitsError(f"{name}: label values must lie in 0...255 (found {lo}...{hi})")
        return np.asfortranarray(a, dtype=np.uint8)
    raise LitsError(f"{name}: dtype {a.dtype} is not a label or mask type (bool, integers, whole floats)")


def _pair(pred, truth):
    p, t = _bytes(pred, "pred"), _bytes(truth, "truth")
    if p.shape != t.shape:
        raise LitsError(f"pred has shape {p.shape}, truth {t.shape}: they must be the same grid")
    return p, t


def _spacing(spacing):
    """Three positive mm values, or a 4x4 affine (its column norms, as nibabel's zooms)."""
    s = np.asarray(spacing, dtype=np.float64)
    if s.shape == (4, 4):
        s = np.sqrt((s[:3, :3] ** 2).sum(axis=0))
    if s.shape != (3,) or not np.all(np.isfinite(s)) or not np.all(s > 0):
        raise LitsError(f"spacing {spacing!r} must be three finite positive values (mm) or a 4x4 affine")
    return _lib.doubles(s)


def _ptr(a):
    return a.ctypes.data_as(ctypes.c_void_p)


def load(path, canonical=False):
    """(array, affine) of a NIfTI file (.nii, .nii.gz; NIfTI-1 and -2): float32 voxels with
    scl_slope/scl_inter applied, the affine chosen as nibabel does. `canonical=True`: permuted
    and flipped to the closest RAS+ orientation (nibabel's `as_closest_canonical`)."""
    p = _path(path)
    shape = (ctypes.c_int64 * 3)()
    _lib.call("litskit_load_shape", p, int(bool(canonical)), shape)
    out = np.empty(tuple(shape), dtype=np.float32, order="F")
    info = _lib.call("litskit_load_into", p, int(bool(canonical)), _ptr(out), out.size, json_result=True)
    for line in info["warnings"]:
        warnings.warn(line, stacklevel=2)
    return out, np.array(info["affine"], dtype=np.float64).reshape(4, 4)


def save(path, array, affine):
    """Writes `array` (3D; uint8, int16, int32, float32 or float64; bool as uint8, other integer
    types converted when their values fit int32) with `affine` to `path` (.nii or .nii.gz),
    atomically; the affine goes into both sform and qform."""
    a = _volume(array, "array")
    if a.dtype == np.bool_:
        a = a.astype(np.uint8)
    elif a.dtype in (np.dtype(np.int8),):
        a = a.astype(np.int16)
    elif a.dtype in (np.dtype(np.uint16), np.dtype(np.uint32), np.dtype(np.int64), np.dtype(np.uint64)):
        if a.min() < np.iinfo(np.int32).min or a.max() > np.iinfo(np.int32).max:
            raise LitsError(f"array: {a.dtype} values {a.min()}...{a.max()} do not fit int32")
        a = a.astype(np.int32)
    elif a.dtype == np.float16:
        a = a.astype(np.float32)
    if a.dtype not in _NIFTI_CODES:
        raise LitsError(f"array: dtype {a.dtype} cannot be written (uint8, int16, int32, float32, float64 can)")
    a = np.asfortranarray(a)
    m = np.asarray(affine, dtype=np.float64)
    if m.shape != (4, 4):
        raise LitsError(f"affine must be 4x4, got shape {m.shape}")
    _lib.call("litskit_save", _path(path), _NIFTI_CODES[a.dtype], _ptr(a), _lib.shape_arg(a.shape),
              _lib.doubles(m.ravel()))


def components(mask, connectivity=26, value=None):
    """Connected components of the non-zero voxels of `mask` (or of the voxels equal to `value`),
    as cc3d's `connected_components` + `statistics`: returns (labels, stats).

    labels: int32, 0 background, 1...N numbered in the order of each component's first voxel
    (i fastest). stats: {"voxel_counts": (N+1,) int64, "centroids": (N+1, 3) float64,
    "bounding_boxes": N+1 tuples of slices (stop exclusive)}; row 0 is the background (its
    bounding box is None), as in cc3d.statistics."""
    if connectivity not in (6, 18, 26):
        raise LitsError(f"connectivity {connectivity} must be 6, 18 or 26")
    a = _volume(mask, "mask")
    if a.dtype not in (np.bool_, np.uint8):
        if value is not None:
            a, value = (a == value), None
        else:
            a = a != 0
    m = _bytes(a, "mask")
    labels = np.empty(m.shape, dtype=np.int32, order="F")
    count = ctypes.c_int64()
    rows = ctypes.c_void_p()
    _lib.call("litskit_components", _ptr(m), _lib.shape_arg(m.shape), connectivity,
              -1 if value is None else int(value), _ptr(labels), ctypes.byref(count), ctypes.byref(rows))
    n = count.value
    table = np.zeros((n, 10))
    if n:
        table[:] = np.ctypeslib.as_array(ctypes.cast(rows, ctypes.POINTER(ctypes.c_double)), shape=(n, 10))
        _lib.free(rows)
    counts = np.empty(n + 1, dtype=np.int64)
    counts[1:] = table[:, 0]
    counts[0] = m.size - counts[1:].sum()
    centroids = np.empty((n + 1, 3))
    centroids[1:] = table[:, 7:10]
    # The background's centroid: all voxels' coordinate sums less the components'.
    total = np.array([(s - 1) / 2 * m.size for s in m.shape])
    centroids[0] = (total - (table[:, 7:10] * table[:, :1]).sum(axis=0)) / counts[0] if counts[0] else np.nan
    boxes = [None] + [tuple(slice(int(r[1 + a]), int(r[4 + a]) + 1) for a in range(3)) for r in table]
    return labels, {"voxel_counts": counts, "centroids": centroids, "bounding_boxes": boxes}


def metrics(pred, truth, spacing, nsd_tolerance=2.0, connectivity=1):
    """What `lits evaluate` reports for one structure of two masks (non-zero = inside): dice,
    jaccard, volumeOverlapError, relativeVolumeDifference, assd, hausdorff, hd95 (medpy's
    definitions; `connectivity` is medpy's: 1 faces, 2 edges, 3 corners), nsd (MONAI's
    compute_surface_dice at `nsd_tolerance` mm), tp, fp, fn. Undefined values are NaN."""
    p, t = _pair(pred, truth)
    return _lib.call("litskit_metrics", _ptr(p), _ptr(t), _lib.shape_arg(p.shape), _spacing(spacing),
                     float(nsd_tolerance), int(connectivity), json_result=True)


def lits_scores(pred, truth, spacing):
    """One case scored as the official LiTS scoring program scores it (label maps 0/1/2 in the
    files' own voxel order, the reference's spacing): lesion detection (tp/fp/fn at overlap 0
    and 0.5), per-lesion and liver scores (dice, jaccard, voe, rvd, assd, rmsd, msd), global
    Dice terms and tumour burden."""
    p, t = _pair(pred, truth)
    return _lib.call("litskit_lits_scores", _ptr(p), _ptr(t), _lib.shape_arg(p.shape), _spacing(spacing),
                     json_result=True)


def liver_regions(labels):
    """The thirds of the liver along k of a canonical label map (`load(..., canonical=True)`:
    k runs inferior to superior): {"liverExtent": {"kMin", "kMax"} or None, "regions": one of
    "top", "middle", "bottom", "outside" per slice k}."""
    m = _bytes(labels, "labels")
    r = _lib.call("litskit_liver_regions", _ptr(m), _lib.shape_arg(m.shape), json_result=True)
    r.setdefault("liverExtent", None)   # JSON leaves out an extent that is not there
    return r


def evaluate_case(pred, truth, spacing, surfaces=True):
    """Everything `lits evaluate` scores in one case (one element of evaluation.json's cases):
    liver and lesion metrics, Dice per third of the liver, lesion detection, instances, BraTS
    lesion-wise. Both label maps canonical (k inferior to superior)."""
    p, t = _pair(pred, truth)
    return _lib.call("litskit_evaluate_case", _ptr(p), _ptr(t), _lib.shape_arg(p.shape), _spacing(spacing),
                     int(bool(surfaces)), json_result=True)


def per_third_dice(pred, truth, spacing=(1.0, 1.0, 1.0)):
    """Liver and lesion Dice per third of the truth liver (top, middle, bottom, and outside when
    a slice beyond the liver has any label): {region: {"liverDice", "lesionDice", "liverFP", ...}}.
    Canonical label maps (k inferior to superior), as `lits evaluate` scores them."""
    e = evaluate_case(pred, truth, spacing, surfaces=False)
    return {r["region"]: r for r in e["regions"]}


def qa(paths, threads=None, summary=False):
    """`lits qa` on files or dataset folders (no report written): the findings as a list of
    dicts (caseID, check, severity, measured, expected, action, evidence); `summary=True`
    returns the whole summary (counts and findings)."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    items = [os.fsdecode(os.fspath(p)) for p in paths]
    result = _lib.call("litskit_qa", json.dumps(items).encode(), int(threads or os.cpu_count() or 1), json_result=True)
    return result if summary else result["findings"]
