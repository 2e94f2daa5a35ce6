"""应急开票基础信息: the catalog a terminal needs to issue while the server is unreachable.

Kinds: ``charge_item`` (收费项目), ``place`` (开票点), ``pay_channel`` (缴款渠道), ``payer``
(交款人 of common bills). Each refresh replaces a kind as a whole inside one transaction, so a
cut link mid-download leaves the previous catalog intact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from offline_store.db import Database, from_json, to_json

KINDS = ("charge_item", "place", "pay_channel", "payer")


def replace_kind(db: Database, kind: str, items: Iterable[Mapping[str, Any]], at: str,
                 code_key: str = "code", name_key: str = "name") -> int:
    """Replace every entry of ``kind``; returns how many were stored.

    :param items: JSON objects; ``code_key``/``name_key`` name their code and name fields.
    :param at: refresh time (ts17), recorded per entry and as ``catalog_refreshed_at``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown catalog kind {kind!r}")
    rows = [{"kind": kind, "code": str(item[code_key]), "name": str(item.get(name_key) or ""),
             "data": to_json(dict(item)), "refreshed_at": at} for item in items]
    with db.atomic():
        db.execute("DELETE FROM catalog WHERE kind = ?", (kind,))
        db.utils["catalog"].insert_all(rows)
        db.set_value(f"catalog_refreshed_at.{kind}", at)
    return len(rows)


def items(db: Database, kind: str) -> list[dict[str, Any]]:
    """Every entry of ``kind``, ordered by code."""
    return [from_json(r["data"]) for r in db.all("SELECT data FROM catalog WHERE kind = ? ORDER BY code", (kind,))]


def get(db: Database, kind: str, code: str) -> dict[str, Any] | None:
    """One entry, or None."""
    row = db.one("SELECT data FROM catalog WHERE kind = ? AND code = ?", (kind, code))
    return None if row is None else from_json(row["data"])


def refreshed_at(db: Database, kind: str) -> str | None:
    """When ``kind`` was last refreshed (ts17), or None when never."""
    value = db.get_value(f"catalog_refreshed_at.{kind}")
    return None if value is None else str(value)
