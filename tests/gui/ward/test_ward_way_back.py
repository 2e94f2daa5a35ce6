"""住院医保 in the ward workspace (pytest-qt, offscreen) over the real processes: a nurse lands on
the 病区 tab after login; the insured stay's record, information update, a day's fees reversed
and uploaded again, a step out of order refused with the server's message, then the way back
(settlement, discharge, fees, admission) by the buttons, each with a reason and a confirmation.
Screenshots: docs/screenshots/ward_insured_record.png, ward_way_back.png."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gui.ward.conftest import WardWindow, bg, login
from tests.integration.insurance.ins_stack import new_person, sim_settlements
from tests.integration.ward.rig import sim_visit

pytestmark = pytest.mark.gui


def _wait(qtbot, w: WardWindow, text: str, timeout: int = 30000) -> None:  # type: ignore[no-untyped-def]
    page = w.ws.insured
    qtbot.waitUntil(lambda: text in page.message.text() and w.win.tasks.busy == 0, timeout=timeout)


def test_nurse_lands_on_the_ward_and_walks_the_way_back(qtbot, ward_window: WardWindow) -> None:  # type: ignore[no-untyped-def]
    w = ward_window
    person = bg(lambda: new_person(w.rig.ins))
    p = bg(lambda: w.rig.patient(prepay="0.00", name=person["name"]))
    bg(lambda: w.rig.admit(p["patientId"], deposit="0", days=3, bed="12床"))
    login(qtbot, w, "hs01")  # type: ignore[arg-type]
    assert w.win.tabs.currentWidget() is w.ws  # a nurse lands on 病区, not on the issuing page
    w.ws.board.refresh()
    qtbot.waitUntil(lambda: any(r.patient_id == p["patientId"] for r in w.ws.board.rows) and w.win.tasks.busy == 0,
                    timeout=15000)
    row = next(r for r in w.ws.board.rows if r.patient_id == p["patientId"])
    w.ws.board.select(row.admission_no)
    no, ins = row.admission_no, w.ward.insurance
    bg(lambda: ins.admit(w.ward.desk.stay(p["patientId"]), ins.identify("02", person["certno"]), dept_code="A03",
                         disease_code="J18.900", disease_name="肺炎", doctor="李医生", doctor_no="D001"))
    page = w.ws.insured
    w.ws.setCurrentWidget(page)
    asked: list[str] = []
    answers: list[bool] = []

    def confirm(text: str) -> bool:
        asked.append(text)
        return answers.pop(0) if answers else True

    page.confirm = confirm

    page.buttons["upload"].click()
    _wait(qtbot, w, "已上传2个日批次费用")
    assert page.days.rowCount() == 2 and page.days.item(0, 3).text() == "已上传"
    mdtrt = bg(lambda: ins.record(no))["mdtrtId"]

    # 入院信息变更 (2403)
    page.disease.setText("J18.000 大叶性肺炎")
    page.change_info()
    _wait(qtbot, w, "入院信息变更完成")
    assert [d["diag_code"] for d in bg(lambda: sim_visit(w.rig, mdtrt))["diseinfo"]] == ["J18.000"]

    # a reversal needs a reason, then a confirmation; "no" sends nothing
    page.days.selectRow(0)
    page.buttons["cancel_fees"].click()
    assert "撤销原因" in page.message.text() and asked == []
    page.reason.setText("费用录入有误")
    answers.append(False)
    page.buttons["cancel_fees"].click()
    assert page.message.text() == "已取消" and len(asked) == 1
    day = page.days.item(0, 0).text()
    assert day in asked[0] and "费用录入有误" in asked[0]
    page.buttons["cancel_fees"].click()
    _wait(qtbot, w, f"撤销{day}的已上传费用完成")
    assert page.days.item(0, 3).text() == "已撤销，待重新上传" and page.days.item(0, 2).text() == "0"
    fees = bg(lambda: sim_visit(w.rig, mdtrt))["fees"]
    assert {f["state"] for f in fees if f["feedetl_sn"].startswith(day.replace("-", ""))} == {"cancelled"}
    page.buttons["upload"].click()
    _wait(qtbot, w, "已上传1个日批次费用")
    assert page.days.item(0, 3).text() == "已上传"
    w.shot("insured_record")

    # settled on the platform (the HIS discharge not yet): a step out of order is refused as the server says
    bg(lambda: ins.settle(no))
    page.reason.setText("跳步测试")
    page.buttons["cancel_admission"].click()
    _wait(qtbot, w, "请先撤销结算")
    assert w.win.errors.last is not None and w.win.errors.last[0] == "E3808"
    qtbot.waitUntil(lambda: page.log.rowCount() > 0 and "被拒绝" in page.log.item(0, 3).text(), timeout=10000)

    # the way back, one step at a time, by the buttons
    page.reason.setText("患者转自费")
    page.buttons["cancel_settlement"].click()
    _wait(qtbot, w, "撤销医保结算完成")
    settlements: list[dict[str, Any]] = bg(lambda: sim_settlements(w.rig.ins, mdtrt_id=mdtrt))
    assert "valid" not in [s["state"] for s in settlements if s["refd_setl_flag"] == "0"]
    page.buttons["cancel_discharge"].click()
    _wait(qtbot, w, "撤销出院登记完成")
    assert bg(lambda: sim_visit(w.rig, mdtrt))["state"] == "open"
    qtbot.waitUntil(lambda: page.days.rowCount() == 3, timeout=10000)
    for r in range(page.days.rowCount()):
        if page.days.item(r, 2).text() == "0":
            continue
        page.days.selectRow(r)
        d = page.days.item(r, 0).text()
        page.buttons["cancel_fees"].click()
        _wait(qtbot, w, f"撤销{d}的已上传费用完成")
    page.buttons["cancel_admission"].click()
    _wait(qtbot, w, "撤销入院登记完成")
    qtbot.waitUntil(lambda: "医保入院登记已撤销" in page.state.text(), timeout=10000)
    assert {page.days.item(r, 3).text() for r in range(page.days.rowCount())} == {"已撤销"}
    visit = bg(lambda: sim_visit(w.rig, mdtrt))
    assert visit["state"] == "cancelled" and not [f for f in visit["fees"] if f["state"] == "up"]
    assert bg(lambda: ins.api.query(ins.record(no)["settlementId"]).raw)["state"] == "closed"
    steps = [page.log.item(r, 1).text() for r in range(page.log.rowCount())]
    assert steps[0] == "撤销医保入院登记" and "撤销医保结算" in steps and "医保入院信息变更" in steps
    w.shot("way_back")
