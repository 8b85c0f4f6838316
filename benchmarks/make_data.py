#!/usr/bin/env python3
"""Build a LiTS-sized benchmark case from the real pancreas CT in the shared data.

The shared CT is 512x512x79 int16 (1.074, 1.074, 3.0 mm, LPS). We stack it along z
(forward, reversed, forward, ... so neighbouring slices stay continuous) up to
--slices slices (default 450, a typical LiTS depth) and keep its affine and header.
The label map is synthetic but plausible: a liver-like ellipsoid (label 1) over the
real liver of the first forward block (right upper abdomen) with two small tumour
spheres (label 2) inside it, so the case is a valid LiTS case (0 bg, 1 liver, 2 tumour).

A second case for the EDA / connected-component benchmarks uses the same CT with a
richer synthetic label map: a warped liver (an ellipsoid tapering to a left lobe, its
surface deformed by a smooth random field, plus one small detached liver fragment) holding
about 70 tumour lesions of 2 to 40 mm (ellipsoids, irregular unions of spheres, a few
pairs that touch each other and so form one 26-connected component). It is deterministic
(numpy Generator seeded with --seed, default 0).

Outputs (each case skipped when its files already exist):
  OUT/lits_sized/volume-0.nii, volume-0.nii.gz, segmentation-0.nii
  OUT/lits_sized_nii/{volume-0.nii, segmentation-0.nii}   (relative symlinks: a
                                                           dataset folder with one case)
  OUT/lits_sized_lesions/volume-1.nii      (relative symlink to ../lits_sized/volume-0.nii)
  OUT/lits_sized_lesions/segmentation-1.nii  (the warped liver with ~70 lesions)
"""
import argparse
import os
import sys

import cc3d
import nibabel as nib
import numpy as np
from scipy import ndimage

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)  # repo root = parent of benchmarks/


def save_atomic(img, path):
    """Write via a temporary name in the same folder (same extension), then rename,
    so an interrupted run never leaves a truncated file that looks complete."""
    tmp = os.path.join(os.path.dirname(path), ".tmp-" + os.path.basename(path))
    nib.save(img, tmp)
    os.replace(tmp, path)


