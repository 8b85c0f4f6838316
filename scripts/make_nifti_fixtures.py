#!/usr/bin/env python3
"""Generate tiny NIfTI fixtures (written by nibabel) for the LiTSKit Swift reader tests.

What it produces (default output folder: Tests/LiTSCoreTests/Fixtures/nifti/):

  int16_slope_inter.nii   int16 on disk, scl_slope=0.5, scl_inter=-1024, RAS diagonal affine
  rotated_qform.nii       int16, qform only (qform_code 1, sform_code 0), rotated affine;
                          srow_* deliberately holds a different (stale) affine
  sheared_sform.nii.gz    float32, sheared sform (code 2) + different diagonal qform (code 1)
  lps.nii.gz              int16, LPS diagonal affine, both codes 1
  ras_float32.nii         float32, RAS diagonal affine
  float64.nii.gz          float64, non-integer values
  uint8_labels.nii.gz     uint8 labels in {0,1,2}, LPS affine
  int8.nii                int8, negative and positive values
  uint16.nii              uint16, values above 32767
  int32.nii.gz            int32, values beyond float32's exact-integer range
  nifti2.nii              NIfTI-2 (540-byte header), int16, LPS affine
  no_xform.nii            qform_code = sform_code = 0, pixdim (1.5, 2.0, 3.0)
  permuted_axes.nii.gz    int16, voxel axes map to world as ('P', 'I', 'R')
  big_endian.nii          int16, big-endian header and data
  expected.json           what nibabel reads back from each file (see below)

Every array has shape (5, 4, 3) and values that differ along every axis in a
non-symmetric way, so any axis flip or transpose in a reader is detectable.

expected.json is an object keyed by file name; each entry holds what nibabel
reports after reloading the written file:
  shape, dtype (on-disk dtype name), endianness ("<" or ">"), nifti_version,
  sform_code, qform_code, slope / inter (the on-disk scaling as nibabel interprets
  it, null when there is none), scl_slope_raw / scl_inter_raw (the header
  fields as stored, null for NaN),
  affine (img.affine), zooms (header.get_zooms()[:3]), axcodes
  (nib.aff2axcodes(img.affine)), data (img.get_fdata(dtype=float64) flattened in
  Fortran order, i fastest), and canonical (same fields for
  nib.as_closest_canonical(img)).

The fixtures were made with nibabel 5.4.2 and numpy 2.4.6. The output is
deterministic (fixed values; nibabel writes gzip with mtime 0), so rerunning
the script gives byte-identical files.

How to run (from the repository root):

    python3 -m venv .venv && .venv/bin/pip install nibabel numpy && .venv/bin/python scripts/make_nifti_fixtures.py

An optional single argument names a different output folder.
"""

import json
import math
import os
import sys

import nibabel as nib
import numpy as np

SHAPE = (5, 4, 3)
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, "Tests", "LiTSCoreTests", "Fixtures", "nifti")


# --------------------------------------------------------------------------- helpers

def grid():
    """Index grids i, j, k (int64) for SHAPE, 'ij' indexing."""
    return np.meshgrid(*(np.arange(n, dtype=np.int64) for n in SHAPE), indexing="ij")


def pattern(a, b, c, offset):
    """a*i + b*j + c*k + offset as an int64 array of SHAPE."""
    i, j, k = grid()
    return a * i + b * j + c * k + offset


def diag_affine(spacing, origin):
    aff = np.diag([*spacing, 1.0]).astype(np.float64)
    aff[:3, 3] = origin
    return aff


def rot_z(deg):
    t = math.radians(deg)
    c, s = math.cos(t), math.sin(t)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rot_x(deg):
    t = math.radians(deg)
    c, s = math.cos(t), math.sin(t)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def make_image(data, affine, klass=nib.Nifti1Image, header=None, sform_code=1, qform_code=1):
    """Image with explicit on-disk dtype and both xforms set to `affine` with the given codes."""
    img = klass(data, affine, header=header)
    img.header.set_data_dtype(data.dtype)
    img.set_qform(affine, code=qform_code)
    img.set_sform(affine, code=sform_code)
    return img


def as_floats(a):
    return [float(x) for x in np.asarray(a, dtype=np.float64).ravel(order="F")]


def as_matrix(a):
    return [[float(x) for x in row] for row in np.asarray(a, dtype=np.float64)]


def fortran_bytes_ok(path, expected_raw, dtype):
    """Check raw on-disk voxel bytes (uncompressed files only) against expected_raw."""
    with open(path, "rb") as f:
        blob = f.read()
    off = int(raw_header(path)["vox_offset"])  # nib.load resets the in-memory offset to 0
    n = expected_raw.size * np.dtype(dtype).itemsize
    got = np.frombuffer(blob[off:off + n], dtype=dtype)
    return np.array_equal(got, expected_raw.ravel(order="F"))


