#!/usr/bin/env python3
"""Executes a Jupyter notebook with nbclient (cells run in order in a fresh kernel, from the
repository root) and writes the executed copy; exits non-zero when any cell fails.

    scripts/run_notebook.py notebooks/05-python.ipynb out/check/05-python.ipynb
"""
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main():
    source, target = sys.argv[1], sys.argv[2]
    nb = nbformat.read(source, as_version=4)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": root}})
    try:
        client.execute()
    except CellExecutionError as e:
        print(f"{source}: a cell failed:\n{e}", file=sys.stderr)
        sys.exit(1)
    finally:
        os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
        nbformat.write(nb, target)
    print(f"{source}: {len(nb.cells)} cells executed, written to {target}")


if __name__ == "__main__":
    main()
