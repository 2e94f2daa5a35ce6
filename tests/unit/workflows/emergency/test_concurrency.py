"""Two GUI worker threads issuing emergency bills at once: limits hold exactly, a busNo gets one number."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from offline_store import journal
from workflows.emergency.limits import EmergencyLimits, LimitExceededError

from .conftest import METHOD, make_workflow, outpatient

pytestmark = pytest.mark.unit


def test_parallel_issuing_respects_count_limit_and_busno(db, clock, signer) -> None:
    wf = make_workflow(db, clock, signer, EmergencyLimits(max_bills=10))

    def issue(i: int) -> str:
        try:
            return wf.issue(METHOD, outpatient(f"PAR-{i % 12}")).bill_no
        except LimitExceededError:
            return "STOP"

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(issue, range(24)))
    entries = journal.entries(db)
    assert len(entries) == 10  # never more than the limit
    assert len({e.bus_no for e in entries}) == 10 and len({e.bill_no for e in entries}) == 10
    assert "STOP" in got
