"""litskit: LiTSKit for Python (liver CT in the LiTS layout).

Array functions run in-process in liblitskit.so (Swift, through ctypes; the GIL is released
during each call): load, save, components, metrics, lits_scores, liver_regions, per_third_dice,
evaluate_case, qa. The commands (eda, qa, preprocess, train, predict, evaluate) run the bundled
`lits` binary: litskit.commands / litskit.run.
"""
from ._lib import LitsError, LIBRARY_PATH, version as _version
from .arrays import (load, save, components, metrics, lits_scores, liver_regions, per_third_dice,
                     evaluate_case, qa)
from .commands import run, eda, qa_report, preprocess, train, predict, evaluate, lits_binary, CommandResult

__version__ = _version()

__all__ = ["LitsError", "load", "save", "components", "metrics", "lits_scores", "liver_regions",
           "per_third_dice", "evaluate_case", "qa", "run", "eda", "qa_report", "preprocess", "train",
           "predict", "evaluate", "lits_binary", "CommandResult", "__version__"]
