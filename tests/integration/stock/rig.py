"""The stock tests' rig: a finance simulator and an in-process sync server (tests/rigs/stack.py),
a finance user's session on the window terminal TERM01, and readers of the server's tables that
do not go through the stock read API (the tests' independent count)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from sync_server.cli import admin
from sync_server.store.db import read_tx
from sync_server.store.stock_schema import stock_lots, stock_moves, stock_pieces
from tests.rigs.stack import HisClient, ServerThread

#: The unit's paper stock on the simulator (docs/FINANCE_SIMULATOR.md): 900001 .. 999999.
PAPER_BATCH, PAPER_CODE = "44060126", "0602"


class Finance:
    """A finance user logged in at TERM01; ``call`` / ``ok`` add the session token."""

    def __init__(self, server: ServerThread, role: str = "finance") -> None:
        self.server = server
        self.user = admin.add_user(server.ctx.engine, f"{role[:3]}{uuid.uuid4().hex[:8]}", "财务测试", role)
        self.term: HisClient = server.terminal("TERM01")
        got = self.term.ok("login", {"username": self.user["username"], "password": self.user["password"]})
        self.token = str(got["sessionToken"])

    def call(self, method: str, data: dict[str, Any]) -> tuple[str, Any]:
        return self.term.call(method, data | {"sessionToken": self.token})

    def ok(self, method: str, data: dict[str, Any]) -> Any:
        return self.term.ok(method, data | {"sessionToken": self.token})


def rid() -> str:
    """A new request id."""
    return uuid.uuid4().hex


def no(n: int) -> str:
    """A paper number as printed (10 digits)."""
    return f"{n:010d}"


def rng(bgn: int, end: int, **extra: Any) -> dict[str, Any]:
    """A range request of the paper batch."""
    return {"requestId": rid(), "billBatchCode": PAPER_BATCH, "billBgnNo": no(bgn), "billEndNo": no(end)} | extra


def snapshot(server: ServerThread) -> dict[str, Any]:
    """Every number's state and holder, and the journal length, read straight from the tables."""
    with read_tx(server.ctx.engine) as conn:
        numbers: dict[tuple[str, int], tuple[Any, ...]] = {}
        for p in conn.execute(select(stock_pieces)).mappings():
            for n in range(p["bgn_no"], p["end_no"] + 1):
                numbers[(p["bill_batch_code"], n)] = (p["lot_id"], p["state"], p["place_code"], p["terminal_id"],
                                                      p["busy"])
        moves = conn.execute(select(stock_moves.c.id)).all()
        lots = conn.execute(select(stock_lots.c.id)).all()
    return {"numbers": numbers, "moves": len(moves), "lots": len(lots)}
