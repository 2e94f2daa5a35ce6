"""``python -m print_templates.preview DOC SAMPLE.json --out DIR`` writes PDF and PNG."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from print_templates.samples import FIXTURES, ROOT

pytestmark = pytest.mark.integration


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "print_templates.preview", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_preview_writes_pdf_and_png(tmp_path: Path) -> None:
    done = _run("notice", str(FIXTURES / "emergency.json"), "--out", str(tmp_path), "--width", "58")
    assert done.returncode == 0, done.stderr
    pdf = tmp_path / "notice-emergency-58mm.pdf"
    png = tmp_path / "notice-emergency-58mm.png"
    assert pdf.read_bytes().startswith(b"%PDF") and png.read_bytes().startswith(b"\x89PNG")
    assert str(pdf) in done.stdout


def test_preview_of_a_multi_page_list(tmp_path: Path) -> None:
    done = _run("bill_list", str(FIXTURES / "outpatient_list60.json"), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [f"bill_list-outpatient_list60-p{i}.png" for i in (1, 2, 3)]


@pytest.mark.parametrize(("doc", "sample", "code"), [("invoice", "outpatient_short", "E7001"),
                                                      ("bill_list", "no_list", "E3040")])
def test_preview_errors_show_code_and_chinese_message(doc: str, sample: str, code: str, tmp_path: Path) -> None:
    done = _run(doc, str(FIXTURES / f"{sample}.json"), "--out", str(tmp_path))
    assert done.returncode == 2
    assert code in done.stderr and "Traceback" not in done.stderr
    assert not list(tmp_path.iterdir())
