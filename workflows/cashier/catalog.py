"""The charge-item catalog the cashier picks from (应急开票基础信息 / catalog download).

The sync server hands terminals its catalog (terminal_api catalog); the cashier's entry form only
needs lookup by code, pinyin initials or name fragment, so this module holds a small in-memory
index that any source (server download, offline cache, demo list) can fill.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal


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
                 for d in payload.get("chargeItems", []) or []  # type: ignore[union-attr]
                 if isinstance(d, dict)]
        chans = [PayChannelDef(str(d.get("payChannelCode", d.get("code", ""))),
                               str(d.get("payChannelName", d.get("name", ""))))
                 for d in payload.get("payChannels", []) or []  # type: ignore[union-attr]
                 if isinstance(d, dict)]
        return cls(items, chans)


def demo_catalog() -> Catalog:
    """The demo hospital's catalog (demo mode and tests)."""
    d = Decimal
    items = [
        ChargeItemDef("101", "挂号费", "次", d("1.00"), "GHF"),
        ChargeItemDef("102", "诊查费", "次", d("10.00"), "ZCF"),
        ChargeItemDef("201", "西药费", "项", d("0.00"), "XYF"),
        ChargeItemDef("202", "中成药费", "项", d("0.00"), "ZCYF"),
        ChargeItemDef("203", "中草药费", "项", d("0.00"), "ZCYF"),
        ChargeItemDef("301", "化验费", "项", d("25.00"), "HYF"),
        ChargeItemDef("302", "检查费", "项", d("80.00"), "JCF"),
        ChargeItemDef("303", "放射费", "项", d("120.00"), "FSF"),
        ChargeItemDef("401", "治疗费", "项", d("30.00"), "ZLF"),
        ChargeItemDef("402", "手术费", "项", d("500.00"), "SSF"),
        ChargeItemDef("403", "卫生材料费", "项", d("0.00"), "WSCLF"),
        ChargeItemDef("501", "床位费", "日", d("40.00"), "CWF"),
        ChargeItemDef("502", "护理费", "日", d("20.00"), "HLF"),
        ChargeItemDef("601", "体检费", "次", d("200.00"), "TJF"),
        ChargeItemDef("901", "往来款", "笔", d("0.00"), "WLK"),
        ChargeItemDef("902", "捐赠款", "笔", d("0.00"), "JZK"),
    ]
    chans = [PayChannelDef("02", "现金"), PayChannelDef("01", "POS"), PayChannelDef("05", "微信"),
             PayChannelDef("04", "支付宝"), PayChannelDef("03", "转账"), PayChannelDef("11", "医保")]
    return Catalog(items, chans)
