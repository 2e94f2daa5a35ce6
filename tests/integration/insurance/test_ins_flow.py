"""Contract tests of ``/insurance/api`` over HTTP against the real insurance simulator, on SQLite
and PostgreSQL: every method's success path and the settlement's state through its life."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ins_stack import fees_data, register_data, sim_settlements, terminal
from sqlalchemy import select

from sync_server.store.db import read_tx
from sync_server.store.insurance_schema import ins_transactions
from tests.rigs.insurance import LI, ZHANG, ZHAO, InsSimProcess
from tests.rigs.stack import ServerThread

pytestmark = pytest.mark.integration


def _base(server: ServerThread) -> str:
    return f"http://127.0.0.1:{server.port}"


def test_sign_in_and_person_info(server: ServerThread) -> None:
    term = terminal(_base(server), server.demo)
    try:
        signed = term.ok("insSignIn", {})
        assert signed["opter"] and signed["signTime"]
        person = term.ok("insPersonInfo", {"mdtrtCertType": "02", "mdtrtCertNo": ZHANG["certno"]})
        assert person["psnNo"] == ZHANG["psn_no"] and person["psnName"] == ZHANG["name"]
        assert person["certno"] != ZHANG["certno"] and person["certno"].endswith(ZHANG["certno"][-4:])  # masked
        assert person["active"]["insutype"] == ZHANG["insutype"]
        # by social-security card: card_sn required
        code, msg = term.call("insPersonInfo", {"mdtrtCertType": "03", "mdtrtCertNo": ZHANG["card"]})
        assert code == "E5610" and "cardSn" in msg
        by_card = term.ok("insPersonInfo", {"mdtrtCertType": "03", "mdtrtCertNo": ZHANG["card"],
                                            "cardSn": ZHANG["card_sn"]})
        assert by_card["psnNo"] == ZHANG["psn_no"]
        # an unknown person: the platform's refusal with its message (E5604)
        code, msg = term.call("insPersonInfo", {"mdtrtCertType": "02", "mdtrtCertNo": "440106199912319999"})
        assert code == "E5604" and "infcode=-1" in msg
    finally:
        term.close()


def test_outpatient_settlement_life(server: ServerThread, ins_sim: InsSimProcess) -> None:
    term = terminal(_base(server), server.demo)
    finance = terminal(_base(server), server.demo, "finance")
    try:
        reg = term.ok("insRegister", register_data(LI))
        sid = reg["settlementId"]
        assert reg["state"] == "registered" and reg["mdtrtId"]
        fees = term.ok("insUploadFees", fees_data(sid))
        assert fees["state"] == "fees_uploaded" and fees["medfeeSumamt"] == "50.00" and len(fees["fees"]) == 2
        pre = term.ok("insPreSettle", {"settlementId": sid})
        assert pre["state"] == "pre_settled" and pre["preSettlement"]["medfeeSumamt"] == "50.00"
        assert not sim_settlements(ins_sim, mdtrt_id=reg["mdtrtId"])  # pre-settle creates none
        done = term.ok("insSettle", {"settlementId": sid})
        assert done["state"] == "settled" and done["setlId"] and done["settleMsgid"].startswith(server.ctx.config.insurance_fixmedins_code)
        total = Decimal(done["fundPaySumamt"]) + Decimal(done["acctPay"]) + Decimal(done["psnCashPay"])
        assert Decimal(done["medfeeSumamt"]) == Decimal("50.00") and total == Decimal("50.00")
        on_platform = sim_settlements(ins_sim, mdtrt_id=reg["mdtrtId"])
        assert [(s["medins_setl_id"], s["state"]) for s in on_platform] == [(done["settleMsgid"], "valid")]
        # settle again: the state forbids it, nothing sent
        code, _ = term.call("insSettle", {"settlementId": sid})
        assert code == "E5612"
        queried = term.ok("insSettlementQuery", {"settlementId": sid, "refresh": "1"})
        assert queried["state"] == "settled" and queried["platform"][0]["setlId"] == done["setlId"]
        # the person's next visit may start now that this one is settled
        cancelled = term.ok("insCancel", {"settlementId": sid})
        assert cancelled["state"] == "cancelled"
        assert Decimal(cancelled["cancellation"]["medfeeSumamt"]) == Decimal("-50.00")
        code, _ = term.call("insCancel", {"settlementId": sid})
        assert code == "E5612"
        # every transaction is journalled with its outcome
        with read_tx(server.ctx.engine) as conn:
            infnos = [r[0] for r in conn.execute(select(ins_transactions.c.infno)
                                                 .where(ins_transactions.c.outcome == "ok"))]
        for infno in ("9001", "2201", "2204", "2206", "2207", "2208"):
            assert infno in infnos
        # a reversal is finance's: settle a second visit and reverse it (2601)
        reg2 = term.ok("insRegister", register_data(LI))
        term.ok("insUploadFees", fees_data(reg2["settlementId"], 1))
        term.ok("insPreSettle", {"settlementId": reg2["settlementId"]})
        term.ok("insSettle", {"settlementId": reg2["settlementId"]})
        code, _ = term.call("insReverse", {"settlementId": reg2["settlementId"]})
        assert code == "E2033"  # the cashier's role may not reverse
        rev = finance.ok("insReverse", {"settlementId": reg2["settlementId"]})
        assert rev["state"] == "reversed"
        states = {s["state"] for s in sim_settlements(ins_sim, mdtrt_id=reg2["mdtrtId"])}
        assert "valid" not in states
    finally:
        term.close()
        finance.close()


def test_inpatient_settlement_life(server: ServerThread, ins_sim: InsSimProcess) -> None:
    term = terminal(_base(server), server.demo, "ward_nurse")
    try:
        data = register_data(ZHAO) | {"visit": "inpatient", "medType": "21", "diseCodg": "J18.900",
                                      "diseName": "肺炎", "deptCode": "B02", "deptName": "呼吸内科"}
        code, msg = term.call("insRegister", {k: v for k, v in data.items() if k != "diseCodg"})
        assert code == "E5610" and "diseCodg" in msg
        reg = term.ok("insRegister", data)
        sid = reg["settlementId"]
        assert reg["visit"] == "inpatient" and reg["mdtrtId"]
        bed = {"settlementId": sid, "chrgBchno": "", "fees": [
            {"feedetlSn": "IP1", "medListCodg": "120100001", "medinsListCodg": "BED3", "detItemFeeSumamt": "120.00",
             "cnt": "2", "pric": "60.00"}]}
        assert term.ok("insUploadFees", bed | {"chrgBchno": "IPB1"})["medfeeSumamt"] == "120.00"
        # the final settlement needs the discharge first (the platform refuses otherwise)
        assert term.call("insPreSettle", {"settlementId": sid})[0] == "E5604"
        assert term.ok("insDischarge", {"settlementId": sid, "dscgWay": "1"})["discharged"]
        pre = term.ok("insPreSettle", {"settlementId": sid})
        assert pre["preSettlement"]["medfeeSumamt"] == "120.00"
        done = term.ok("insSettle", {"settlementId": sid})
        assert done["state"] == "settled" and done["clrType"] in ("21", None)
        assert [s["infno"] for s in sim_settlements(ins_sim, mdtrt_id=reg["mdtrtId"]) if s["state"] == "valid"] \
            == ["2304"]
        cancelled = term.ok("insCancel", {"settlementId": sid})
        assert Decimal(cancelled["cancellation"]["medfeeSumamt"]) == Decimal("-120.00")
        assert term.call("insDischarge", {"settlementId": sid})[0] == "E5612"
    finally:
        term.close()
