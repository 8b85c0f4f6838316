"""Whole `lits` commands from Python: the bundled binary run as a subprocess with an argument
list (never a shell string), its progress lines (stderr) streamed to the notebook as they come,
and the output folder's summary file parsed.

    r = litskit.evaluate(pred="out/pred", truth="data/sample", out="reports/eval")
    r.summary["cases"][0]["liver"]["dice"]

Options are the CLI's: a keyword `some_option=value` becomes `--some-option value`; True
gives a bare flag, False and None leave it out; a list or tuple is joined with commas (W,H,D
sizes, filter lists).
"""
import json
import os
import shutil
import subprocess
import sys
import threading

from ._lib import LitsError

_HERE = os.path.dirname(os.path.abspath(__file__))

# The file each command leaves in its output folder that sums it up.
SUMMARY_FILES = {
    "eda": "data/summary.json",
    "qa": "data/qa.json",
    "preprocess": "manifest.json",
    "train": "best.json",
    "predict": "predictions.json",
    "evaluate": "data/evaluation.json",
}


def lits_binary():
    """The bundled `lits` (a wheel's litskit/bin), else $LITSKIT_LITS, else `lits` on the PATH,
    else a release build in the repository this file sits in."""
    candidates = [os.environ.get("LITSKIT_LITS"), os.path.join(_HERE, "bin", "lits"), shutil.which("lits"),
                  os.path.join(os.path.dirname(os.path.dirname(_HERE)), ".build", "release", "lits")]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise LitsError("the lits binary was not found (install the wheel that `make wheel` builds, or set LITSKIT_LITS)")


class CommandResult:
    """What a command left: its output folder, the parsed summary file (None when the command
    writes none or no folder), and its standard output."""

    def __init__(self, out, summary, stdout):
        self.out, self.summary, self.stdout = out, summary, stdout

    def __repr__(self):
        return f"CommandResult(out={self.out!r}, summary={'...' if self.summary is not None else None})"


def _options(options):
    args = []
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + key.rstrip("_").replace("_", "-")
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            args += [flag, ",".join(str(v) for v in value)]
        else:
            args += [flag, os.fspath(value) if isinstance(value, os.PathLike) else str(value)]
    return args


def run(command, *arguments, out=None, progress=True, **options):
    """Runs `lits COMMAND ARGUMENTS... [--out OUT] --OPTIONS...`. Progress lines go to
    sys.stderr as they come (Jupyter shows them under the cell) unless `progress=False`.
    Raises LitsError with the tool's `lits: error:` line when it fails."""
    argv = [lits_binary(), command] + [os.fspath(a) for a in arguments]
    if out is not None:
        argv += ["--out", os.fspath(out)]
    argv += _options(options)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    stderr_lines = []
    # stdout is read on a thread so that neither pipe can fill up and block the command.
    chunks = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True)
    reader.start()
    for line in proc.stderr:
        stderr_lines.append(line)
        if progress:
            sys.stderr.write(line)
            sys.stderr.flush()
    proc.wait()
    reader.join()
    stdout = "".join(chunks)
    if proc.returncode != 0:
        errors = [l.strip() for l in stderr_lines if l.startswith("lits: error:")]
        message = errors[-1] if errors else (stderr_lines[-1].strip() if stderr_lines else f"lits {command} failed")
        raise LitsError(f"{message} (exit {proc.returncode})")
    summary = None
    name = SUMMARY_FILES.get(command)
    if out is not None and name and os.path.isfile(os.path.join(out, name)):
        with open(os.path.join(out, name)) as f:
            summary = json.load(f)
    return CommandResult(os.fspath(out) if out is not None else None, summary, stdout)


def eda(*data, out, **options):
    """`lits eda DATA... --out OUT`: summary = data/summary.json."""
    return run("eda", *data, out=out, **options)


def qa_report(*data, out, **options):
    """`lits qa DATA... --out OUT` (the report; litskit.qa gives the findings in-process):
    summary = data/qa.json. QA findings of severity error make lits exit 1: that is raised."""
    return run("qa", *data, out=out, **options)


def preprocess(*data, out, **options):
    """`lits preprocess DATA... --out OUT`: summary = manifest.json."""
    return run("preprocess", *data, out=out, **options)


def train(data, out, **options):
    """`lits train DATA --out RUN`: summary = best.json."""
    return run("train", data, out=out, **options)


def predict(*data, run_folder, out, **options):
    """`lits predict --run RUN DATA... --out OUT`: summary = predictions.json."""
    return run("predict", *data, out=out, run=run_folder, **options)


def evaluate(pred, truth, out, **options):
    """`lits evaluate --pred PRED --truth TRUTH --out OUT`: summary = data/evaluation.json."""
    return run("evaluate", out=out, pred=pred, truth=truth, **options)
