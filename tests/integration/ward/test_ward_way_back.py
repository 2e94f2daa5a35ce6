"""The inpatient insurance way back at the nurse station against the real processes (insurance
simulator, sync server with its insurance connector, HIS, payment, finance): information update
(2403), reversal of uploaded fees by day and by line (2302) and their re-upload, discharge
registration reversal (2405), settlement cancel (2305), admission reversal (2404); each step
checked on the simulator (``/_sim/visits``, ``/_sim/settlements``), steps out of order refused
(E5616 -> E3808), a step whose answer was lost finished by the resume round, never twice."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.integration.insurance.ins_stack import new_person, sim_settlements
from tests.integration.ward.rig import WardRig, sim_visit
from tests.integration.ward.test_ward_insured import CODES
from workflows.ward.builder import Ward
from workflows.ward.errors import WardInputError, WardWayBackOrderError, WardWayBackPendingError

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WardRig]:
    r = WardRig(tmp_path_factory.mktemp("ward_back_rig"))
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
        rig.ins.knobs(down=False)
        w.close()
        while rig.devices:
            rig.devices.pop().shutdown()


def _admitted(rig: WardRig, ward: Ward, bed: str, days: int = 3) -> tuple[str, dict[str, Any]]:
    person = new_person(rig.ins)
    p = rig.patient(prepay="0.00", name=person["name"])
    stay = rig.admit(p["patientId"], deposit="0", days=days, bed=bed)
    ins = ward.insurance
    ins.admit(ward.desk.stay(p["patientId"]), ins.identify("02", person["certno"]), dept_code="A03",
              disease_code="J18.900", disease_name="肺炎", doctor="李医生", doctor_no="D001")
    return stay["admissionNo"], person


def _up(visit: dict[str, Any]) -> dict[str, Decimal]:
    """The simulator's live (unsettled, not cancelled) lines: sn -> amount."""
    return {f["feedetl_sn"]: Decimal(f["amount"]) for f in visit["fees"] if f["state"] == "up"}


def test_full_way_back_chain_ends_with_platform_server_and_ward_agreeing(rig: WardRig, ward: Ward) -> None:
    no, _person = _admitted(rig, ward, "B1床")
    ins = ward.insurance
    rec = ins.record(no)
    sid, mdtrt = rec["settlementId"], rec["mdtrtId"]
    assert ins.upload_fees(no) == 2
    batches = ins.batches(no)
    day1, day2 = sorted(batches)
    assert set(_up(sim_visit(rig, mdtrt))) == set(batches[day1]["sns"]) | set(batches[day2]["sns"])

    # information update (2403): the diagnosis changed on the platform
    ins.back.change_info(no, "诊断修正", diseCodg="J18.000", diseName="大叶性肺炎")
    v = sim_visit(rig, mdtrt)
    assert [d["diag_code"] for d in v["diseinfo"]] == ["J18.000"]
    assert ins.record(no)["info"] == {"diseCodg": "J18.000", "diseName": "大叶性肺炎"}

    # a day's batch reversed (2302), then one line of the other day
    ins.back.cancel_fees(no, "费用录入有误", day=day1)
    v = sim_visit(rig, mdtrt)
    assert set(_up(v)) == set(batches[day2]["sns"])
    assert {f["state"] for f in v["fees"] if f["feedetl_sn"] in batches[day1]["sns"]} == {"cancelled"}
    assert day1 not in ins.record(no)["days"]
    with pytest.raises(WardInputError):
        ins.back.cancel_fees(no, "再撤一次", day=day1)  # nothing live that day: nothing sent twice
    line = batches[day2]["sns"][0]
    ins.back.cancel_fees(no, "单项退费", sns=[line])
    assert line not in _up(sim_visit(rig, mdtrt)) and ins.batches(no)[day2]["live"] == batches[day2]["sns"][1:]
    assert day2 in ins.record(no)["days"]  # the day keeps its other lines: not uploaded again

    # re-upload: the reversed day goes again (the same line numbers), the server's total follows
    assert ins.upload_fees(no) == 1
    live = _up(sim_visit(rig, mdtrt))
    assert set(live) == set(batches[day1]["sns"]) | set(batches[day2]["sns"][1:])
    assert ins.api.query(sid).raw["medfeeSumamt"] == f"{sum(live.values()):.2f}"
    view = ins.pre_settle(no)
    assert view.split.medfee == sum(live.values())
    assert view.split.fund + view.split.account + view.split.cash == view.split.medfee

    # discharge registration (2402) and its reversal (2405)
    ins.register_discharge(no)
    assert sim_visit(rig, mdtrt)["state"] == "discharged"
    with pytest.raises(WardWayBackOrderError):
        ins.back.cancel_fees(no, "出院后撤费用", day=day2)  # the discharge first (seed 003 order)
    ins.back.cancel_discharge(no, "出院时间有误")
    assert sim_visit(rig, mdtrt)["state"] == "open" and ins.record(no)["state"] == "registered"

    # discharge again and settle (2402, 2303, 2304) on the platform; the HIS not yet
    rec = ins.settle(no)
    assert rec["state"] == "settled"
    assert [s["state"] for s in sim_settlements(rig.ins, mdtrt_id=mdtrt)] == ["valid"]

    # out of order: the server refuses (E5616, its message shown) and nothing reaches the platform
    with pytest.raises(WardWayBackOrderError) as refused:
        ins.back.cancel_discharge(no, "跳步")
    assert refused.value.code == "E3808" and "请先撤销结算" in refused.value.message
    with pytest.raises(WardWayBackOrderError) as refused:
        ins.back.cancel_admission(no, "跳步")
    assert "请先撤销结算" in refused.value.message
    assert sim_visit(rig, mdtrt)["state"] == "discharged"
    assert [s["state"] for s in sim_settlements(rig.ins, mdtrt_id=mdtrt)] == ["valid"]
    assert [e["ok"] for e in ins.record(no)["log"]][-2:] == [False, False]

    # the way back, one step at a time: settlement, discharge, fees, admission
    ins.back.cancel_settlement(no, "结算有误")
    assert "valid" not in [s["state"] for s in sim_settlements(rig.ins, mdtrt_id=mdtrt) if s["refd_setl_flag"] == "0"]
    with pytest.raises(WardInputError):
        ins.back.cancel_settlement(no, "再撤一次")  # never twice
    ins.back.cancel_discharge(no, "撤销出院")
    assert sim_visit(rig, mdtrt)["state"] == "open"
    left = [sn for b in ins.batches(no).values() for sn in b["live"]]
    ins.back.cancel_fees(no, "撤销全部费用", sns=left)
    assert _up(sim_visit(rig, mdtrt)) == {}
    ins.back.cancel_admission(no, "撤销入院登记")

    # platform, server and ward agree
    assert sim_visit(rig, mdtrt)["state"] == "cancelled"
    server = ins.api.query(sid).raw
    rec = ins.record(no)
    assert server["state"] == "closed" and rec["state"] == "closed" and "pending" not in rec
    assert [b["live"] for b in ins.batches(no).values()] == [[], [], []]
    assert [e["step"] for e in rec["log"] if e["ok"]] == [
        "change_info", "cancel_fees", "cancel_fees", "cancel_discharge", "cancel_settlement", "cancel_discharge",
        "cancel_fees", "cancel_admission"]
    with pytest.raises(WardInputError):
        ins.back.cancel_admission(no, "再撤一次")


