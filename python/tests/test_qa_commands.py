"""qa in-process against `lits qa`'s qa.json on the sample case; the commands' wrappers."""
import json
import os

import numpy as np
import pytest

import litskit


def test_qa_findings_equal_the_clis(sample, tmp_path):
    findings = litskit.qa([sample])
    try:
        r = litskit.qa_report(sample, out=tmp_path / "qa", progress=False)
        cli = r.summary
    except litskit.LitsError:
        cli = json.load(open(tmp_path / "qa" / "data" / "qa.json"))   # exit 1 on error findings
    assert findings == cli["findings"]
    assert any(f["caseID"] == "117" for f in findings)


def test_qa_of_a_missing_folder_names_it(tmp_path):
    missing = str(tmp_path / "no-such-folder")
    with pytest.raises(litskit.LitsError, match="no-such-folder"):
        litskit.qa([missing])


def test_command_failure_raises_the_tools_line(tmp_path):
    with pytest.raises(litskit.LitsError, match=r"lits: error: .*no-such"):
        litskit.eda(str(tmp_path / "no-such"), out=tmp_path / "eda", progress=False)


def test_options_become_cli_arguments():
    from litskit.commands import _options
    assert _options({"patch": (96, 96, 16), "no_crop_body": True, "skip": False, "lr": 0.003}) == \
        ["--patch", "96,96,16", "--no-crop-body", "--lr", "0.003"]


def test_progress_lines_are_streamed_to_stderr(sample, tmp_path, capsys):
    r = litskit.eda(sample, out=tmp_path / "eda")
    err = capsys.readouterr().err
    assert "eda" in err and "117" in err          # the command's progress line, as it ran
    assert r.out == str(tmp_path / "eda") and r.summary is not None
