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


def test_paper_bill_on_stock_with_calibration(tmp_path: Path) -> None:
    from print_templates.forms import load_form
    from tests.integration.print_templates.print_golden_utils import pdf_words

    cal = tmp_path / "cal.json"
    cal.write_text('{"bill-1": {"dx_mm": 2.0, "dy_mm": 1.5}}', encoding="utf-8")
    out = tmp_path / "out"
    done = _run("paper_bill", str(FIXTURES / "outpatient_short.json"), "--out", str(out), "--stock",
                "--calibration", str(cal), "--printer", "bill-1")
    assert done.returncode == 0, done.stderr
    words = pdf_words(out / "paper_bill-outpatient_short.pdf")
    texts = {w.text for w in words}
    assert "交款人" not in texts and "00123456" not in texts, "stock print has no background"
    assert _run("paper_bill", str(FIXTURES / "outpatient_short.json"), "--out", str(tmp_path / "bg")).returncode == 0
    with_background = {w.text for w in pdf_words(tmp_path / "bg" / "paper_bill-outpatient_short.pdf")}
    assert {"交款人", "00123456"} <= with_background
    total = next(w for w in words if w.text == "¥128.50")
    box = load_form("demo").fields["total"]
    assert total.x1 == pytest.approx(box.x + box.w + 2.0, abs=0.5)
    assert total.y0 == pytest.approx(box.y + 1.5, abs=1.0)
