"""docs/print_samples has one PNG per document and sample, indexed in its README."""

from __future__ import annotations

import pytest

from print_templates.registry import DOCUMENTS
from print_templates.samples import CASES, ROOT

pytestmark = pytest.mark.unit

DOCS = ROOT / "docs" / "print_samples"


def test_every_case_has_a_png_listed_in_the_readme() -> None:
    readme = (DOCS / "README.md").read_text(encoding="utf-8")
    for case in CASES:
        pngs = [p for p in DOCS.glob(f"{case.key}*.png") if p.stem == case.key or p.stem.startswith(case.key + "-p")]
        assert pngs, f"no PNG for {case.key}: run python -m print_templates.samples"
        for png in pngs:
            assert f"]({png.name})" in readme, f"{png.name} not indexed"
        assert case.checked.split(";")[0] in readme


def test_every_document_has_at_least_one_sample() -> None:
    assert {c.doc for c in CASES} == set(DOCUMENTS)
