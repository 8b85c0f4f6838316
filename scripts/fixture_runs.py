"""Run-length encoding of a boolean mask for the JSON fixtures: (start, length) pairs over the
flat voxel index in Fortran order (i fastest), as the Swift tests decode them (fixtureMask)."""
import numpy as np


def runs(mask):
    flat = mask.flatten(order="F").astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flat, [0]])))
    out = []
    for start, stop in zip(edges[::2], edges[1::2]):
        out += [int(start), int(stop - start)]
    return out
