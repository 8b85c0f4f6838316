#!/usr/bin/env python3
"""Writes the DICOM fixture series of `lits import-dicom`'s tests, and what each must read back as.

Run: python3 -m venv /tmp/venv-dicom && /tmp/venv-dicom/bin/pip install pydicom nibabel numpy
     /tmp/venv-dicom/bin/python scripts/make_dicom_fixtures.py Tests/LiTSDICOMTests/Fixtures/dicom

A small synthetic volume (16 x 12 pixels x 6 slices, NIfTI order [i, j, k]) and its RAS affine are
the ground truth. Each slice k is written by pydicom as a single-frame CT file: rows are j, columns
are i, Image Position (Patient) is the LPS centre of voxel (0, 0, k), Image Orientation (Patient)
the LPS directions of i and j. The expected grid and HU are checked here against nibabel's DICOM wrappers
(their per-slice LPS affine, negated in x and y as dcm2niix and SimpleITK do), and written with the
expected voxels to expected-<series>.json; the Swift tests compare lits's NIfTI output to it.
Series:
  axial_reversed   axial, file names in reverse slice order; mask_liver, mask_tumor1, mask_tumor2
                   are mask series (0/255, forward file order) on its grid
  oblique          rotated slice planes, shuffled file names, unsigned pixels, slope 0.5
  rle              axial_reversed's slices in RLE Lossless (a compressed syntax GDCM decodes)
  gap              axial with slice 3 missing                    -> refused
  duplicate        axial with one slice written twice             -> refused
  two_series       two series in one folder                       -> refused
  mask_shifted     a mask series 1 mm off the CT's grid           -> refused
  undecodable      pixel data in a transfer syntax GDCM 3.0 has no codec for (HTJ2K) -> refused
"""
import json
import os
import shutil
import sys
import warnings

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, RLELossless, generate_uid

warnings.filterwarnings("ignore", message="The DICOM readers are highly experimental")
import nibabel as nib  # noqa: E402
import nibabel.nicom.dicomwrappers as wrappers  # noqa: E402

NX, NY, NZ = 16, 12, 6
SPACING = (0.75, 0.8, 2.5)  # i (between columns), j (between rows), k (between slices), mm


def uid(*parts):
    return generate_uid(entropy_srcs=["litskit-dicom-fixture", *parts])


def stored_volume():
    """Stored values [i, j, k]: a gradient plus a bright block, distinct along every axis."""
    i, j, k = np.meshgrid(np.arange(NX), np.arange(NY), np.arange(NZ), indexing="ij")
    v = 30 * i + 7 * j + 200 * k
    v[4:9, 3:7, 2:5] += 900
    return v.astype(np.int32)


def masks():
    """Liver and two tumour masks [i, j, k] (True inside)."""
    liver = np.zeros((NX, NY, NZ), bool)
    liver[2:12, 2:10, 1:5] = True
    t1 = np.zeros_like(liver)
    t1[4:7, 3:6, 2:4] = True
    t2 = np.zeros_like(liver)
    t2[9:11, 7:9, 3:5] = True
    t2[12, 9, 3] = True  # a tumour voxel outside the liver mask is still 2 (LiTS tumour is liver too)
    return liver, t1, t2


def rotation(ax, ay):
    cx, sx, cy, sy = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    return ry @ rx


def lps_affine(directions, origin):
    """LPS affine: columns are the i, j, k directions (unit, LPS) times the spacing."""
    a = np.eye(4)
    a[:3, :3] = directions * np.array(SPACING)
    a[:3, 3] = origin
    return a


AXIAL = lps_affine(np.eye(3), np.array([-6.0, -4.5, 100.0]))
OBLIQUE = lps_affine(rotation(np.deg2rad(20), np.deg2rad(-12)), np.array([10.0, -20.0, -35.5]))


def slice_dataset(series, series_uid, affine, k, values, unsigned=False, slope=1.0, intercept=-1024.0,
                  bits=16, ts=ExplicitVRLittleEndian):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = uid(series, series_uid, str(k))
    ds.file_meta.TransferSyntaxUID = ts
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.PatientName = "LiTSKit^Fixture"
    ds.PatientID = "litskit-fixture"
    ds.StudyInstanceUID = uid("study")
    ds.SeriesInstanceUID = series_uid
    ds.InstanceNumber = k + 1
    origin = affine[:3, :3] @ np.array([0, 0, k]) + affine[:3, 3]
    ds.ImagePositionPatient = [f"{x:.6f}" for x in origin]
    cosines = affine[:3, :2] / np.array(SPACING[:2])
    ds.ImageOrientationPatient = [f"{x:.8f}" for x in np.concatenate([cosines[:, 0], cosines[:, 1]])]
    ds.PixelSpacing = [f"{SPACING[1]}", f"{SPACING[0]}"]  # between rows, between columns
    ds.SliceThickness = f"{SPACING[2]}"
    ds.RescaleSlope = f"{slope}"
    ds.RescaleIntercept = f"{intercept}"
    ds.Rows, ds.Columns = NY, NX
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = bits
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0 if unsigned or bits == 8 else 1
    dtype = {8: np.uint8, 16: np.uint16 if unsigned else np.int16}[bits]
    pixels = np.ascontiguousarray(values[:, :, k].T.astype(dtype))  # rows are j, columns are i
    ds.PixelData = pixels.tobytes()
    if ts == RLELossless:
        ds.compress(RLELossless, pixels, encoding_plugin="pydicom", generate_instance_uid=False)
    return ds


