"""Issuing over a fake platform client: every outcome of the platform-call policy, in milliseconds.

The integration suites drive the same paths through real server and simulator processes; here
the Issuer runs on a real (temporary SQLite) store with a scripted platform client, so each rule
of his/issuing.py is pinned by a test that needs no sockets: an issued or recovered bill is
recorded once, a refusal leaves nothing behind, not-sent / in-doubt outcomes issue from the
server's emergency stock (in doubt marked as such) with the carry-forward queued in the same
transaction, and a repeat of the busNo is answered from the store without a platform call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from billing_core import methods
from billing_core.bills import validate_request
from sync_server.app import build_context
from sync_server.bills.validation import validate
from sync_server.config import load_config
from sync_server.connectors.errors import PlatformInDoubt, PlatformRejected, PlatformUnreachable
from sync_server.connectors.policy import IssueOutcome, Outcome
from sync_server.context import ServerContext
from sync_server.his.issuing import Issuer
from sync_server.security.audit import Actor, audit
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import bills, outbox, stock_ranges

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "requests" / "outpatient.json"
WHO = Actor("HIS01", caller="HIS01")


class FakeExt:
    """The §17 extension client: no block is ever reserved (tests put stock in by hand)."""

    def emergency_stock_out(self, *_a: Any, **_k: Any) -> Any:
        raise PlatformUnreachable("fake: no platform", method=methods.EMERGENCY_STOCK_OUT)


class FakePlatform:
    """A platform client whose issuing outcomes are scripted, one per call, and recorded."""

    def __init__(self) -> None:
        self.script: list[IssueOutcome] = []
        self.calls: list[tuple[str, str, bool]] = []
        self.ext = FakeExt()

    def resolve_issue(self, method: str, bill: dict[str, Any], *, lookup_first: bool = False) -> IssueOutcome:
        self.calls.append((method, str(bill["busNo"]), lookup_first))
        return self.script.pop(0)

    def is_open(self) -> bool:
        return False

    def close(self) -> None:
        """No connection pool to release."""


@pytest.fixture()
def ctx(tmp_path: Path) -> Iterator[ServerContext]:
    context = build_context(load_config({"data_dir": str(tmp_path), "seed_demo": False}))
    context.upstream = FakePlatform()  # type: ignore[assignment]  # duck-typed stand-in
    yield context
    context.close()


def request(bus_no: str) -> dict[str, Any]:
    """The outpatient fixture under ``bus_no``, validated as the HIS edge does."""
    raw = json.loads(FIXTURE.read_text(encoding="utf-8")) | {"busNo": bus_no}
    return validate(methods.INVOICE_EBILL_OUTPATIENT, raw)


def answer(no: str) -> dict[str, Any]:
    return {"billBatchCode": "11010126", "billNo": no, "random": "a1b2c3", "createTime": "20261203101010123",
            "billQRCode": "", "pictureUrl": "", "pictureNetUrl": ""}


def rows(ctx: ServerContext) -> list[dict[str, Any]]:
    with read_tx(ctx.engine) as conn:
        return [dict(r) for r in conn.execute(select(bills).order_by(bills.c.id)).mappings()]


def outbox_count(ctx: ServerContext) -> int:
    with read_tx(ctx.engine) as conn:
        return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())


def add_stock(ctx: ServerContext, place: str, bgn: str = "0000900001", end: str = "0000900100") -> None:
    with write_tx(ctx.engine) as conn:
        conn.execute(stock_ranges.insert().values(
            place_code=place, bill_code="0101", bill_batch_code="11019926", bgn_no=bgn, end_no=end,
            next_no=int(bgn), kind="emergency_server", holder=None, state="active", reserved_at="20261203000000000"))
        audit(conn, ctx.clock, WHO, "emergency_stock_out", "stock_range", 1, None, {"bgn_no": bgn, "end_no": end})


def platform(ctx: ServerContext) -> FakePlatform:
    assert isinstance(ctx.upstream, FakePlatform)
    return ctx.upstream


def test_issued_bill_is_recorded_once_and_a_repeat_needs_no_platform_call(ctx: ServerContext) -> None:
    platform(ctx).script = [IssueOutcome(Outcome.ISSUED, answer("0000000001"), attempts=1)]
    first = Issuer(ctx).issue(methods.INVOICE_EBILL_OUTPATIENT, request("B-1"), WHO)
    again = Issuer(ctx).issue(methods.INVOICE_EBILL_OUTPATIENT, request("B-1"), WHO)
    assert first["billNo"] == again["billNo"] == "0000000001"
    assert platform(ctx).calls == [(methods.INVOICE_EBILL_OUTPATIENT, "B-1", False)]
    [row] = rows(ctx)
    assert (row["state"], row["origin"], row["in_doubt"], row["carry"]) == ("issued", "online", 0, "none")
    assert outbox_count(ctx) == 0


def test_recovered_bill_is_the_platforms_bill(ctx: ServerContext) -> None:
    platform(ctx).script = [IssueOutcome(Outcome.RECOVERED, answer("0000000007"), attempts=1)]
    got = Issuer(ctx).issue(methods.INVOICE_EBILL_OUTPATIENT, request("B-2"), WHO)
    assert got["billNo"] == "0000000007"
    [row] = rows(ctx)
    assert (row["bill_no"], row["state"], row["origin"]) == ("0000000007", "issued", "online")


def test_refusal_leaves_nothing_and_the_busno_can_be_issued_afterwards(ctx: ServerContext) -> None:
    refused = PlatformRejected("E3010", "开票点未授权", method=methods.INVOICE_EBILL_OUTPATIENT)
    platform(ctx).script = [IssueOutcome(Outcome.REJECTED, error=refused, attempts=1),
                            IssueOutcome(Outcome.ISSUED, answer("0000000002"), attempts=1)]
    with pytest.raises(PlatformRejected) as err:
        Issuer(ctx).issue(methods.INVOICE_EBILL_OUTPATIENT, request("B-3"), WHO)
    assert err.value.code == "E3010"
    assert rows(ctx) == []
    assert Issuer(ctx).issue(methods.INVOICE_EBILL_OUTPATIENT, request("B-3"), WHO)["billNo"] == "0000000002"


@pytest.mark.parametrize(("kind", "in_doubt"), [(Outcome.NOT_SENT, 0), (Outcome.IN_DOUBT, 1)])
def test_unreachable_platform_issues_from_server_stock_with_carry_forward_queued(
        ctx: ServerContext, kind: Outcome, in_doubt: int) -> None:
    data = request("B-4")
    add_stock(ctx, data["placeCode"])
    error = PlatformInDoubt("fake: answer lost") if in_doubt else PlatformUnreachable("fake: refused")
    platform(ctx).script = [IssueOutcome(kind, error=error)]
    got = Issuer(ctx).issue(methods.INVOICE_EBILL_OUTPATIENT, data, WHO)
    assert (got["billBatchCode"], got["billNo"]) == ("11019926", "0000900001")
    [row] = rows(ctx)
    assert (row["state"], row["origin"], row["in_doubt"], row["carry"]) == ("issued", "emergency", in_doubt, "pending")
    assert outbox_count(ctx) == 1
    # a repeat is answered with the same emergency number, without asking the platform again
    assert Issuer(ctx).issue(methods.INVOICE_EBILL_OUTPATIENT, data, WHO)["billNo"] == "0000900001"
    assert len(platform(ctx).calls) == 1


def test_no_stock_when_not_sent_refuses_and_frees_the_busno(ctx: ServerContext) -> None:
    platform(ctx).script = [IssueOutcome(Outcome.NOT_SENT, error=PlatformUnreachable("fake: refused"))]
    with pytest.raises(Exception) as err:  # noqa: PT011 - the stock error's class is the server's own
        Issuer(ctx).issue(methods.INVOICE_EBILL_OUTPATIENT, request("B-5"), WHO)
    assert getattr(err.value, "code", "").startswith("E")
    assert rows(ctx) == []


def test_no_stock_when_in_doubt_keeps_the_claim_for_a_lookup_first_takeover(ctx: ServerContext) -> None:
    platform(ctx).script = [IssueOutcome(Outcome.IN_DOUBT, error=PlatformInDoubt("fake: answer lost")),
                            IssueOutcome(Outcome.RECOVERED, answer("0000000009"), attempts=0)]
    with pytest.raises(Exception):  # noqa: B017, PT011 - no stock: the server's stock error
        Issuer(ctx).issue(methods.INVOICE_EBILL_OUTPATIENT, request("B-6"), WHO)
    [row] = rows(ctx)
    assert (row["state"], row["owner"]) == ("pending", None)  # ownerless: the next request takes it over
    got = Issuer(ctx).issue(methods.INVOICE_EBILL_OUTPATIENT, request("B-6"), WHO)
    assert got["billNo"] == "0000000009"
    assert platform(ctx).calls[-1] == (methods.INVOICE_EBILL_OUTPATIENT, "B-6", True)  # lookup first


def test_validation_at_the_edge_is_the_only_pass() -> None:
    raw = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert validate(methods.INVOICE_EBILL_OUTPATIENT, raw) == validate_request(methods.INVOICE_EBILL_OUTPATIENT, raw)
