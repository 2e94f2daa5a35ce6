"""复核人 (checkers): inpatient, registration and check-up bills must name one (issue 18 §4).

The platform's field tables already require a non-empty ``checker`` on those bills (E1xxx at
validation). Once the hospital has registered its checkers (any row in ``checkers``), the name
must also be an enabled registered checker; a hospital that has not set up the list yet is not
refused (nothing to check against), which keeps existing HIS traffic flowing until finance fills
it in. Applied to single issuing and to every bill of a batch, before anything is written.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from billing_core import methods
from sync_server.baseinfo.errors import CheckerRequiredError
from sync_server.context import ServerContext
from sync_server.store.baseinfo_schema import checkers
from sync_server.store.db import read_tx

#: issuing methods whose bills need a registered checker
CHECKED_METHODS = frozenset({
    methods.INV_EBILL_HOSPITALIZED, methods.INV_EBILL_REGISTRATION, methods.INV_EBILL_CHECKUP,
    methods.BATCH_INVOICE_EBILL_HOSPITALIZED, methods.BATCH_INVOICE_EBILL_REGISTRATION,
    methods.BATCH_INVOICE_EBILL_CHECKUP,
})

_KIND = {methods.INV_EBILL_HOSPITALIZED: "住院", methods.INV_EBILL_REGISTRATION: "挂号",
         methods.INV_EBILL_CHECKUP: "体检", methods.BATCH_INVOICE_EBILL_HOSPITALIZED: "住院",
         methods.BATCH_INVOICE_EBILL_REGISTRATION: "挂号", methods.BATCH_INVOICE_EBILL_CHECKUP: "体检"}


def require_checker(ctx: ServerContext, method: str, data: dict[str, Any]) -> None:
    """Refuse (E5973) a bill of :data:`CHECKED_METHODS` whose checker is not registered."""
    if method not in CHECKED_METHODS:
        return
    bills = [b for b in data.get("eBillList") or [] if isinstance(b, dict)] if method in methods.BATCH else [data]
    names = {str(b.get("checker") or "").strip() for b in bills}
    with read_tx(ctx.engine) as conn:
        if not conn.execute(select(func.count()).select_from(checkers)).scalar():
            return  # no list set up yet
        known = set(conn.execute(select(checkers.c.name).where(checkers.c.enabled == 1)).scalars())
    for name in sorted(names):
        if not name:
            raise CheckerRequiredError(f"checker（复核人）必填：{_KIND[method]}票据须由已登记的复核人复核")
        if name not in known:
            raise CheckerRequiredError(f"checker（复核人）“{name[:20]}”不是已登记且启用的复核人，"
                                       f"{_KIND[method]}票据须由已登记的复核人复核（基础资料-复核人管理）")