def stacked_indices(nz, n):
    """0..nz-1, nz-1..0, 0..nz-1, ... truncated to n indices."""
    fwd = np.arange(nz)
    reps = -(-n // nz)  # ceil
    return np.concatenate([fwd if r % 2 == 0 else fwd[::-1] for r in range(reps)])[:n]


def ellipsoid(seg, centre, radii, label):
    """Set voxels inside an axis-aligned ellipsoid (voxel units) to label, touching
    only its bounding box."""
    lo = [max(0, int(c - r)) for c, r in zip(centre, radii)]
    hi = [min(s, int(c + r) + 1) for c, r, s in zip(centre, radii, seg.shape)]
    i, j, k = np.ogrid[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    inside = (((i - centre[0]) / radii[0]) ** 2 + ((j - centre[1]) / radii[1]) ** 2
              + ((k - centre[2]) / radii[2]) ** 2) <= 1.0
    seg[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]][inside] = label


# --- The 70-lesion case -------------------------------------------------------------
# Everything below works in a box of the volume around the liver, in millimetres
# (index * spacing), with the same axes as the LPS grid: +i patient left, +j posterior,
# +k superior.
LIVER_CENTRE = (196, 248, 35)  # voxel, over the real liver of the first forward block
LIVER_RADII_MM = (88.0, 68.0, 50.0)  # before tapering / warping
N_LESIONS = 70  # 26-connected components of label 2 in the result
N_TOUCHING = 4  # of which this many are two lesions touching each other


def warped_liver(ct, spacing, rng):
    """Liver mask (bool, full volume shape) and the box (tuple of slices) holding it."""
    shape = ct.shape
    sp = np.asarray(spacing, dtype=np.float64)
    c = np.asarray(LIVER_CENTRE)
    half = np.ceil(np.asarray(LIVER_RADII_MM) * 1.35 / sp).astype(int)
    lo = np.maximum(c - half, 0)
    hi = np.minimum(c + half + 1, shape)
    box = tuple(slice(a, b) for a, b in zip(lo, hi))
    x, y, z = np.ogrid[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    x = (x - c[0]) * sp[0]  # mm, + towards patient left
    y = (y - c[1]) * sp[1]  # + posterior
    z = (z - c[2]) * sp[2]  # + superior
    a, b, h = LIVER_RADII_MM
    # Left lobe: thinner (AP and SI) towards patient left; the right lobe is full.
    t = np.clip(x / a, 0.0, 1.0)
    taper = 1.0 - 0.6 * t ** 1.5
    # The right lobe reaches furthest down laterally and the inferior surface rises
    # towards the left; the dome is lower laterally (where the lung comes down).
    r = np.clip(-x / a, 0.0, 1.0)
    h_inf = h * (0.75 + 0.35 * r - 0.35 * t)
    h_sup = h * taper * (1.0 - 0.3 * r ** 2)
    zr = z - 6.0 * r
    f = (x / a) ** 2 + (y / (b * taper)) ** 2 + (zr / np.where(zr < 0, h_inf, h_sup)) ** 2
    # Smooth random warp of the surface: gaussian-filtered noise, ~15 mm correlation.
    noise = ndimage.gaussian_filter(rng.standard_normal(f.shape), sigma=15.0 / sp)
    f = f + 0.16 * noise / noise.std()
    # Posterior-medial notch (where the IVC / caudate sit): a shallow concavity.
    f = f + 0.35 * np.exp(-(((x + 10) / 25) ** 2 + ((y - b) / 25) ** 2 + (z / 60) ** 2))
    liver = f <= 1.0
    # The liver must not cover gas or lung of the real CT under it: cut out what is
    # below -200 HU there, grown by 2 voxels in-plane (impressions at the surface; one
    # gas pocket leaves a small enclosed background hole, as real labels sometimes have).
    low = np.asarray(ct[box]) < -200
    liver &= ~ndimage.binary_dilation(low, structure=np.ones((5, 5, 1), bool))
    # Keep the largest component, then add one small detached fragment (as LiTS labels
    # often have) below the inferior tip of the right lobe, at least 7.5 mm away.
    liver = cc3d.largest_k(liver, k=1, connectivity=26) > 0
    frag_c = np.array([-55.0, 10.0, 0.0])  # mm from the liver centre
    dist = ndimage.distance_transform_edt(~liver, sampling=sp)
    ii, jj, kk = np.ogrid[:liver.shape[0], :liver.shape[1], :liver.shape[2]]
    xx = (ii + lo[0] - c[0]) * sp[0]
    yy = (jj + lo[1] - c[1]) * sp[1]
    zz = (kk + lo[2] - c[2]) * sp[2]
    # Walk the fragment down until it is clear of the liver (>= 2 voxels gap).
    for dz in np.arange(-30.0, -200.0, -3.0):
        frag = (((xx - frag_c[0]) / 14) ** 2 + ((yy - frag_c[1]) / 11) ** 2
                + ((zz - (frag_c[2] + dz)) / 9) ** 2) <= 1.0
        if frag.any() and dist[frag].min() >= 2.5 * sp[2]:
            break
    frag &= ~ndimage.binary_dilation(low, structure=np.ones((5, 5, 1), bool))
    full = np.zeros(shape, dtype=bool)
    full[box] = liver | frag
    return full, box


def rasterise(centres_mm, radii_mm, box_shape, spacing):
    """Union of axis-aligned ellipsoids (mm, box coordinates) -> (slices, bool mask) over
    their joint bounding box, clipped to the box. An ellipsoid too small to contain a
    voxel centre still sets the voxel nearest its centre."""
    sp = np.asarray(spacing)
    centres_mm = np.asarray(centres_mm, dtype=np.float64)
    radii_mm = np.asarray(radii_mm, dtype=np.float64)
    lo = np.floor((centres_mm - radii_mm) / sp).min(axis=0).astype(int)
    hi = np.ceil((centres_mm + radii_mm) / sp).max(axis=0).astype(int) + 1
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, box_shape)
    sl = tuple(slice(a, b) for a, b in zip(lo, hi))
    i, j, k = np.ogrid[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    m = np.zeros(tuple(hi - lo), dtype=bool)
    for cm, rm in zip(centres_mm, radii_mm):
        m |= (((i * sp[0] - cm[0]) / rm[0]) ** 2 + ((j * sp[1] - cm[1]) / rm[1]) ** 2
              + ((k * sp[2] - cm[2]) / rm[2]) ** 2) <= 1.0
        v = np.rint(cm / sp).astype(int) - lo
        if np.all(v >= 0) and np.all(v < m.shape):
            m[tuple(v)] = True
    return sl, m


def lesion_shapes(rng):
    """N_LESIONS objects, each a list of (offset_mm, radii_mm) ellipsoids around its
    centre. Diameters 2..40 mm: d = 2 * 20**(u**2), u uniform, capped at 30 mm, plus one
    40 mm and one 2 mm lesion: many small lesions, a few large ones (median ~5 mm)."""
    n = N_LESIONS
    d = np.minimum(2.0 * 20.0 ** (rng.uniform(0.0, 1.0, size=n) ** 2), 30.0)
    d[:2] = [40.0, 2.0]  # make sure both ends are present
    d = np.sort(d)[::-1]
    kinds = np.array(["ellipsoid"] * n, dtype=object)
    # Irregular (union of spheres): about a fifth, among lesions >= 8 mm.
    big = np.flatnonzero(d >= 8.0)
    kinds[rng.choice(big, size=min(len(big), n // 5), replace=False)] = "irregular"
    # Touching pairs: among the remaining ellipsoids >= 5 mm.
    rest = np.flatnonzero((kinds == "ellipsoid") & (d >= 5.0))
    kinds[rng.choice(rest, size=N_TOUCHING, replace=False)] = "touching"
    shapes = []
    for di, kind in zip(d, kinds):
        r = di / 2.0
        main = (np.zeros(3), r * rng.uniform(0.85, 1.15, size=3))
        parts = [main]
        if kind == "irregular":
            for _ in range(rng.integers(2, 5)):
                u = rng.standard_normal(3)
                u /= np.linalg.norm(u)
                rs = r * rng.uniform(0.35, 0.7)
                parts.append((u * r * rng.uniform(0.55, 0.95), np.full(3, rs)))
        elif kind == "touching":
            # A second lesion, 0.3-0.8x the size, its surface just touching the first:
            # centre distance = sum of the radii along the direction, minus ~1 mm.
            u = rng.standard_normal(3)
            u[2] *= 0.3  # mostly side by side in-plane
            u /= np.linalg.norm(u)
            r2 = r * rng.uniform(0.3, 0.8)
            reach = 1.0 / np.sqrt(np.sum((u / main[1]) ** 2))  # main's radius along u
            parts.append((u * (reach + r2 - 1.0), np.full(3, r2)))
        shapes.append((float(di), kind, parts))
    return shapes


def lesion_labels(liver, box, spacing, rng):
    """Place the lesions in the liver: label map (uint8, 0/1/2) and a description list."""
    sp = np.asarray(spacing, dtype=np.float64)
    lbox = liver[box]
    depth = ndimage.distance_transform_edt(lbox, sampling=sp)  # mm to the liver surface
    tumour = np.zeros(lbox.shape, dtype=bool)
    placed = []
    for di, kind, parts in lesion_shapes(rng):
        extent = max(np.linalg.norm(o) + rr.max() for o, rr in parts)
        # Small lesions fully inside; large ones may reach the surface (then clipped).
        need = extent + 2.0 if di < 10 else max(0.55 * extent, 8.0)
        cand = np.flatnonzero(depth.ravel() >= need)
        ok = False
        for _ in range(400):
            v = np.array(np.unravel_index(cand[rng.integers(len(cand))], lbox.shape))
            centre = v * sp + (rng.uniform(-0.5, 0.5, size=3) * sp if di >= 5 else 0.0)
            sl, m = rasterise([centre + o for o, _ in parts], [rr for _, rr in parts],
                              lbox.shape, sp)
            m &= lbox[sl]
            if not m.any():
                continue
            # Keep every lesion separate from the others: no tumour voxel in the
            # 26-neighbourhood (a 1-voxel dilation) of the new one.
            grown = ndimage.binary_dilation(np.pad(m, 1), structure=np.ones((3, 3, 3), bool))
            gsl = tuple(slice(max(s.start - 1, 0), s.stop + 1) for s in sl)
            pad_lo = [1 - (s.start - g.start) for s, g in zip(sl, gsl)]
            g = grown[tuple(slice(p, p + (g.stop - g.start)) for p, g in zip(pad_lo, gsl))]
            if (tumour[gsl] & g).any():
                continue
            # A lesion must be one 26-connected piece after clipping to the liver.
            if cc3d.connected_components(m, connectivity=26).max() != 1:
                continue
            tumour[sl] |= m
            placed.append((di, kind, int(m.sum())))
            ok = True
            break
        if not ok:
            raise RuntimeError(f"make_data: could not place a {di:.1f} mm {kind} lesion")
    seg = np.zeros(liver.shape, dtype=np.uint8)
    seg[liver] = 1
    seg[box][tumour] = 2
    return seg, placed


def make_lesion_case(vol_nii, case_dir, seed):
    """segmentation-1.nii with the warped liver and ~70 lesions; volume-1.nii is a
    relative symlink to the CT of case 0."""
    os.makedirs(case_dir, exist_ok=True)
    vimg = nib.load(vol_nii)
    spacing = tuple(float(z) for z in vimg.header.get_zooms()[:3])
    rng = np.random.default_rng(seed)
    liver, box = warped_liver(vimg.dataobj, spacing, rng)
    seg, placed = lesion_labels(liver, box, spacing, rng)
    shdr = vimg.header.copy()
    shdr.set_data_dtype(np.uint8)
    save_atomic(nib.Nifti1Image(seg, vimg.affine, header=shdr),
                os.path.join(case_dir, "segmentation-1.nii"))
    link = os.path.join(case_dir, "volume-1.nii")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(os.path.join("..", os.path.basename(os.path.dirname(vol_nii)),
                            os.path.basename(vol_nii)), link)

    # Summary, from the written labels.
    vox_ml = float(np.prod(spacing)) / 1000.0
    counts = np.bincount(seg.ravel(), minlength=3)
    les = cc3d.connected_components(seg == 2, connectivity=26)
    n_les = int(les.max())
    n_les6 = int(cc3d.connected_components(seg == 2, connectivity=6).max())
    sizes = np.bincount(les.ravel())[1:]
    eq_d = 2.0 * (3.0 * sizes * np.prod(spacing) / (4.0 * np.pi)) ** (1.0 / 3.0)
    liv = cc3d.connected_components(seg >= 1, connectivity=26)
    lsz = np.bincount(liv.ravel())[1:]
    kinds = {k: sum(1 for p in placed if p[1] == k) for k in ("ellipsoid", "irregular", "touching")}
    zs = np.flatnonzero((seg >= 1).any(axis=(0, 1)))
    print(f"make_data: wrote {case_dir} seed={seed} labels(0,1,2)={counts.tolist()} "
          f"liver+tumour={counts[1:].sum() * vox_ml:.1f} mL tumour={counts[2] * vox_ml:.1f} mL "
          f"liver slices {zs[0]}..{zs[-1]}")
    print(f"make_data:   lesions placed={len(placed)} {kinds} (touching = a pair of lesions); "
          f"26-connected components={n_les} (6-connected: {n_les6}); "
          f"drawn diameters {min(p[0] for p in placed):.1f}..{max(p[0] for p in placed):.1f} mm; "
          f"voxels per component {sizes.min()}..{sizes.max()} (median {int(np.median(sizes))}); "
          f"equivalent-sphere diameter {eq_d.min():.1f}..{eq_d.max():.1f} mm "
          f"(median {np.median(eq_d):.1f}); liver components={len(lsz)} "
          f"(largest {lsz.max() / lsz.sum():.4f})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(BENCH, "data"))
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared", "data"),
                    help="shared data folder (default: ../shared/data from the repo root)")
    ap.add_argument("--slices", type=int, default=450)
    ap.add_argument("--seed", type=int, default=0, help="seed of the 70-lesion case")
    args = ap.parse_args()

    case = os.path.join(args.out, "lits_sized")
    nii_only = os.path.join(args.out, "lits_sized_nii")
    lesions = os.path.join(args.out, "lits_sized_lesions")
    vol_nii = os.path.join(case, "volume-0.nii")
    vol_gz = os.path.join(case, "volume-0.nii.gz")
    seg_nii = os.path.join(case, "segmentation-0.nii")
    links = [os.path.join(nii_only, n) for n in ("volume-0.nii", "segmentation-0.nii")]
    lesion_files = [os.path.join(lesions, n) for n in ("volume-1.nii", "segmentation-1.nii")]

    if all(os.path.exists(p) for p in [vol_nii, vol_gz, seg_nii] + links):
        print(f"make_data: up to date ({case})")
    else:
        make_case0(args, case, nii_only, vol_nii, vol_gz, seg_nii, links)

    if all(os.path.exists(p) for p in lesion_files):
        print(f"make_data: up to date ({lesions})")
    else:
        make_lesion_case(vol_nii, lesions, args.seed)
    return 0


def make_case0(args, case, nii_only, vol_nii, vol_gz, seg_nii, links):
    src_path = os.path.join(args.shared, "pancreas-ct", "ct.nii.gz")
    if not os.path.exists(src_path):
        sys.exit(f"make_data: missing {src_path} (pass --shared DIR)")
    src = nib.load(src_path)
    data = np.asanyarray(src.dataobj)  # raw int16, no scaling
    if data.dtype != np.int16:
        sys.exit(f"make_data: expected int16 CT, got {data.dtype}")
    os.makedirs(case, exist_ok=True)
    os.makedirs(nii_only, exist_ok=True)

    # CT: stack along z, same affine and header (dtype int16, qform/sform codes).
    vol = np.ascontiguousarray(np.take(data, stacked_indices(data.shape[2], args.slices), axis=2))
    vimg = nib.Nifti1Image(vol, src.affine, header=src.header)
    save_atomic(vimg, vol_nii)
    save_atomic(vimg, vol_gz)

    # Labels. In this LPS grid +i is patient left, +j posterior, +k superior; the liver
    # of the source sits around i~190, j~245, slices ~20..55 (the first forward block).
    seg = np.zeros(vol.shape, dtype=np.uint8)
    ellipsoid(seg, (190, 245, 38), (70, 55, 18), 1)  # ~150x118x108 mm liver
    ellipsoid(seg, (170, 230, 36), (8, 8, 3), 2)     # ~17 mm tumour
    ellipsoid(seg, (215, 265, 44), (5, 5, 2), 2)     # ~11 mm tumour
    shdr = src.header.copy()
    shdr.set_data_dtype(np.uint8)
    save_atomic(nib.Nifti1Image(seg, src.affine, header=shdr), seg_nii)

    # The one-case .nii dataset folder: relative symlinks into lits_sized/.
    for link in links:
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.path.join("..", "lits_sized", os.path.basename(link)), link)

    counts = np.bincount(seg.ravel(), minlength=3)
    print(f"make_data: wrote {case} shape={vol.shape} dtype={vol.dtype} "
          f"zooms={tuple(float(z) for z in src.header.get_zooms())} "
          f"labels(0,1,2)={counts.tolist()}")


if __name__ == "__main__":
    sys.exit(main())
