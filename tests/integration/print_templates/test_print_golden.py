"""PNG goldens at 100 dpi: every sample case against its reviewed reference.

References live in tests/fixtures/print/golden/. After an intended layout change, regenerate
them with ``PRINT_GOLDEN_UPDATE=1 python -m pytest tests/integration/print_templates`` and LOOK
at every changed PNG before committing it.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from billing_core.printjob import PageJob, PageText
from print_templates.render_qt import write_png
from print_templates.samples import CASES, Case, build_case
from tests.integration.print_templates.print_golden_utils import GOLDEN, compare, grey

pytestmark = pytest.mark.integration

UPDATE = os.environ.get("PRINT_GOLDEN_UPDATE") == "1"


def _render(job, tmp_path: Path, key: str) -> list[Path]:  # type: ignore[no-untyped-def]
    return write_png(job, tmp_path / key, dpi=100)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.key)
def test_render_matches_reviewed_reference(case: Case, tmp_path: Path) -> None:
    paths = _render(build_case(case), tmp_path, case.key)
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for path in paths:
            (GOLDEN / path.name).write_bytes(path.read_bytes())
    for path in paths:
        reference = GOLDEN / path.name
        assert reference.is_file(), f"no reference {reference.name}: review the render and add it"
        diff = compare(grey(path), grey(reference))
        assert diff.ok, f"{path.name}: {diff}"
    expected = sorted(p.name for p in GOLDEN.glob(case.key + "*.png")
                      if p.stem == case.key or p.stem.startswith(case.key + "-p"))
    assert sorted(p.name for p in paths) == expected, "sheet count changed"


def _moved(job: PageJob, field: str, dx_mm: float, dy_mm: float = 0.0) -> PageJob:
    pages = []
    hits = 0
    for page in job.pages:
        items = []
        for item in page.items:
            if isinstance(item, PageText) and item.name == field:
                item = replace(item, x_mm=item.x_mm + dx_mm, y_mm=item.y_mm + dy_mm)
                hits += 1
            items.append(item)
        pages.append(replace(page, items=items))
    assert hits, f"field {field} not found"
    return PageJob(job.title, pages)


@pytest.mark.parametrize(
    ("case", "field", "dx", "dy"),
    [
        (Case("paper_bill", "outpatient_short", 0, ""), "total", 1.0, 0.0),
        (Case("paper_bill", "outpatient_short", 0, ""), "payer", 0.0, 1.0),
        (Case("paper_bill", "insured", 0, ""), "ins_fund", -1.0, 0.0),
        (Case("bill_list", "outpatient_short", 0, ""), "page_no", 0.0, -1.0),
    ],
    ids=["total-right", "payer-down", "gd-fund-left", "list-pageno-up"],
)
def test_moving_one_field_by_1mm_fails_the_comparison(case: Case, field: str, dx: float, dy: float,
                                                      tmp_path: Path) -> None:
    job = build_case(case)
    assert isinstance(job, PageJob)
    same = _render(job, tmp_path, "same")[0]
    reference = GOLDEN / f"{case.key}.png"
    assert compare(grey(same), grey(reference)).ok, "unmoved render must pass"
    moved = _render(_moved(job, field, dx, dy), tmp_path, "moved")[0]
    diff = compare(grey(moved), grey(reference))
    assert not diff.ok, f"a 1 mm move of {field} went unnoticed: {diff}"
    assert diff.overall < 0.005, "the move is small overall: only the tile rule catches it"
