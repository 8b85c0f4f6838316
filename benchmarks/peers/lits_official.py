#!/usr/bin/env python3
"""The official LiTS scoring program (PatrickChrist/lits-challenge-scoring, program/evaluate.py)
on FOLDER/{ref,res}, with the compatibility edits of scripts/lits_scoring_fixtures.py (applied
to a temporary copy). Prints the wall time of the scoring run (imports excluded) and its
scores.txt; run it under /usr/bin/time -v for the peak memory.

  python benchmarks/peers/lits_official.py CHECKOUT benchmarks/data/lits_protocol/official
"""
import importlib.util
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    checkout, folder = sys.argv[1], sys.argv[2]
    spec = importlib.util.spec_from_file_location("lits_scoring_fixtures", os.path.join(ROOT, "scripts", "lits_scoring_fixtures.py"))
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    with tempfile.TemporaryDirectory() as tmp:
        program = fixtures.patched_program(checkout, tmp)
        out = os.path.join(tmp, "scoring")
        os.makedirs(out)
        for side in ["ref", "res"]:
            os.symlink(os.path.abspath(os.path.join(folder, side)), os.path.join(out, side))
        start = time.perf_counter()
        _, scores = fixtures.run_official(program, out)
        print(f"official program: {time.perf_counter() - start:.2f} s")
        print(scores)


if __name__ == "__main__":
    main()
