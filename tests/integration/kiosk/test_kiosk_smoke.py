"""Smoke: identify by hospital card, pay outpatient charges from the prepayment account."""

from __future__ import annotations

import pytest

from workflows.kiosk.models import PayChoice

pytestmark = pytest.mark.integration


def test_outpatient_by_prepayment(rig, kiosk) -> None:  # type: ignore[no-untyped-def]
    p = rig.patient(prepay="500.00")
    rig.charge(p["patientId"])
    s = kiosk.session
    summary = s.identify_hospital_card(p["hospitalCard"])
    assert summary.patient_id == p["patientId"] and "*" in summary.id_no_masked
    charges = s.pending_charges()
    assert charges
    result = s.pay_outpatient([c.charge_id for c in charges], PayChoice.prepayment())
    assert result.ok, result
    assert result.state == "printed" and result.bill is not None and not result.bill.emergency
