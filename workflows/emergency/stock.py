"""Emergency stock on the terminal: receive blocks (库存发放), return unused numbers (申退), apply
revocations, refresh 应急开票基础信息.

A return is two-phase so that a cut link can never let a returned number be issued: the block
is first marked ``returning`` locally (no more issuing from it), then the server is asked; the
request is repeated until it is acknowledged (:meth:`StockManager.retry_returns`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing_core.clock import Clock, ts17
from billing_core.errors import PlatformError
from offline_store import catalog, stock
from offline_store.db import Database
from workflows.errors import BadAnswerError, LinkError
from workflows.sync_client import SyncClient

#: Catalog answer keys -> (store kind, specific code key, specific name key). Entries may use
#: the specific keys or plain ``code``/``name`` (sync_server's ``catalog`` answers the latter).
CATALOG_KINDS = {
    "chargeItems": ("charge_item", "chargeCode", "chargeName"),
    "billingPoints": ("place", "placeCode", "placeName"),
    "places": ("place", "placeCode", "placeName"),
    "payChannels": ("pay_channel", "payChannelCode", "payChannelName"),
    "payers": ("payer", "payerCode", "payerName"),
}


def _normalise(item: dict[str, Any], code_key: str, name_key: str) -> dict[str, Any]:
    code = item.get(code_key) or item.get("code")
    name = item.get(name_key) or item.get("name") or ""
    return {**item, "code": str(code), "name": str(name)}


@dataclass(frozen=True, slots=True)
class ReturnResult:
    """One block's return request."""

    block_id: int
    bill_batch_code: str
    bgn_no: str
    end_no: str
    acknowledged: bool
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"blockId": self.block_id, "billBatchCode": self.bill_batch_code, "billBgnNo": self.bgn_no,
                "billEndNo": self.end_no, "acknowledged": self.acknowledged, "error": self.error}


class StockManager:
    """Talks to the server about this terminal's emergency stock and catalog."""

    def __init__(self, db: Database, sync: SyncClient, clock: Clock, place_code: str) -> None:
        self.db = db
        self.sync = sync
        self.clock = clock
        self.place_code = place_code

    def request_block(self, count: int, operator: str) -> stock.Block:
        """Ask the server for a block of ``count`` numbers and record it.

        :raises LinkError: the link is down; :raises PlatformError: the server refused.
        """
        got = self.sync.emergency_stock_out(self.place_code, count, operator).payload()
        if not isinstance(got, dict) or not {"billBatchCode", "billBgnNo", "billEndNo"} <= set(got):
            raise BadAnswerError("应急库存发放应答缺少票据代码或号段")
        return stock.add_block(self.db, self.place_code, str(got["billBatchCode"]), str(got["billBgnNo"]),
                               str(got["billEndNo"]), str(got.get("reserveTime") or ts17(self.clock.now())),
                               bill_code=str(got.get("billCode") or ""))

    def return_unused(self, reason: str, block_id: int | None = None) -> list[ReturnResult]:
        """申退: give back the unused numbers of every active block (or one block)."""
        targets = [b for b in stock.blocks(self.db, self.place_code)
                   if b.state in ("active", "returning") and (block_id is None or b.id == block_id)]
        for block in targets:
            stock.begin_return(self.db, block.id, reason)
        return self.retry_returns(reason)

    def retry_returns(self, reason: str = "终端申退未使用的应急票号") -> list[ReturnResult]:
        """Send (again) every return not yet acknowledged."""
        results = []
        for block in stock.returning(self.db):
            bgn, end = block.number(block.next_no), block.number(block.end_no)
            try:
                self.sync.emergency_stock_return(block.place_code, block.bill_batch_code, bgn, end, reason).payload()
            except (LinkError, PlatformError) as exc:
                results.append(ReturnResult(block.id, block.bill_batch_code, bgn, end, False, str(exc)))
                continue
            stock.finish_return(self.db, block.id)
            results.append(ReturnResult(block.id, block.bill_batch_code, bgn, end, True))
        return results

    def apply_revocations(self, revoked: list[dict[str, Any]]) -> int:
        """Stop issuing from blocks the server revoked (lost terminal); returns how many."""
        return sum(stock.revoke(self.db, str(r["billBatchCode"]), str(r["billBgnNo"]), str(r["billEndNo"]))
                   for r in revoked)

    def refresh_catalog(self) -> dict[str, int]:
        """Download 应急开票基础信息 and replace each kind the server sent."""
        got = self.sync.emergency_catalog(self.place_code).payload()
        if not isinstance(got, dict):
            raise BadAnswerError("应急开票基础信息应答格式错误")
        at = ts17(self.clock.now())
        counts = {}
        for key, (kind, code_key, name_key) in CATALOG_KINDS.items():
            entries = got.get(key)
            if isinstance(entries, list):
                counts[kind] = catalog.replace_kind(
                    self.db, kind, [_normalise(e, code_key, name_key) for e in entries if isinstance(e, dict)], at)
        return counts