def test_a_step_sent_while_the_platform_is_down_is_finished_by_the_resume_round(rig: WardRig, ward: Ward) -> None:
    no, _person = _admitted(rig, ward, "B2床", days=2)
    ins = ward.insurance
    mdtrt = ins.record(no)["mdtrtId"]
    assert ins.upload_fees(no) == 1
    day = sorted(ins.batches(no))[0]
    rig.ins.knobs(down=True)
    with pytest.raises(WardWayBackPendingError):
        ins.back.cancel_fees(no, "费用有误", day=day)
    assert ins.record(no)["pending"]["step"] == "cancel_fees"
    with pytest.raises(WardWayBackPendingError):
        ins.back.cancel_admission(no, "另一步")  # another step waits for the pending one
    assert ins.resume() == 0  # still down: stays pending
    with pytest.raises(WardWayBackPendingError):
        ins.back.cancel_fees(no, "费用有误", sns=["other"])  # a resend is the same request or none
    rig.ins.knobs(down=False)
    ward.maintain()
    rec = ins.record(no)
    assert "pending" not in rec and day not in rec["days"]
    assert _up(sim_visit(rig, mdtrt)) == {}
    assert [e["step"] for e in rec["log"] if e["ok"]] == ["cancel_fees"]


def test_a_step_that_landed_but_whose_answer_was_lost_is_not_done_twice(rig: WardRig, ward: Ward) -> None:
    no, _person = _admitted(rig, ward, "B3床", days=1)
    ins = ward.insurance
    rec = ins.record(no)
    ins.register_discharge(no)
    # the station recorded the step and sent it; the server did it; the answer never came back
    rec = ins.record(no)
    ins.save(no, rec | {"pending": {"step": "cancel_discharge", "args": {"reason": "出院有误"}, "at": "x"}})
    ins.api.cancel_discharge(rec["settlementId"])
    assert sim_visit(rig, rec["mdtrtId"])["state"] == "open"
    assert ins.resume() == 1  # sent again: the server says there is no discharge: it landed
    rec = ins.record(no)
    assert rec["state"] == "registered" and rec["discharged"] is False and "pending" not in rec
    assert sim_visit(rig, rec["mdtrtId"])["state"] == "open"
    # in hospital again: the discharge can be registered anew
    ins.register_discharge(no)
    assert sim_visit(rig, rec["mdtrtId"])["state"] == "discharged"
