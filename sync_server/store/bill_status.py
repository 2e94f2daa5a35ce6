"""The allowed values of the bill's six status columns (issue 13 §3).

They live beside the schema because the database checks them (``CHECK`` constraints in
schema.py and migration 0006); the named transitions between them are in
``sync_server.bills.state``, the one module that writes these columns.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class BillState(StrEnum):
    """``bills.state``: the claim/issue lifecycle."""

    PENDING = "pending"  # busNo claimed, platform call (or emergency issue) in flight
    ISSUED = "issued"
    VOID = "void"  # emergency number voided at carry-forward (conflict)


class Origin(StrEnum):
    """``bills.origin``: who made the number."""

    ONLINE = "online"  # the platform
    EMERGENCY = "emergency"  # the server's own emergency stock
    TERMINAL = "terminal"  # a terminal's emergency stock, uploaded later


class Carry(StrEnum):
    """``bills.carry``: carry-forward of an emergency bill to the platform."""

    NONE = "none"  # online bill: nothing to carry
    PENDING = "pending"
    DONE = "done"
    CONFLICT = "conflict"  # the platform held another bill for the busNo: this one voided


class Flag(IntEnum):
    """``bills.in_doubt``, ``bills.is_scarlet``, ``bills.is_prt_paper``: 0 or 1."""

    NO = 0
    YES = 1


#: column -> allowed values; the CHECK constraints are built from this (schema.py, tests).
ALLOWED: dict[str, tuple[str | int, ...]] = {
    "state": tuple(s.value for s in BillState),
    "origin": tuple(o.value for o in Origin),
    "carry": tuple(c.value for c in Carry),
    "in_doubt": tuple(int(f) for f in Flag),
    "is_scarlet": tuple(int(f) for f in Flag),
    "is_prt_paper": tuple(int(f) for f in Flag),
}
STATUS_COLUMNS = tuple(ALLOWED)


def check_sql(column: str) -> str:
    """The SQL of the CHECK constraint on one status column (``col IN (...)``)."""
    values = ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in ALLOWED[column])
    return f"{column} IN ({values})"


def check_name(column: str) -> str:
    """The name of the CHECK constraint on one status column."""
    return f"ck_bills_{column}"