# --------------------------------------------------------------------------- fixtures

def build_fixtures():
    """Return list of (file name, image, raw on-disk array, extra checks dict)."""
    fx = []

    # 1. int16 with slope/intercept. The image is constructed with the raw int16
    #    array; set_slope_inter after construction makes nibabel write the raw
    #    values unchanged together with the given scl_slope / scl_inter.
    raw = pattern(10, 100, 1000, -493).astype(np.int16)          # -493 .. 1854
    img = make_image(raw, diag_affine((0.8, 0.8, 2.5), (-120.5, 30.25, -60.0)))
    img.header.set_slope_inter(0.5, -1024)
    fx.append(("int16_slope_inter.nii", img, raw, dict(slope=0.5, inter=-1024.0)))

    # 2. rotated qform only. Build with a stale diagonal affine first so srow_*
    #    holds something else; a reader that ignores sform_code=0 would notice.
    rot = rot_z(30.0) @ rot_x(10.0)
    aff = np.eye(4)
    aff[:3, :3] = rot @ np.diag([0.7, 0.9, 3.0])
    aff[:3, 3] = (-100.0, 50.0, 20.0)
    raw = pattern(10, 100, 1000, -1197).astype(np.int16)
    img = nib.Nifti1Image(raw, diag_affine((5.0, 5.0, 5.0), (1.0, 2.0, 3.0)))
    img.header.set_data_dtype(np.int16)
    img.set_sform(diag_affine((5.0, 5.0, 5.0), (1.0, 2.0, 3.0)), code=2)
    img.set_qform(aff, code=1)
    img.set_sform(None, code=0)
    fx.append(("rotated_qform.nii", img, raw, dict(sform_code=0, qform_code=1, ideal_affine=aff)))

    # 3. sheared sform (code 2) plus a different plain-diagonal qform (code 1).
    sheared = np.array([
        [0.8, 0.2, 0.1, -30.0],
        [0.05, 0.9, 0.3, 12.0],
        [0.0, 0.15, 2.0, -5.0],
        [0.0, 0.0, 0.0, 1.0],
    ])
    raw = (pattern(10, 100, 1000, 0).astype(np.float64) * 0.25 - 100.125).astype(np.float32)
    img = nib.Nifti1Image(raw, sheared)
    img.header.set_data_dtype(np.float32)
    img.set_qform(diag_affine((1.0, 1.0, 1.0), (0.0, 0.0, 0.0)), code=1)
    img.set_sform(sheared, code=2)
    fx.append(("sheared_sform.nii.gz", img, raw, dict(sform_code=2, qform_code=1)))

    # 4. LPS int16, both codes 1.
    raw = pattern(10, 100, 1000, -1000).astype(np.int16)
    img = make_image(raw, diag_affine((-0.9, -0.9, 2.0), (90.0, 110.5, -250.0)))
    fx.append(("lps.nii.gz", img, raw, dict(sform_code=1, qform_code=1)))

    # 5. RAS float32.
    raw = (pattern(10, 100, 1000, 0).astype(np.float64) * 0.15 - 50.5).astype(np.float32)
    img = make_image(raw, diag_affine((1.0, 1.0, 1.0), (-2.0, -1.5, 4.0)))
    fx.append(("ras_float32.nii", img, raw, dict(sform_code=1, qform_code=1)))

    # 6. float64 with non-integer values that float32 cannot represent exactly.
    raw = pattern(1, 10, 100, 0).astype(np.float64) * 0.1 + 1.0 / 3.0
    img = make_image(raw, diag_affine((0.75, 0.75, 1.5), (10.0, -20.0, 30.0)))
    fx.append(("float64.nii.gz", img, raw, dict(sform_code=1, qform_code=1)))

    # 7. uint8 labels in {0, 1, 2}, LPS affine.
    i, j, k = grid()
    raw = ((i * i + j + 2 * k + (i * j) // 2) % 3).astype(np.uint8)
    img = make_image(raw, diag_affine((-0.8, -0.8, 2.5), (100.0, 120.0, -300.0)))
    fx.append(("uint8_labels.nii.gz", img, raw, dict(sform_code=1, qform_code=1)))

    # 8a. int8: -120 .. 116
    raw = (pattern(1, 5, 20, 0) * 4 - 120).astype(np.int8)
    img = make_image(raw, diag_affine((1.0, 1.0, 1.0), (0.0, 0.0, 0.0)))
    fx.append(("int8.nii", img, raw, dict(sform_code=1, qform_code=1)))

    # 8b. uint16: 40000 .. 54111 (all above int16 max)
    raw = pattern(1000, 37, 5000, 40000).astype(np.uint16)
    img = make_image(raw, diag_affine((1.0, 1.0, 1.0), (0.0, 0.0, 0.0)))
    fx.append(("uint16.nii", img, raw, dict(sform_code=1, qform_code=1)))

    # 8c. int32: about -1.5e8 .. +8e7 (beyond float32's exact integers)
    raw = pattern(1_000_003, 10_000_019, 100_000_007, -150_000_000).astype(np.int32)
    img = make_image(raw, diag_affine((1.0, 1.0, 1.0), (0.0, 0.0, 0.0)))
    fx.append(("int32.nii.gz", img, raw, dict(sform_code=1, qform_code=1)))

    # 9. NIfTI-2, int16, LPS.
    raw = pattern(10, 100, 1000, -2000).astype(np.int16)
    img = make_image(raw, diag_affine((-0.7, -0.7, 1.25), (80.0, 95.0, -180.0)), klass=nib.Nifti2Image)
    fx.append(("nifti2.nii", img, raw, dict(sform_code=1, qform_code=1, nifti_version=2)))

    # 10. no transform at all: both codes 0, pixdim (1.5, 2.0, 3.0).
    raw = pattern(10, 100, 1000, 5).astype(np.int16)
    img = nib.Nifti1Image(raw, None)
    img.header.set_data_dtype(np.int16)
    img.header.set_zooms((1.5, 2.0, 3.0))
    img.header["qform_code"] = 0
    img.header["sform_code"] = 0
    fx.append(("no_xform.nii", img, raw, dict(sform_code=0, qform_code=0)))

    # 11. permuted axes: i -> P (-y), j -> I (-z), k -> R (+x), unequal spacings.
    aff = np.array([
        [0.0, 0.0, 2.4, -10.0],
        [-0.6, 0.0, 0.0, 40.0],
        [0.0, -1.1, 0.0, 75.0],
        [0.0, 0.0, 0.0, 1.0],
    ])
    raw = pattern(10, 100, 1000, -7).astype(np.int16)
    img = make_image(raw, aff)
    fx.append(("permuted_axes.nii.gz", img, raw, dict(sform_code=1, qform_code=1, axcodes=("P", "I", "R"))))

    # 12. big-endian int16.
    raw = pattern(10, 100, 1000, -1234).astype(np.int16)
    img = make_image(raw, diag_affine((0.9, 0.9, 2.0), (-5.0, -6.0, -7.0)),
                     header=nib.Nifti1Header(endianness=">"))
    fx.append(("big_endian.nii", img, raw, dict(sform_code=1, qform_code=1, endianness=">")))

    return fx


# --------------------------------------------------------------------------- checks + expected

def raw_header(path):
    """Header exactly as stored on disk. (nib.load moves scl_slope / scl_inter into
    img.dataobj and leaves NaN in img.header, so read the header bytes directly.)"""
    klass = nib.Nifti2Header if isinstance(nib.load(path).header, nib.Nifti2Header) else nib.Nifti1Header
    with nib.openers.Opener(path, "rb") as f:
        return klass.from_fileobj(f)


def nan_to_none(x):
    x = float(x)
    return None if math.isnan(x) else x


def describe(img, path):
    hdr = img.header
    disk = raw_header(path)
    slope, inter = disk.get_slope_inter()
    canon = nib.as_closest_canonical(img)
    return {
        "shape": [int(n) for n in img.shape],
        "dtype": hdr.get_data_dtype().name,
        "endianness": hdr.endianness,
        "nifti_version": 2 if isinstance(hdr, nib.Nifti2Header) else 1,
        "sform_code": int(hdr["sform_code"]),
        "qform_code": int(hdr["qform_code"]),
        "slope": None if slope is None else float(slope),
        "inter": None if inter is None else float(inter),
        "scl_slope_raw": nan_to_none(disk["scl_slope"]),
        "scl_inter_raw": nan_to_none(disk["scl_inter"]),
        "affine": as_matrix(img.affine),
        "zooms": [float(z) for z in hdr.get_zooms()[:3]],
        "axcodes": list(nib.aff2axcodes(img.affine)),
        "data": as_floats(img.get_fdata(dtype=np.float64)),
        "canonical": {
            "shape": [int(n) for n in canon.shape],
            "affine": as_matrix(canon.affine),
            "axcodes": list(nib.aff2axcodes(canon.affine)),
            "data": as_floats(canon.get_fdata(dtype=np.float64)),
        },
    }


def check(path, name, raw, want):
    img = nib.load(path)
    hdr = img.header
    version = want.get("nifti_version", 1)
    assert isinstance(hdr, nib.Nifti2Header) == (version == 2), name
    assert img.shape == SHAPE, (name, img.shape)
    assert hdr.get_data_dtype().name == raw.dtype.name, (name, hdr.get_data_dtype())
    assert hdr.endianness == want.get("endianness", "<"), (name, hdr.endianness)
    assert int(hdr["sform_code"]) == want.get("sform_code", 1), (name, int(hdr["sform_code"]))
    assert int(hdr["qform_code"]) == want.get("qform_code", 1), (name, int(hdr["qform_code"]))
    # raw on-disk values round-trip exactly
    assert np.array_equal(np.asanyarray(img.dataobj.get_unscaled()), raw), name
    slope, inter = raw_header(path).get_slope_inter()
    if "slope" in want:
        assert img.dataobj.slope == want["slope"], (name, img.dataobj.slope)
        assert img.dataobj.inter == want["inter"], (name, img.dataobj.inter)
        assert slope == want["slope"] and inter == want["inter"], (name, slope, inter)
        expected_values = raw.astype(np.float64) * want["slope"] + want["inter"]
    else:
        assert img.dataobj.slope == 1.0 and img.dataobj.inter == 0.0, (name, img.dataobj.slope)
        # nibabel writes identity scaling (1, 0) for integer data, NaN (none) for floats
        assert (slope, inter) in ((None, None), (1.0, 0.0)), (name, slope, inter)
        expected_values = raw.astype(np.float64)
    assert np.array_equal(img.get_fdata(dtype=np.float64), expected_values), name
    if "axcodes" in want:
        assert nib.aff2axcodes(img.affine) == want["axcodes"], (name, nib.aff2axcodes(img.affine))
    if "ideal_affine" in want:
        # the qform is stored as float32 quaternion + pixdim; close but not exact
        assert np.allclose(img.affine, want["ideal_affine"], atol=1e-4), name
    if not path.endswith(".gz"):
        assert fortran_bytes_ok(path, raw, hdr.get_data_dtype()), name
    # check the magic / sizeof_hdr bytes directly
    opener = nib.openers.Opener(path, "rb")
    with opener as f:
        head = f.read(4)
    order = "big" if want.get("endianness", "<") == ">" else "little"
    assert int.from_bytes(head, order) == (540 if version == 2 else 348), (name, head)
    return img


def dump_expected(entries, path):
    """JSON with one line per field so diffs stay readable; floats use repr (full precision)."""
    lines = ["{"]
    names = list(entries)
    for n, name in enumerate(names):
        entry = entries[name]
        lines.append(f"  {json.dumps(name)}: {{")
        keys = list(entry)
        for m, key in enumerate(keys):
            value = entry[key]
            comma = "," if m < len(keys) - 1 else ""
            if key == "canonical":
                lines.append(f"    {json.dumps(key)}: {{")
                ckeys = list(value)
                for c, ck in enumerate(ckeys):
                    ccomma = "," if c < len(ckeys) - 1 else ""
                    lines.append(f"      {json.dumps(ck)}: {json.dumps(value[ck])}{ccomma}")
                lines.append(f"    }}{comma}")
            else:
                lines.append(f"    {json.dumps(key)}: {json.dumps(value)}{comma}")
        lines.append("  }" + ("," if n < len(names) - 1 else ""))
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # sanity
    with open(path, "w") as f:
        f.write(text)


def main(argv):
    if len(argv) > 2:
        sys.exit(f"usage: {argv[0]} [output_dir]")
    out = os.path.abspath(argv[1]) if len(argv) == 2 else DEFAULT_OUT
    os.makedirs(out, exist_ok=True)

    entries = {}
    for name, img, raw, want in build_fixtures():
        assert raw.shape == SHAPE, name
        assert name.startswith("uint8") or len(np.unique(raw)) == raw.size, name  # all distinct
        path = os.path.join(out, name)
        nib.save(img, path)
        loaded = check(path, name, raw, want)
        entries[name] = describe(loaded, path)

    dump_expected(entries, os.path.join(out, "expected.json"))

    print(f"nibabel {nib.__version__}, numpy {np.__version__} -> {out}")
    total = 0
    for name in list(entries) + ["expected.json"]:
        size = os.path.getsize(os.path.join(out, name))
        total += size
        if name == "expected.json":
            print(f"  {name:24s} {size:7d} B")
            continue
        e = entries[name]
        print(f"  {name:24s} {size:7d} B  v{e['nifti_version']} {e['dtype']:8s}{e['endianness']} "
              f"sform={e['sform_code']} qform={e['qform_code']} slope={e['slope']} inter={e['inter']} "
              f"axcodes={''.join(e['axcodes'])}")
    print(f"  total {total} B")


if __name__ == "__main__":
    main(sys.argv)
