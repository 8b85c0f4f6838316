#!/usr/bin/env python3
"""Generate tiny MRC fixtures for the LiTSKit Swift MRC reader tests.

What it produces (default output folder: Tests/LiTSCoreTests/Fixtures/mrc/):

  tiny_img.mrc   mode 2 (float32), nx=5, ny=4, nz=3, non-integer values
  tiny_lab.mrc   mode 6 (uint16),  nx=5, ny=4, nz=3, labels in {0, 1, 2}
  expected.json  per file: shape [nx, ny, nz], mode, the header fields written,
                 and the voxel values as a flat list in file order (x fastest,
                 then y, then z)

The layout mirrors the sample volumes img_117.mrc / lab_117.mrc shipped in the
PyPI package liver-ct-segmentation-package 1.6.0 (written by mrcfile.py):
a 1024-byte little-endian MRC2014 header, no extended header, then raw voxels.

  bytes   0..11   int32 nx, ny, nz
  bytes  12..15   int32 mode (2 = float32, 6 = uint16)
  bytes  16..27   int32 nxstart, nystart, nzstart = 0
  bytes  28..39   int32 mx, my, mz = nx, ny, nz
  bytes  40..51   float32 cell dimensions = 0, 0, 0 (as in the sample files)
  bytes  52..63   float32 cell angles = 90, 90, 90
  bytes  64..75   int32 mapc, mapr, maps = 1, 2, 3
  bytes  76..87   float32 dmin, dmax, dmean
  bytes  88..91   int32 ispg = 1
  bytes  92..95   int32 nsymbt = 0 (extended header length)
  bytes 108..111  int32 nversion = 20140
  bytes 196..207  float32 origin = 0, 0, 0
  bytes 208..211  'MAP '
  bytes 212..215  machine stamp 0x44 0x44 0x00 0x00 (little-endian)
  bytes 216..219  float32 rms
  bytes 220..223  int32 nlabl = 1
  bytes 224..303  first 80-character label
  bytes 1024..    voxels, x fastest

Only the Python standard library is needed; the output is deterministic, so
rerunning gives byte-identical files.

How to run (from the repository root):

    python3 -m venv .venv && .venv/bin/pip install nibabel numpy && .venv/bin/python scripts/make_mrc_fixture.py

(any python3 works; nibabel/numpy are not used). An optional single argument
names a different output folder.
"""

import json
import math
import os
import struct
import sys

NX, NY, NZ = 5, 4, 3
HEADER_BYTES = 1024
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, "Tests", "LiTSCoreTests", "Fixtures", "mrc")
LABEL = b"Created by LiTSKit scripts/make_mrc_fixture.py (tiny test fixture)"


def f32(x):
    """Round a Python float to float32 precision."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def voxels_in_file_order(fn):
    return [fn(x, y, z) for z in range(NZ) for y in range(NY) for x in range(NX)]


def img_value(x, y, z):
    # distinct, non-symmetric, exactly representable in float32 (multiples of 1/8)
    return 1.5 * x + 10.25 * y + 100.125 * z - 50.375


def lab_value(x, y, z):
    return (x * x + y + 2 * z + (x * y) // 2) % 3


def header(mode, values):
    n = len(values)
    dmin, dmax = float(min(values)), float(max(values))
    dmean = f32(sum(values) / n)
    rms = f32(math.sqrt(sum((v - dmean) ** 2 for v in values) / n))
    h = bytearray(HEADER_BYTES)
    struct.pack_into("<4i", h, 0, NX, NY, NZ, mode)
    struct.pack_into("<3i", h, 16, 0, 0, 0)          # nxstart, nystart, nzstart
    struct.pack_into("<3i", h, 28, NX, NY, NZ)       # mx, my, mz
    struct.pack_into("<3f", h, 40, 0.0, 0.0, 0.0)    # cell dimensions (0 in the sample files)
    struct.pack_into("<3f", h, 52, 90.0, 90.0, 90.0)  # cell angles
    struct.pack_into("<3i", h, 64, 1, 2, 3)          # mapc, mapr, maps
    struct.pack_into("<3f", h, 76, dmin, dmax, dmean)
    struct.pack_into("<i", h, 88, 1)                 # ispg
    struct.pack_into("<i", h, 92, 0)                 # nsymbt
    struct.pack_into("<i", h, 108, 20140)            # nversion
    struct.pack_into("<3f", h, 196, 0.0, 0.0, 0.0)   # origin
    h[208:212] = b"MAP "
    h[212:216] = bytes([0x44, 0x44, 0x00, 0x00])
    struct.pack_into("<f", h, 216, rms)
    struct.pack_into("<i", h, 220, 1)                # nlabl
    h[224:224 + 80] = LABEL.ljust(80, b" ")
    fields = {
        "nxstart": [0, 0, 0], "mxyz": [NX, NY, NZ], "cella": [0.0, 0.0, 0.0],
        "cellb": [90.0, 90.0, 90.0], "mapcrs": [1, 2, 3],
        "dmin": dmin, "dmax": dmax, "dmean": dmean, "ispg": 1, "nsymbt": 0,
        "nversion": 20140, "origin": [0.0, 0.0, 0.0], "map": "MAP ",
        "machst": [0x44, 0x44, 0, 0], "rms": rms, "nlabl": 1,
    }
    return bytes(h), fields


def write(path, mode, values):
    fmt = {2: "<%df", 6: "<%dH"}[mode] % len(values)
    hdr, fields = header(mode, values)
    blob = hdr + struct.pack(fmt, *values)
    with open(path, "wb") as f:
        f.write(blob)
    # reload and check
    with open(path, "rb") as f:
        back = f.read()
    assert len(back) == HEADER_BYTES + len(values) * (4 if mode == 2 else 2)
    assert struct.unpack_from("<4i", back, 0) == (NX, NY, NZ, mode)
    assert struct.unpack_from("<i", back, 92)[0] == 0
    assert back[208:212] == b"MAP " and back[212:216] == b"\x44\x44\x00\x00"
    assert list(struct.unpack_from(fmt, back, HEADER_BYTES)) == list(values)
    return fields


def main(argv):
    if len(argv) > 2:
        sys.exit(f"usage: {argv[0]} [output_dir]")
    out = os.path.abspath(argv[1]) if len(argv) == 2 else DEFAULT_OUT
    os.makedirs(out, exist_ok=True)

    img = voxels_in_file_order(img_value)
    assert all(f32(v) == v for v in img) and len(set(img)) == len(img)
    lab = voxels_in_file_order(lab_value)
    assert set(lab) == {0, 1, 2}

    expected = {}
    for name, mode, dtype, values in (("tiny_img.mrc", 2, "float32", img),
                                      ("tiny_lab.mrc", 6, "uint16", lab)):
        fields = write(os.path.join(out, name), mode, values)
        expected[name] = {
            "shape": [NX, NY, NZ],
            "mode": mode,
            "dtype": dtype,
            "header_bytes": HEADER_BYTES,
            "header": fields,
            "order": "file order: x fastest, then y, then z",
            "data": [float(v) if mode == 2 else int(v) for v in values],
        }

    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")

    print(f"MRC fixtures -> {out}")
    for name in list(expected) + ["expected.json"]:
        print(f"  {name:14s} {os.path.getsize(os.path.join(out, name)):6d} B")


if __name__ == "__main__":
    main(sys.argv)
