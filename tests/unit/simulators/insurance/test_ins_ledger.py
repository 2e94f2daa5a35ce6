"""A long random sequence of settlements, cancels and reversals: after every step the year's
accumulations and the account balance equal what the valid settlements add up to."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from tests.rigs.insurance import (
    CONSULT,
    DRUG_A,
    DRUG_B,
    DRUG_C,
    ZHANG,
    InsClient,
    fee_line,
    new_msgid,
    register,
    settle_data,
)

pytestmark = pytest.mark.unit
START_BALANCE = Decimal("1500.00")


def _check(app: Flask) -> None:
    http = app.test_client()
    rows = http.get(f"/_sim/settlements?psn_no={ZHANG['psn_no']}").get_json()["settlements"]
    valid = [r for r in rows if r["state"] == "valid" and r["refd_setl_flag"] == "0"]
    state = http.get(f"/_sim/persons/{ZHANG['psn_no']}").get_json()
    acc = {a["kind"]: a for a in state["accumulations"]}.get("otp")
    fund = sum((Decimal(r["fund"]) for r in valid), Decimal("0.00"))
    medfee = sum((Decimal(r["medfee"]) for r in valid), Decimal("0.00"))
    acct = sum((Decimal(r["acct"]) for r in valid), Decimal("0.00"))
    assert Decimal(acc["fund_paid"] if acc else "0") == fund
    assert Decimal(acc["medfee"] if acc else "0") == medfee
    dedc = sum((Decimal(r["dedc"]) for r in valid), Decimal("0.00"))
    assert Decimal(acc["deductible_used"] if acc else "0") == dedc
    assert Decimal(state["insurances"][0]["balc"]) == START_BALANCE - acct
    for r in valid:
        assert Decimal(r["fund"]) + Decimal(r["acct"]) + Decimal(r["cash"]) == Decimal(r["medfee"])


def test_random_settle_cancel_reverse_keeps_the_ledger(client: InsClient, app: Flask) -> None:
    rng = random.Random(20261203)
    p, plc = ZHANG, ZHANG["plc"]
    open_settlements: list[dict[str, Any]] = []
    for _ in range(24):
        action = rng.choice(["settle", "settle", "cancel", "reverse"]) if open_settlements else "settle"
        if action == "settle":
            mdtrt_id = register(client, p)
            lines, total = [], Decimal(0)
            for i in range(rng.randint(1, 3)):
                code = rng.choice([CONSULT, DRUG_A, DRUG_B, DRUG_C])
                cnt, pric = rng.randint(1, 5), Decimal(rng.randint(1, 40000)) / 100
                lines.append(fee_line(mdtrt_id, p, str(i), code, str(cnt), str(pric)))
                total += (cnt * pric).quantize(Decimal("0.01"))
            client.ok("2204", {"feedetail": lines}, plc)
            msgid = new_msgid()
            out = client.ok("2207", {"data": settle_data(mdtrt_id, p, str(total), acct=rng.choice("01"))}, plc,
                            msgid=msgid)["setlinfo"]
            open_settlements.append({"mdtrt_id": mdtrt_id, "setl_id": out["setl_id"], "msgid": msgid})
        else:
            s = open_settlements.pop(rng.randrange(len(open_settlements)))
            if action == "cancel":
                client.ok("2208", {"data": {"setl_id": s["setl_id"], "mdtrt_id": s["mdtrt_id"], "psn_no": p["psn_no"]}},
                          plc)
            else:
                client.ok("2601", {"data": {"psn_no": p["psn_no"], "omsgid": s["msgid"], "oinfno": "2207"}}, plc)
        _check(app)
