"""Error cases of ``/insurance/api`` over HTTP (SQLite and PostgreSQL): every refusal has its
stable code and a Chinese message naming the field, and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ins_stack import InsTerminal, fees_data, register_data, terminal
from sqlalchemy import func, select

from sync_server.store.db import read_tx
from sync_server.store.insurance_schema import ins_settlements, ins_transactions
from tests.rigs.insurance import WANG, ZHANG, InsSimProcess
from tests.rigs.stack import ServerThread

pytestmark = pytest.mark.integration


@pytest.fixture
def term(server: ServerThread) -> Iterator[InsTerminal]:
    t = terminal(f"http://127.0.0.1:{server.port}", server.demo)
    try:
        yield t
    finally:
        t.close()


def _counts(server: ServerThread) -> tuple[int, int]:
    with read_tx(server.ctx.engine) as conn:
        return (int(conn.execute(select(func.count()).select_from(ins_settlements)).scalar_one()),
                int(conn.execute(select(func.count()).select_from(ins_transactions)).scalar_one()))


@pytest.mark.parametrize(("method", "data", "code", "field"), [
    ("insRegister", {k: v for k, v in register_data(ZHANG).items() if k != "psnNo"}, "E5610", "psnNo"),
    ("insRegister", register_data(ZHANG) | {"mdtrtCertType": "09"}, "E5610", "mdtrtCertType"),
    ("insRegister", register_data(ZHANG) | {"visit": "ward"}, "E5610", "visit"),
    ("insPersonInfo", {"mdtrtCertType": "02"}, "E5610", "mdtrtCertNo"),
    ("insUploadFees", {"settlementId": "x", "chrgBchno": "B1", "fees": []}, "E5610", "settlementId"),
    ("insSettle", {}, "E5610", "settlementId"),
    ("insReconcile", {"day": "2026/12/01"}, "E2033", "day"),
])
def test_bad_fields_are_refused_and_change_nothing(server: ServerThread, term: InsTerminal, method: str,
                                                   data: dict[str, object], code: str, field: str) -> None:
    before = _counts(server)
    got, msg = term.call(method, data)
    if method == "insReconcile":  # finance's method: the cashier is refused before the fields are read
        assert got == "E2033"
    else:
        assert (got, field in msg) == (code, True), msg
    assert _counts(server) == before


def test_unknown_settlement_and_method(term: InsTerminal) -> None:
    assert term.call("insSettle", {"settlementId": 999999})[0] == "E5614"
    assert term.call("insCancel", {"settlementId": 999999})[0] == "E5614"
    assert term.call("insSettleTwice", {})[0] == "E5021"


def test_one_settlement_at_a_time_per_patient(server: ServerThread, term: InsTerminal) -> None:
    first = term.ok("insRegister", register_data(WANG))
    code, msg = term.call("insRegister", register_data(WANG))
    assert code == "E5611" and str(first["settlementId"]) in msg
    # the visit that holds the person is closed before settling: the person is free again
    assert term.ok("insCancel", {"settlementId": first["settlementId"]})["state"] == "cancelled"
    second = term.ok("insRegister", register_data(WANG))
    assert term.call("insSettle", {"settlementId": second["settlementId"]})[0] == "E5612"  # not pre-settled
    code, msg = term.call("insUploadFees", fees_data(second["settlementId"]) | {
        "fees": [{"feedetlSn": "F1", "medListCodg": "250101015", "medinsListCodg": "H1", "detItemFeeSumamt": "1.005"}]})
    assert code == "E5610" and "detItemFeeSumamt" in msg
    term.ok("insCancel", {"settlementId": second["settlementId"]})


def test_platform_refusal_is_answered_with_its_message(term: InsTerminal, ins_sim: InsSimProcess) -> None:
    reg = term.ok("insRegister", register_data(WANG))
    code, msg = term.call("insUploadFees", fees_data(reg["settlementId"]) | {
        "fees": [{"feedetlSn": "F1", "medListCodg": "NOPE", "medinsListCodg": "H1", "detItemFeeSumamt": "5.00",
                  "cnt": "1", "pric": "5.00"}]})
    assert code == "E5604" and "med_list_codg" in msg
    assert term.ok("insSettlementQuery", {"settlementId": reg["settlementId"]})["state"] == "registered"
    term.ok("insCancel", {"settlementId": reg["settlementId"]})


def test_sessions_kinds_and_roles(server: ServerThread) -> None:
    base = f"http://127.0.0.1:{server.port}"
    anonymous = terminal(base, server.demo, role=None)
    staffed_kiosk = terminal(base, server.demo, role=None, appid="KIOSK01")  # kind terminal: staffed
    kiosk = terminal(base, server.demo, role=None, appid="SELF01")  # kind kiosk: acts as itself
    try:
        assert anonymous.call("insRegister", register_data(ZHANG))[0] == "E2030"  # a staffed window logs in
        assert anonymous.ok("insPersonInfo", {"mdtrtCertType": "02", "mdtrtCertNo": ZHANG["certno"]})["psnNo"]
        assert staffed_kiosk.call("insRegister", register_data(ZHANG))[0] == "E2030"
        reg = kiosk.ok("insRegister", register_data(ZHANG))  # the patient's own visit, opter = the kiosk
        assert reg["state"] == "registered"
        assert kiosk.call("insReverse", {"settlementId": reg["settlementId"]})[0] == "E2015"
        assert kiosk.call("insReconcile", {"day": "2026-12-01"})[0] == "E2015"
        assert kiosk.ok("insCancel", {"settlementId": reg["settlementId"]})["state"] == "cancelled"
        with read_tx(server.ctx.engine) as conn:
            opter = conn.execute(select(ins_settlements.c.opter).where(
                ins_settlements.c.id == reg["settlementId"])).scalar_one()
        assert opter == "SELF01"
    finally:
        anonymous.close()
        staffed_kiosk.close()
        kiosk.close()
