#!/usr/bin/env python3
"""Checks `lits export nnunet` with nnU-Net's own integrity check.

Writes a small phantom LiTS dataset (nibabel: a .nii.gz case, a .nii case to be gzipped, an
LPS case, a case to --exclude, a test case without labels), exports it with the built `lits`
into nnUNet_raw/Dataset501_Liver, and runs nnU-Net v2's
verify_dataset_integrity (what `nnUNetv2_plan_and_preprocess --verify_dataset_integrity` runs)
on it. Exit 0 when nnU-Net accepts the folder.

    python3 -m venv /tmp/venv-nnunet && /tmp/venv-nnunet/bin/pip install nnunetv2
    /tmp/venv-nnunet/bin/python scripts/check_nnunet_export.py [.build/debug/lits]
"""
import os
import subprocess
import sys
import tempfile

import nibabel as nib
import numpy as np
from nnunetv2.experiment_planning.verify_dataset_integrity import verify_dataset_integrity


def phantom(shape, affine):
    """Air, a body, a liver ellipsoid (1) with a tumour sphere (2) inside."""
    i, j, k = np.meshgrid(*[np.linspace(-0.5, 0.5, n) for n in shape], indexing="ij")
    ct = np.full(shape, -1000, np.int16)
    ct[i**2 + j**2 < 0.2] = 30
    labels = np.zeros(shape, np.uint8)
    liver = ((i + 0.15) / 0.2) ** 2 + (j / 0.25) ** 2 + ((k - 0.1) / 0.3) ** 2 < 1
    tumour = ((i + 0.15) / 0.06) ** 2 + (j / 0.08) ** 2 + ((k - 0.1) / 0.15) ** 2 < 1
    ct[liver], labels[liver] = 80, 1
    ct[tumour], labels[tumour] = 30, 2
    return nib.Nifti1Image(ct, affine), nib.Nifti1Image(labels, affine)


def main():
    lits = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/lits")
    work = tempfile.mkdtemp(prefix="litskit-nnunet-")
    data = os.path.join(work, "lits")
    os.makedirs(data)
    ras = np.diag([8.0, 8.0, 10.0, 1.0])
    lps = np.diag([-8.0, -8.0, 10.0, 1.0])
    lps[:3, 3] = [150, 120, -200]
    cases = [(1, ras, "nii.gz"), (2, ras, "nii"), (3, lps, "nii.gz"), (4, ras, "nii.gz")]
    for n, affine, ext in cases:
        ct, seg = phantom((40, 36, 24 + n), affine)
        nib.save(ct, f"{data}/volume-{n}.{ext}")
        nib.save(seg, f"{data}/segmentation-{n}.{ext}")
    ct, _ = phantom((40, 36, 20), ras)
    nib.save(ct, f"{data}/test-volume-5.nii.gz")

    out = os.path.join(work, "nnUNet_raw", "Dataset501_Liver")
    subprocess.run([lits, "export", "nnunet", data, "--out", out, "--exclude", "4"], check=True)
    print("exported:", sorted(os.listdir(os.path.join(out, "imagesTr"))), sorted(os.listdir(os.path.join(out, "labelsTr"))))
    # Raises (or exits) on any problem nnU-Net finds.
    verify_dataset_integrity(out, num_processes=1)
    print("nnU-Net verify_dataset_integrity: passed on", out)


if __name__ == "__main__":
    main()
