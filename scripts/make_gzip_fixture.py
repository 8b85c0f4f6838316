"""What nibabel, zlib, `gzip -t` and SimpleITK read from a multi-member .nii.gz written by LiTSKit.

Writes Tests/LiTSCoreTests/Fixtures/gzip/multimember.nii.gz (LiTSKit's bytes: a header member
and 16 KiB voxel members, exported by the Swift test) and nibabel_view.json: shape, dtype,
affine, sum, one voxel, the number of gzip members, and whether `gzip -t`, Python's zlib and
SimpleITK (when importable) read the same voxels as nibabel.

Run:
  LITSKIT_EXPORT_GZIP=/tmp/multimember.nii.gz swift test --disable-swift-testing --filter GzipWholeTests
  /work/venv-deflate/bin/python scripts/make_gzip_fixture.py /tmp/multimember.nii.gz
"""
import json
import pathlib
import shutil
import subprocess
import sys
import zlib

import nibabel as nib
import numpy as np

src = pathlib.Path(sys.argv[1])
out = pathlib.Path("Tests/LiTSCoreTests/Fixtures/gzip")
out.mkdir(parents=True, exist_ok=True)
path = out / "multimember.nii.gz"
shutil.copy(src, path)
img = nib.load(path)
data = np.asarray(img.dataobj)

# Members, one by one, with zlib (wbits 31: one gzip member per decompressobj).
raw, rest, members = b"", path.read_bytes(), 0
while rest:
    d = zlib.decompressobj(31)
    raw += d.decompress(rest)
    assert d.eof, "member cut short"
    rest, members = d.unused_data, members + 1
offset = img.dataobj.offset
zlib_data = np.frombuffer(raw[offset:], dtype="<i2").reshape(data.shape, order="F")

view = {
    "nibabel": nib.__version__,
    "shape": list(data.shape), "dtype": str(data.dtype),
    "affine": img.affine.tolist(),
    "sum": int(data.astype(np.int64).sum()),
    "value_at_7_5_3": int(data[7, 5, 3]),
    "members": members,
    "gzip_t": subprocess.run(["gzip", "-t", str(path)]).returncode == 0,
    "zlib_equal": bool(np.array_equal(zlib_data, data)),
}
try:
    import SimpleITK as sitk
    arr = sitk.GetArrayFromImage(sitk.ReadImage(str(path)))  # z, y, x
    view["simpleitk"] = sitk.Version_VersionString()
    view["simpleitk_equal"] = bool(np.array_equal(arr.transpose(2, 1, 0), data))
except ImportError:
    pass
(out / "nibabel_view.json").write_text(json.dumps(view, indent=1) + "\n")
print(json.dumps(view))
