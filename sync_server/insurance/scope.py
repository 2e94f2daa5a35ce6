"""Whose settlements a caller may see and act on (issue 16, server remainder; the insurance
counterpart of sync_server/his/scope.py).

A settlement belongs to the caller that registered it (``ins_settlements.caller``). A terminal,
kiosk or ward caller reaches a settlement only when it made it or shares a billing point with
the caller that did (a window and the kiosk beside it at one point); a session of the finance or
admin role reaches every settlement (reversal, reconciliation, the way back for any window).
Anything else is answered exactly as a settlement that does not exist (E5614): for another
point's caller it does not exist, and the answer must not tell it otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from sync_server.insurance import records
from sync_server.insurance.errors import SettlementNotFoundError

#: Session roles that see every settlement.
ALL_SETTLEMENTS = frozenset({"finance", "admin"})


@dataclass(frozen=True)
class Scope:
    """One request's reach: its caller, the caller's billing points, and how to find another
    caller's points (``places_of``); ``everything`` for finance / admin sessions and the server."""

    caller: str
    places: frozenset[str] = frozenset()
    places_of: Callable[[str], frozenset[str]] = lambda _appid: frozenset()
    everything: bool = False

    def sees(self, row: Mapping[str, Any]) -> bool:
        """True when the settlement ``row`` is within reach."""
        owner = str(row["caller"])
        return self.everything or owner == self.caller or bool(self.places & self.places_of(owner))


#: The server's own work (resolution, worker): every settlement.
SERVER = Scope("server", everything=True)


def load(conn: Connection, settlement_id: int, scope: Scope) -> Mapping[str, Any]:
    """The settlement row when ``scope`` reaches it.

    :raises SettlementNotFoundError: no such row, or not within reach (the same answer).
    """
    row = records.load(conn, settlement_id)
    if not scope.sees(row):
        raise SettlementNotFoundError(f"未找到医保结算记录{settlement_id}")
    return row
