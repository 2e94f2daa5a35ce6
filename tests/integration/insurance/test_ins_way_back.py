"""The way back (seed 003 回退流程, 不允许跨单回退) over HTTP against the simulator process, on
SQLite and PostgreSQL: cancel the settlement -> the fee details -> the registration (outpatient);
the settlement -> the discharge -> the fees -> the admission (inpatient), with the admission
changed on the way in. Every step out of order is refused (E5616) naming the step that must come
first, and changes nothing; the registration really is cancelled on the platform (its outpatient
number can be registered again)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from ins_stack import InsTerminal, fees_data, new_person, register_data, settled, sim_settlements, terminal

from tests.rigs.insurance import InsSimProcess
from tests.rigs.stack import ServerThread

pytestmark = pytest.mark.integration


@pytest.fixture
def term(server: ServerThread) -> Iterator[InsTerminal]:
    t = terminal(f"http://127.0.0.1:{server.port}", server.demo)
    try:
        yield t
    finally:
        t.close()


def _refused(term: InsTerminal, method: str, data: dict[str, object], code: str, *words: str) -> None:
    sid = data["settlementId"]
    before = term.ok("insSettlementQuery", {"settlementId": sid})
    got, msg = term.call(method, data)
    assert got == code and all(w in msg for w in words), (got, msg)
    assert term.ok("insSettlementQuery", {"settlementId": sid}) == before  # nothing changed


def test_outpatient_way_back_in_order(term: InsTerminal, ins_sim: InsSimProcess) -> None:
    person = new_person(ins_sim)
    reg = term.ok("insRegister", register_data(person))
    sid = reg["settlementId"]
    first = fees_data(sid, 2)  # one charge batch (an outpatient settlement settles its batch)
    term.ok("insUploadFees", first)
    term.ok("insPreSettle", {"settlementId": sid})
    done = term.ok("insSettle", {"settlementId": sid})
    assert done["medfeeSumamt"] == "50.00"
    # out of order while the settlement stands
    _refused(term, "insCancelFees", {"settlementId": sid, "chrgBchno": first["chrgBchno"]}, "E5616", "insCancel")
    _refused(term, "insCancelRegistration", {"settlementId": sid}, "E5616", "insCancel")
    cancelled = term.ok("insCancel", {"settlementId": sid})
    assert cancelled["state"] == "cancelled" and cancelled["cancellation"]["medfeeSumamt"] == "-50.00"
    # the fees are still there: the registration waits for them
    _refused(term, "insCancelRegistration", {"settlementId": sid}, "E5616", "insCancelFees")
    _refused(term, "insCancelFees", {"settlementId": sid, "feedetlSn": "F1"}, "E5610", "chrgBchno")
    _refused(term, "insCancelFees", {"settlementId": sid, "chrgBchno": "NOSUCH"}, "E5610", "NOSUCH")
    one = term.ok("insCancelFees", {"settlementId": sid, "chrgBchno": first["chrgBchno"]})
    assert one["state"] == "cancelled" and one["cancelledFees"] == ["F1", "F2"]
    assert one["medfeeSumamt"] == "50.00"  # the cancelled settlement's figures stay (reconciliation)
    _refused(term, "insCancelFees", {"settlementId": sid, "chrgBchno": first["chrgBchno"]}, "E5610")  # done already
    closed = term.ok("insCancelRegistration", {"settlementId": sid})
    assert closed["state"] == "closed" and closed["stateName"] == "已撤销登记"
    _refused(term, "insCancelRegistration", {"settlementId": sid}, "E5612")
    # the platform's visit is gone: its outpatient number is free again
    again = term.ok("insRegister", register_data(person, otp=reg["iptOtpNo"]))
    assert again["mdtrtId"] != reg["mdtrtId"]
    term.ok("insCancelRegistration", {"settlementId": again["settlementId"]})
    states = sorted(s["state"] for s in sim_settlements(ins_sim, mdtrt_id=reg["mdtrtId"]))
    assert states == ["cancel", "cancelled"]


def test_fees_cancelled_before_settling(term: InsTerminal, ins_sim: InsSimProcess) -> None:
    person = new_person(ins_sim)
    reg = term.ok("insRegister", register_data(person))
    sid = reg["settlementId"]
    term.ok("insUploadFees", fees_data(sid, 2))
    term.ok("insPreSettle", {"settlementId": sid})
    _refused(term, "insCancelRegistration", {"settlementId": sid}, "E5616", "insCancelFees")
    back = term.ok("insCancelFees", {"settlementId": sid, "chrgBchno": "0000"})
    assert back["state"] == "registered" and back["medfeeSumamt"] == "0.00"
    assert sorted(back["cancelledFees"]) == ["F1", "F2"]
    assert term.call("insPreSettle", {"settlementId": sid})[0] == "E5612"  # nothing left to settle
    assert term.ok("insCancelRegistration", {"settlementId": sid})["state"] == "closed"
    # the person is free for the next visit
    nxt = term.ok("insRegister", register_data(person))
    assert term.ok("insCancelRegistration", {"settlementId": nxt["settlementId"]})["state"] == "closed"


def test_inpatient_way_back_in_order(server: ServerThread, ins_sim: InsSimProcess) -> None:
    term = terminal(f"http://127.0.0.1:{server.port}", server.demo, "ward_nurse")
    kiosk = terminal(f"http://127.0.0.1:{server.port}", server.demo, role=None, appid="SELF01")
    try:
        person = new_person(ins_sim, "390")
        data = register_data(person) | {"visit": "inpatient", "medType": "21", "diseCodg": "J18.900",
                                        "diseName": "肺炎", "deptCode": "B02", "deptName": "呼吸内科"}
        reg = term.ok("insRegister", data)
        sid = reg["settlementId"]
        # the admission changes while in hospital (2403)
        assert term.call("insChangeAdmission", {"settlementId": sid})[0] == "E5610"
        assert term.call("insChangeAdmission", {"settlementId": sid, "diseCodg": "J18.901"})[0] == "E5610"
        changed = term.ok("insChangeAdmission", {"settlementId": sid, "diseCodg": "J18.901", "diseName": "大叶性肺炎",
                                                 "deptName": "呼吸与危重症医学科"})
        assert changed["changed"] == ["deptName", "diseCodg", "diseName"]
        assert kiosk.call("insChangeAdmission", {"settlementId": sid, "deptName": "x"})[0] == "E2015"
        term.ok("insUploadFees", {"settlementId": sid, "chrgBchno": "IPB1", "fees": [
            {"feedetlSn": "IP1", "medListCodg": "120100001", "medinsListCodg": "BED3", "detItemFeeSumamt": "120.00",
             "cnt": "2", "pric": "60.00"}]})
        term.ok("insDischarge", {"settlementId": sid})
        assert term.call("insChangeAdmission", {"settlementId": sid, "deptName": "x"})[0] == "E5612"  # discharged
        term.ok("insPreSettle", {"settlementId": sid})
        done = term.ok("insSettle", {"settlementId": sid})
        assert Decimal(done["medfeeSumamt"]) == Decimal("120.00")
        _refused(term, "insCancelDischarge", {"settlementId": sid}, "E5616", "insCancel")
        _refused(term, "insCancelFees", {"settlementId": sid, "feedetlSn": "IP1"}, "E5616", "insCancel")
        term.ok("insCancel", {"settlementId": sid})
        _refused(term, "insCancelRegistration", {"settlementId": sid}, "E5616", "insCancelDischarge")
        back_in = term.ok("insCancelDischarge", {"settlementId": sid})
        assert back_in["discharged"] is None
        _refused(term, "insCancelDischarge", {"settlementId": sid}, "E5612")
        _refused(term, "insCancelRegistration", {"settlementId": sid}, "E5616", "insCancelFees")
        fees_gone = term.ok("insCancelFees", {"settlementId": sid, "feedetlSn": ["IP1"]})
        assert fees_gone["cancelledFees"] == ["IP1"]
        assert term.ok("insCancelRegistration", {"settlementId": sid})["state"] == "closed"
        # admitted again: the platform's stay was cancelled (one stay at a time per institution)
        again = term.ok("insRegister", data | {"iptOtpNo": reg["iptOtpNo"] + "B"})
        assert term.ok("insCancelRegistration", {"settlementId": again["settlementId"]})["state"] == "closed"
    finally:
        term.close()
        kiosk.close()


def _list_data(sid: int, amt: str) -> dict[str, object]:
    return {"settlementId": sid,
            "setlinfo": {"billCode": "44060126", "billNo": f"{sid:010d}", "bizSn": f"BIZ{sid}", "hiSetlLv": "1"},
            "diseinfo": [{"diagType": "1", "diagCode": "J06.900", "diagName": "急性上呼吸道感染", "maindiagFlag": "1"}],
            "iteminfo": [{"medChrgitm": "04", "amt": amt, "claaSumfee": amt}]}


def test_settlement_list_4101(term: InsTerminal, ins_sim: InsSimProcess) -> None:
    done = settled(term, new_person(ins_sim), 2)
    sid = done["settlementId"]
    code, msg = term.call("insUploadSettlementList", _list_data(sid, "49.99"))
    assert code == "E5618" and "iteminfo" in msg
    no_main = _list_data(sid, "50.00") | {"diseinfo": [{"diagType": "1", "diagCode": "J06.900", "diagName": "x",
                                                         "maindiagFlag": "0"}]}
    code, msg = term.call("insUploadSettlementList", no_main)
    assert code == "E5610" and "maindiagFlag" in msg
    bad_head = _list_data(sid, "50.00") | {"setlinfo": {"billCode": "44060126"}}
    code, msg = term.call("insUploadSettlementList", bad_head)
    assert code == "E5610" and "setlinfo.billNo" in msg
    listed = term.ok("insUploadSettlementList", _list_data(sid, "50.00"))
    assert listed["setlListId"] and listed["state"] == "settled"
    code, msg = term.call("insUploadSettlementList", _list_data(sid, "50.00"))
    assert code == "E5618" and listed["setlListId"] in msg  # one list per settlement
    other = settled(term, new_person(ins_sim), 1)
    term.ok("insCancel", {"settlementId": other["settlementId"]})
    assert term.call("insUploadSettlementList", _list_data(other["settlementId"], "25.00"))[0] == "E5618"
