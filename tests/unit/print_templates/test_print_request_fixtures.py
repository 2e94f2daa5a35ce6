"""Documents built from the validation engineer's issue request fixtures (tests/fixtures/requests)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from billing_core.pagination import list_page_count
from billing_core.printjob import COLUMNS_BY_WIDTH_MM, PageJob, PageText, PrintJob, text_width
from print_templates.registry import build
from print_templates.strip import text_lines

pytestmark = pytest.mark.unit

REQUESTS = Path(__file__).resolve().parents[2] / "fixtures" / "requests"
ISSUING = ["outpatient", "inpatient", "registration", "checkup"]
RESPONSE = {"billBatchCode": "44010126", "billNo": "0000015001", "random": "3fa9c2", "createTime": "20261123093016000"}


def _sample(name: str) -> dict:
    request = json.loads((REQUESTS / f"{name}.json").read_text(encoding="utf-8"))
    return {
        "hospital": {"name": "广州市第一人民医院", "placeName": "门诊收费处1号窗口"},
        "request": request,
        "response": RESPONSE,
        "paper": {"form": "guangdong_outpatient", "pBillBatchCode": "44050126", "pBillNo": "00200001"},
        "receipt": {"terminalId": "WIN-01", "serialNo": "S0001", "time": "20261123093020000",
                    "pBillBatchCode": "44050126", "pBillNo": "00200001"},
    }


@pytest.mark.parametrize("name", ISSUING)
@pytest.mark.parametrize("width", [58, 80])
def test_thermal_documents_from_real_requests_fit_the_roll(name: str, width: int) -> None:
    sample = _sample(name)
    for doc in ("notice", "receipt_outpatient", "receipt_paper_exchange"):
        job = build(doc, sample, width)
        assert isinstance(job, PrintJob)
        lines = text_lines(job)
        assert max(text_width(ln) for ln in lines) <= COLUMNS_BY_WIDTH_MM[width]
        joined = "".join(ln.replace(" ", "") for ln in lines)
        assert sample["request"]["payer"] in joined
        total = Decimal(str(sample["request"]["totalAmt"]))
        assert f"¥{total:,.2f}" in joined


@pytest.mark.parametrize("name", ISSUING)
def test_sheet_documents_from_real_requests(name: str) -> None:
    sample = _sample(name)
    paper = build("paper_bill", sample)
    assert isinstance(paper, PageJob)
    fields = {t.name: t.text for t in paper.pages[0].items if isinstance(t, PageText) and t.name}
    assert fields["payer"] == sample["request"]["payer"]
    lines = sample["request"].get("listDetail") or []
    if lines:
        assert len(build("bill_list", sample).pages) == list_page_count(len(lines))  # type: ignore[union-attr]
