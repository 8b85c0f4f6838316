"""What nibabel reads from a segmentation written by LiTSKit.

Writes Tests/LiTSCoreTests/Fixtures/roundtrip/prediction.nii (LiTSKit's bytes, exported by the
Swift test) and nibabel_view.json: shape, dtype, affine, axis codes, label counts, one voxel, and
whether nibabel's own re-save reads back identical.

Run:
  LITSKIT_EXPORT_ROUNDTRIP=/tmp/prediction.nii swift test --filter NibabelRoundTripTests   # may fail the byte check the first time
  .venv/bin/python scripts/make_roundtrip_fixture.py /tmp/prediction.nii
"""
import json
import pathlib
import shutil
import sys
import tempfile

import nibabel as nib
import numpy as np

src = pathlib.Path(sys.argv[1])
out = pathlib.Path("Tests/LiTSCoreTests/Fixtures/roundtrip")
out.mkdir(parents=True, exist_ok=True)
shutil.copy(src, out / "prediction.nii")
img = nib.load(out / "prediction.nii")
data = np.asarray(img.dataobj)
with tempfile.TemporaryDirectory() as tmp:
    nib.save(img, f"{tmp}/resaved.nii.gz")
    back = nib.load(f"{tmp}/resaved.nii.gz")
    resaved_equal = bool(np.array_equal(np.asarray(back.dataobj), data) and np.allclose(back.affine, img.affine))
values, counts = np.unique(data, return_counts=True)
view = {
    "nibabel": nib.__version__,
    "shape": list(data.shape), "dtype": str(data.dtype),
    "affine": img.affine.tolist(), "axcodes": list(nib.aff2axcodes(img.affine)),
    "label_counts": {str(int(v)): int(c) for v, c in zip(values, counts)},
    "value_at_2_3_2": int(data[2, 3, 2]),
    "resaved_equal": resaved_equal,
}
(out / "nibabel_view.json").write_text(json.dumps(view, indent=1))
print(json.dumps(view))
