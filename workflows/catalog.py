"""The charge-item catalog a terminal picks from (应急开票基础信息 / catalog download).

The sync server hands terminals its catalog (terminal_api catalog); the cashier's entry form only
needs lookup by code, pinyin initials or name fragment, so this module holds a small in-memory
index that any source (server download, offline cache, demo list) can fill, and
:func:`server_catalog`, the download with its offline cache every terminal uses. The demo list is
:func:`workflows.demo.catalog.demo_catalog`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from billing_core import methods
from billing_core.clock import Clock, SystemClock, ts17
from billing_core.errors import BillingError
from offline_store import catalog as cache
from offline_store.db import Database
from workflows.server_api import ServerApi

#: Pay channels a window offers, in the order shown: cash first, the most common at a window.
CHANNEL_ORDER = ("02", "01", "05", "04", "03", "11")


@dataclass(frozen=True, slots=True)
class ChargeItemDef:
    """One catalog entry: finance charge code, name, unit and standard price."""

    code: str
    name: str
    unit: str = "项"
    std: Decimal = Decimal("0.00")
    initials: str = ""  # pinyin initials typed at the window, e.g. "XCG" for 血常规


@dataclass(frozen=True, slots=True)
class PayChannelDef:
    """A pay channel offered at this billing point."""

    code: str
    name: str


class Catalog:
    """Charge items and pay channels with the lookups the entry form uses."""

    def __init__(self, items: Iterable[ChargeItemDef], channels: Iterable[PayChannelDef]) -> None:
        self.items = list(items)
        self.channels = list(channels)
        self._by_code = {i.code: i for i in self.items}

    def get(self, code: str) -> ChargeItemDef | None:
        """The item with exactly this code, or None."""
        return self._by_code.get(code.strip())

    def search(self, text: str, limit: int = 20) -> list[ChargeItemDef]:
        """Items whose code, initials or name match ``text`` (code prefix first)."""
        t = text.strip().upper()
        if not t:
            return self.items[:limit]
        exact = [i for i in self.items if i.code.upper().startswith(t)]
        rest = [i for i in self.items if i not in exact
                and (i.initials.upper().startswith(t) or text.strip() in i.name)]
        return (exact + rest)[:limit]

    def channel_name(self, code: str) -> str:
        """Display name of a pay channel code (the code itself when unknown)."""
        for c in self.channels:
            if c.code == code:
                return c.name
        return code

    @classmethod
    def from_server(cls, payload: dict[str, object]) -> Catalog:
        """Build from the server's catalog answer (``chargeItems`` / ``payChannels`` lists)."""
        items = [ChargeItemDef(str(d.get("chargeCode", d.get("code", ""))),
                               str(d.get("chargeName", d.get("name", ""))),
                               str(d.get("unit") or "项"), Decimal(str(d.get("std") or "0.00")),
                               str(d.get("initials") or ""))
                 for d in _objects(payload.get("chargeItems"))]
        chans = [PayChannelDef(str(d.get("payChannelCode", d.get("code", ""))),
                               str(d.get("payChannelName", d.get("name", ""))))
                 for d in _objects(payload.get("payChannels"))]
        return cls(items, chans)


def server_catalog(api: ServerApi, db: Database, clock: Clock | None = None) -> Catalog:
    """The terminal's catalog (收费项目目录 + pay channels): downloaded from the server's ``catalog``
    and cached in the terminal store (应急开票基础信息), so a terminal that starts while the server
    is unreachable offers the catalog it last downloaded. Empty only before the first download."""
    try:
        ans = api.terminal(methods.TERMINAL_CATALOG, {})
    except BillingError:
        ans = None
    if isinstance(ans, dict):
        at = ts17((clock or SystemClock()).now())
        cache.replace_kind(db, "charge_item", ans.get("chargeItems") or [], at, "chargeCode", "chargeName")
        cache.replace_kind(db, "pay_channel", ans.get("payChannels") or [], at)
    remote = Catalog.from_server({"chargeItems": cache.items(db, "charge_item"),
                                  "payChannels": cache.items(db, "pay_channel")})
    chans = sorted((c for c in remote.channels if c.code in CHANNEL_ORDER), key=lambda c: CHANNEL_ORDER.index(c.code))
    return Catalog(remote.items, chans)


def _objects(value: object) -> list[dict[str, object]]:
    """The JSON objects of a list in the server's answer (a missing or null list is empty)."""
    if not value:
        return []
    if not isinstance(value, Iterable):
        raise TypeError(f"expected a list of objects, got {type(value).__name__}")
    return [d for d in value if isinstance(d, dict)]
