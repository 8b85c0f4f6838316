"""Writes Tests/LiTSTrainingTests/Fixtures/kfold.json: nnU-Net's cross-validation folds for
several lists of case ids, as nnU-Net computes them (nnunetv2's generate_crossval_split: the ids
sorted with np.sort, then scikit-learn's KFold(n_splits=K, shuffle=True, random_state=12345)),
for FoldSplitTests to compare with LiTSKit's FoldSplits.kFold.

    python3 -m venv /tmp/venv-kfold && /tmp/venv-kfold/bin/pip install scikit-learn numpy
    /tmp/venv-kfold/bin/python scripts/make_kfold_fixture.py
"""
import json
import os

import numpy as np
import sklearn
from sklearn.model_selection import KFold


def folds(ids, k):
    keys = list(np.sort(ids))
    out = []
    for train, val in KFold(n_splits=k, shuffle=True, random_state=12345).split(keys):
        out.append({"train": [str(keys[i]) for i in train], "val": [str(keys[i]) for i in val]})
    return out


lists = []
# LiTS case ids as LiTSKit reads them (volume-N.nii -> "N"), in a scrambled order.
for n in list(range(2, 21)) + [131]:
    ids = [str(i) for i in range(n)]
    ids = ids[::-1] if n % 2 else ids
    for k in (2, 3, 4, 5):
        if k <= n:
            lists.append({"ids": ids, "k": k, "folds": folds(ids, k)})
# MSD / nnU-Net identifiers and mixed names (code-point order: capitals before lower case).
for ids in (["liver_%03d" % i for i in (3, 1, 10, 7, 0, 12, 5)], ["b", "B", "a10", "a2", "A", "z", "_x", "9"]):
    for k in (2, 3, 5):
        lists.append({"ids": ids, "k": k, "folds": folds(ids, k)})

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "Tests", "LiTSTrainingTests", "Fixtures", "kfold.json")
with open(path, "w") as f:
    json.dump({"generator": "scikit-learn %s KFold(shuffle=True, random_state=12345) on np.sort(ids), numpy %s"
               % (sklearn.__version__, np.__version__), "cases": lists}, f, indent=1)
    f.write("\n")
print(path, len(lists), "lists")
