"""The two sources of every hospital-wide report, as SQLAlchemy Core selects under one filter.

* **blue bills** — ``bills`` rows in state ``issued`` (online, server emergency and terminal
  emergency bills alike: a carried-forward emergency bill is a bill of the day it was issued with
  its emergency number), counted on their issue time ``create_time``. Voided emergency numbers
  (state ``void``: a carry-forward conflict kept the platform's bill) are never counted; the
  platform's bill that replaced one is.
* **red bills** — ``red_bills`` rows (write-off, write-off to paper, paper voided: each
  red-flushes), issued or still queued for the platform (the money went back to the patient when
  the window accepted it), counted on their own time: the platform's ``create_time`` once
  answered, else the server's record time. Amounts are negative; the cashier, point and type are
  the blue bill's.

A bill red-flushed on its issue day therefore counts once in the charges and once in the refunds
(spec §10: net = charges + refunds), like the window's own daily report.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, func, literal, select

from sync_server.reports.filters import ReportFilter
from sync_server.store.schema import bills, red_bills

CENT = Decimal("0.01")

#: the red bill's time: the platform's once answered, else the server's record time
RED_TIME = func.coalesce(red_bills.c.create_time, red_bills.c.created_at)


def money(value: Any) -> Decimal:
    """An amount read from the database (Decimal, or None for an empty sum) to two places."""
    return (Decimal(str(value)) if value is not None else Decimal(0)).quantize(CENT)


def common(f: ReportFilter) -> list[ColumnElement[bool]]:
    """The point / cashier / type conditions shared by both sources (on the blue bill)."""
    cond: list[ColumnElement[bool]] = []
    if f.place_code:
        cond.append(bills.c.place_code == f.place_code)
    if f.payee:
        cond.append(bills.c.payee == f.payee)
    if f.bus_type:
        cond.append(bills.c.bus_type == f.bus_type)
    return cond


def blue_where(f: ReportFilter) -> ColumnElement[bool]:
    """Issued bills with their issue time inside the filter's days."""
    return and_(bills.c.state == "issued", bills.c.create_time >= f.lo, bills.c.create_time < f.hi, *common(f))


def red_where(f: ReportFilter) -> ColumnElement[bool]:
    """Red bills with their time inside the filter's days."""
    return and_(RED_TIME >= f.lo, RED_TIME < f.hi, *common(f))


def blue_lines() -> Select[Any]:
    """One line per blue bill, in the shape :func:`red_lines` shares (for UNION ALL)."""
    return select(
        literal("blue", String(4)).label("kind"), bills.c.create_time.label("at"), bills.c.place_code,
        bills.c.bus_type, bills.c.bill_batch_code.label("code"), bills.c.bill_no.label("no"),
        bills.c.payer, bills.c.payee, bills.c.total_amt.label("amount"), bills.c.origin, bills.c.carry,
        bills.c.is_scarlet, bills.c.is_prt_paper, literal("", String(16)).label("red_state"),
        bills.c.bill_batch_code.label("blue_code"), bills.c.bill_no.label("blue_no"),
        literal("", String(250)).label("reason"), literal("", String(60)).label("operator"),
        bills.c.id.label("bill_id"))


def red_lines() -> Select[Any]:
    """One line per red bill, with its blue bill's point, type, payer and cashier."""
    return select(
        literal("red", String(4)).label("kind"), RED_TIME.label("at"), bills.c.place_code,
        bills.c.bus_type, red_bills.c.bill_batch_code.label("code"), red_bills.c.bill_no.label("no"),
        bills.c.payer, bills.c.payee, red_bills.c.total_amt.label("amount"), bills.c.origin, bills.c.carry,
        bills.c.is_scarlet, bills.c.is_prt_paper, red_bills.c.state.label("red_state"),
        bills.c.bill_batch_code.label("blue_code"), bills.c.bill_no.label("blue_no"),
        red_bills.c.reason, red_bills.c.operator, bills.c.id.label("bill_id"),
    ).select_from(red_bills.join(bills, red_bills.c.bill_id == bills.c.id))
