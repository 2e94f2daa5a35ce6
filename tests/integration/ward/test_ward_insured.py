"""Inpatient insurance at the nurse station against the real processes (insurance simulator,
sync server with its insurance connector, HIS, payment, finance): admission (2401), fee batches
per day (2301), daily pre-settlement against the deposit (2303), discharge registration (2402),
settlement (2304) and the HIS discharge with the insurance parts in one step — e-bill with the
insurance fields, surplus deposit back on its original channel to the fen — and the reversals
(admission closed; settlement cancelled while the HIS has not discharged)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.insurance.ins_stack import sim_settlements
from tests.integration.ward.rig import WardRig, sim_visit
from tests.rigs.insurance import CONSULT, DRUG_B, QIAN, ZHANG, ZHAO
from tests.rigs.payment import WECHAT_CODE
from workflows.kiosk.models import PayChoice
from workflows.ward.builder import Ward
from workflows.ward.errors import WardInputError

pytestmark = pytest.mark.integration
CODES = {"C0001": "120100001", "C0002": CONSULT, "T0001": CONSULT, "J0001": "250101015", "X0012": DRUG_B,
         "X0002": DRUG_B}


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WardRig]:
    r = WardRig(tmp_path_factory.mktemp("ward_ins_rig"))
    try:
        yield r.start(insurance=True)
    finally:
        r.stop()


@pytest.fixture
def ward(rig: WardRig, tmp_path: Path) -> Iterator[Ward]:
    w = rig.ward(tmp_path / "ward", insurance_codes=CODES, admdvs="440300")
    try:
        w.maintain()
        yield w
    finally:
        w.close()
        while rig.devices:
            rig.devices.pop().shutdown()


def _admit(rig: WardRig, ward: Ward, person: dict[str, str], bed: str, days: int = 3):  # type: ignore[no-untyped-def]
    p = rig.patient(prepay="0.00", name=person["name"])
    stay = rig.admit(p["patientId"], deposit="0", days=days, bed=bed)
    ins = ward.insurance
    who = ins.identify("02", person["certno"])
    st = ward.desk.stay(p["patientId"])
    ins.admit(st, who, dept_code="A03", disease_code="J18.900", disease_name="肺炎", doctor="李医生",
              doctor_no="D001")
    return p, stay


def test_insured_discharge_in_one_step_with_the_deposit_refunded(rig: WardRig, ward: Ward) -> None:
    p, stay = _admit(rig, ward, QIAN, "I1床")
    no = stay["admissionNo"]
    row = next(r for r in ward.desk.board() if r.admission_no == no)
    paid = ward.desk.collect(row, Decimal("3000.00"), PayChoice.code(WECHAT_CODE))
    assert paid.ok
    assert ward.insurance.upload_fees(no) == 2  # the two closed days, one batch each; today waits
    assert ward.insurance.upload_fees(no) == 0  # nothing twice
    view = ward.insurance.pre_settle(no)
    assert view.split.fund + view.split.account + view.split.cash == view.split.medfee
    assert view.deposit == Decimal("3000.00") and view.refund_due == Decimal("3000.00") - view.split.cash
    out = ward.insurance.discharge(no)
    assert out.flow.ok and out.flow.state == "printed", out.flow
    rec = ward.insurance.record(no)
    assert rec["state"] == "done" and rec["setlId"]
    assert rec.get("voucher") in ("queued", "uploaded"), rec  # the server queued the settlement voucher
    s = ward.his.settlements(p["patientId"], "discharge")[0]
    fund, account = Decimal(rec["fund"]), Decimal(rec["account"])
    assert s.insurance_part == fund + account and s.amount == Decimal(rec["medfee"])
    assert s.deposit_part == Decimal(rec["cash"]) and s.external_part == 0
    req = s.ebill_request or {}
    assert req["fundPay"] == f"{fund:.2f}" and req["balancedNumber"] == rec["setlId"]
    assert s.ebill.status == "issued" and out.flow.bill is not None
    # the surplus deposit back on the original order, to the fen
    assert out.refund_fen == 300000 - int(Decimal(rec["cash"]) * 100) == out.refunded_fen
    assert rig.control._get(f"/_sim/orders/{paid.order_no}")["refund_fee"] == out.refund_fen
    assert [x["state"] for x in sim_settlements(rig.ins, mdtrt_id=rec["mdtrtId"])] == ["valid"]
    # statistics: insured, local
    rows = ward.reports.summary(["kind", "insurance", "place"]).rows
    assert ("出院结算", "医保", "本地", "1", f"{s.amount:.2f}") in rows
    with pytest.raises(WardInputError):
        ward.insurance.cancel_settlement(no, "测试")  # settled and done at the HIS: 住院处


def test_admission_reversal_and_settlement_cancelled_when_the_his_refuses(rig: WardRig, ward: Ward) -> None:
    p, stay = _admit(rig, ward, ZHAO, "I2床", days=2)
    no = stay["admissionNo"]
    ward.insurance.cancel_admission(no, "登记有误")
    assert ward.insurance.record(no)["state"] == "closed"
    with pytest.raises(WardInputError):
        ward.insurance.upload_fees(no)
    # 2404 reached the platform: the visit is cancelled there too, the person free for a new visit
    assert sim_visit(rig, ward.insurance.record(no)["mdtrtId"])["state"] == "cancelled"
    p, stay = _admit(rig, ward, ZHANG, "I3床", days=2)
    no = stay["admissionNo"]
    row = next(r for r in ward.desk.board() if r.admission_no == no)
    assert ward.desk.collect(row, Decimal("2000.00"), PayChoice.code(WECHAT_CODE)).ok
    rig.his_control("faults", {"refuseSettlements": 1, "refuseMessage": "HIS出院结算失败（测试）"})
    out = ward.insurance.discharge(no)
    assert not out.flow.ok and out.flow.state == "failed", out.flow
    rec = ward.insurance.record(no)
    assert rec["state"] == "cancelled" and rec["reason"] == "HIS出院结算未完成"
    states = sorted(x["state"] for x in sim_settlements(rig.ins, mdtrt_id=rec["mdtrtId"]))
    assert "valid" not in states  # the 2304 settlement was cancelled (2305)
    assert ward.his.inpatient(p["patientId"]).status == "in"