def write_series(folder, name, affine, volume, order, series_uid=None, **kw):
    os.makedirs(folder, exist_ok=True)
    series_uid = series_uid or uid(name)
    for file_index, k in enumerate(order):
        ds = slice_dataset(name, series_uid, affine, k, volume, **kw)
        ds.save_as(os.path.join(folder, f"IM{file_index:04d}"), enforce_file_format=True)
    return series_uid


def check_with_nibabel(folder, ras, hu):
    """nibabel's DICOM wrappers read the folder's slices to the same world grid and HU.

    nibabel stacks its own way (voxel axes row, column, slice along its normal), so both volumes
    are compared after nibabel's as_closest_canonical, which leaves one grid in one voxel order.
    """
    ws = [wrappers.wrapper_from_data(pydicom.dcmread(os.path.join(folder, f))) for f in sorted(os.listdir(folder))]
    ws.sort(key=lambda w: w.slice_indicator)
    step = (ws[-1].slice_indicator - ws[0].slice_indicator) / (len(ws) - 1)
    lps = ws[0].affine.copy()  # of the first slice along nibabel's normal; columns: row, column, normal
    lps[:3, 2] = ws[0].slice_normal * step
    theirs = nib.Nifti1Image(np.stack([w.get_data() for w in ws], axis=-1), np.diag([-1, -1, 1, 1]) @ lps)
    ours = nib.Nifti1Image(hu, ras)
    a, b = nib.as_closest_canonical(theirs), nib.as_closest_canonical(ours)
    assert np.allclose(a.affine, b.affine, atol=1e-5), (a.affine, b.affine)
    assert np.array_equal(np.asarray(a.dataobj), np.asarray(b.dataobj))


def expected(path, affine_lps, hu, labels=None):
    ras = np.diag([-1, -1, 1, 1]) @ affine_lps
    record = {"shape": [NX, NY, NZ], "affine": ras.tolist(),
              # voxels in NIfTI order: i fastest, then j, then k
              "hu": [float(x) for x in hu.flatten(order="F")]}
    if labels is not None:
        record["labels"] = [int(x) for x in labels.flatten(order="F")]
    with open(path, "w") as f:
        json.dump(record, f, indent=None)
        f.write("\n")
    return ras


def main(out):
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    v = stored_volume()
    liver, t1, t2 = masks()
    reverse, forward = list(range(NZ))[::-1], list(range(NZ))

    write_series(f"{out}/axial_reversed", "axial", AXIAL, v, reverse)
    for name, m in [("mask_liver", liver), ("mask_tumor1", t1), ("mask_tumor2", t2)]:
        write_series(f"{out}/{name}", name, AXIAL, m.astype(np.int32) * 255, forward, bits=8, slope=1, intercept=0)
    labels = np.where(t1 | t2, 2, np.where(liver, 1, 0))
    ras = expected(f"{out}/expected-axial_reversed.json", AXIAL, v - 1024.0, labels)
    check_with_nibabel(f"{out}/axial_reversed", ras, v - 1024.0)

    shuffled = [3, 0, 5, 1, 4, 2]
    write_series(f"{out}/oblique", "oblique", OBLIQUE, v, shuffled, unsigned=True, slope=0.5, intercept=-1000)
    ras = expected(f"{out}/expected-oblique.json", OBLIQUE, v * 0.5 - 1000.0)
    check_with_nibabel(f"{out}/oblique", ras, v * 0.5 - 1000.0)

    write_series(f"{out}/rle", "rle", AXIAL, v, reverse, ts=RLELossless)
    expected(f"{out}/expected-rle.json", AXIAL, v - 1024.0)

    write_series(f"{out}/gap", "gap", AXIAL, v, [0, 1, 2, 4, 5])
    write_series(f"{out}/duplicate", "duplicate", AXIAL, v, [0, 1, 2, 3, 3, 4, 5])
    write_series(f"{out}/two_series", "two_a", AXIAL, v, [0, 1, 2], series_uid=uid("two", "a"))
    os.makedirs(f"{out}/two_series/b")
    write_series(f"{out}/two_series/b", "two_b", AXIAL, v, [3, 4, 5], series_uid=uid("two", "b"))
    for f in sorted(os.listdir(f"{out}/two_series/b")):
        os.rename(f"{out}/two_series/b/{f}", f"{out}/two_series/B{f}")
    os.rmdir(f"{out}/two_series/b")

    shifted = AXIAL.copy()
    shifted[0, 3] += 1.0
    write_series(f"{out}/mask_shifted", "mask_shifted", shifted, liver.astype(np.int32) * 255, forward,
                 bits=8, slope=1, intercept=0)

    # HTJ2K (DICOM 2023): GDCM 3.0 has no codec for it. The frames are placeholders.
    os.makedirs(f"{out}/undecodable")
    for k in range(2):
        ds = slice_dataset("undecodable", uid("undecodable"), AXIAL, k, v)
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.201"
        ds.PixelData = encapsulate([b"\xff\x4f\xff\x51" + bytes(60)])
        ds["PixelData"].VR = "OB"
        ds.save_as(f"{out}/undecodable/IM{k:04d}", enforce_file_format=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/LiTSDICOMTests/Fixtures/dicom")
