"""Settlements are scoped per caller (SQLite and PostgreSQL): a terminal, kiosk or ward caller
reaches only the settlements it made or that a caller sharing one of its billing points made;
another's are answered exactly like a missing one (E5614), for reads and changes alike; a finance
or admin session reaches all. The demo callers: TERM01 at the first billing point, KIOSK01 and
SELF01 (the patient kiosk) at the last."""

from __future__ import annotations

import pytest
from ins_stack import new_person, register_data, settled, terminal

from tests.rigs.insurance import InsSimProcess
from tests.rigs.stack import ServerThread

pytestmark = pytest.mark.integration

METHODS = ("insSettlementQuery", "insCancel", "insCancelFees", "insCancelRegistration", "insUploadFees",
           "insPreSettle", "insSettle")


def test_another_points_settlement_does_not_exist(server: ServerThread, ins_sim: InsSimProcess) -> None:
    base = f"http://127.0.0.1:{server.port}"
    window = terminal(base, server.demo)  # TERM01, cashier
    window2 = terminal(base, server.demo)  # TERM01, another cashier session
    kiosk = terminal(base, server.demo, role=None, appid="SELF01")
    desk = terminal(base, server.demo, appid="KIOSK01")  # staffed, at the kiosk's point
    finance = terminal(base, server.demo, "finance", appid="KIOSK01")
    try:
        mine = settled(window, new_person(ins_sim))
        sid = mine["settlementId"]
        missing = 10**8
        for method in METHODS:
            data = {"settlementId": sid, "chrgBchno": "0000", "fees": [{"feedetlSn": "X"}]}
            for other in (kiosk, desk):
                code, msg = other.call(method, data)
                assert code == "E5614", (method, code, msg)
                nothing_code, nothing_msg = other.call(method, data | {"settlementId": missing})
                # word for word the answer about a settlement that does not exist
                assert (code, msg.replace(str(sid), "#")) == (nothing_code, nothing_msg.replace(str(missing), "#"))
        assert window2.ok("insSettlementQuery", {"settlementId": sid})["state"] == "settled"  # the same caller
        assert finance.ok("insSettlementQuery", {"settlementId": sid})["state"] == "settled"  # finance sees all
        # the kiosk's own visit is reached by the staffed desk at its billing point, not by the window
        own = kiosk.ok("insRegister", register_data(new_person(ins_sim)))
        assert desk.ok("insSettlementQuery", {"settlementId": own["settlementId"]})["state"] == "registered"
        assert window.call("insSettlementQuery", {"settlementId": own["settlementId"]})[0] == "E5614"
        assert window.call("insCancel", {"settlementId": own["settlementId"]})[0] == "E5614"
        assert desk.ok("insCancelRegistration", {"settlementId": own["settlementId"]})["state"] == "closed"
        assert window.ok("insCancel", {"settlementId": sid})["state"] == "cancelled"
    finally:
        for t in (window, window2, kiosk, desk, finance):
            t.close()
