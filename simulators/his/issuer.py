"""The HIS issuing its own e-bills (issuer ``his``): like any HIS caller of the sync server, in the
platform's signed envelope (``billing_core.envelope``), with the method of the settlement kind.

A reversal of a settlement whose bill the HIS issued is red-flushed by the HIS too
(``writeOffEBill`` with the original's numbers); deposit and top-up vouchers are not written off
here (the voucher numbers needed by ``writeOffPayMentVoucher`` stay with the cashier's process).

Retries by busNo (DESIGN.md §3): after a call whose answer was lost (timeout, dropped
connection) the HIS first asks ``getEBillByBusNo``; only when the server has no bill for the
settlement number is the issue request sent again (the server is idempotent on busNo anyway).
A refusal (validation, authorisation) marks the e-bill ``failed`` with the server's code and
message; a server that stays unreachable leaves it ``pending`` for ``ebill.issue`` to retry.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from billing_core import envelope, methods
from billing_core.clock import ts17
from billing_core.ids import new_noise
from simulators.his import fields, ledger
from simulators.his.context import HisContext
from simulators.his.registry import op
from simulators.his.store import dumps, loads

log = logging.getLogger(__name__)
ATTEMPTS = 3
#: What is kept of the platform's B-1 answer (the QR PNG is large and re-obtainable).
KEEP = ("billBatchCode", "billNo", "random", "createTime", "pictureUrl", "pictureNetUrl")


class Unreachable(Exception):
    """The sync server did not answer (the request may or may not have arrived)."""


def _call(ctx: HisContext, method: str, data: dict[str, Any], deadline: float) -> envelope.Response:
    cfg = ctx.config
    timeout = max(0.5, min(float(cfg.get("syncTimeout", 10.0)), deadline - time.monotonic()))
    appid, key = str(cfg["syncAppid"]), str(cfg["syncKey"])
    body = envelope.dumps(envelope.encode_request(appid, key, data, noise=new_noise())).encode("utf-8")
    req = urllib.request.Request(f"{str(cfg['syncUrl']).rstrip('/')}/{method}", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            raw = resp.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise Unreachable(str(exc)) from None
    try:
        return envelope.decode_response(raw, appid, key)
    except Exception as exc:  # an unusable answer counts as no answer: ask by busNo next time
        raise Unreachable(f"应答无法识别：{exc}") from None


def _rounds(send: Callable[[], envelope.Response], lookup: Callable[[], dict[str, Any] | None],
            label: str, in_doubt: bool, deadline: float) -> tuple[str, dict[str, Any]]:
    """Up to :data:`ATTEMPTS` sends before ``deadline``; after a lost answer the lookup runs first
    and a found result ends the rounds (so a retry never makes a second bill or red bill)."""
    lost, last = in_doubt, "超过本轮开票时限"
    for attempt in range(ATTEMPTS):
        if time.monotonic() >= deadline:
            break
        try:
            if lost:
                found = lookup()
                if found is not None:
                    return "issued", found
            answer = send()
        except Unreachable as exc:
            lost, last = True, str(exc)
            time.sleep(0.2 * (2 ** attempt))
            continue
        if answer.ok and isinstance(answer.message, dict):
            return "issued", answer.message
        return "failed", {"errorCode": answer.result, "errorMsg": str(answer.message)[:500]}
    log.warning("HIS e-bill %s still pending: %s", label, last)
    return "pending", {"errorMsg": f"同步服务器无应答：{last}"[:500], "inDoubt": lost}


def _by_bus_no(ctx: HisContext, bill: dict[str, Any], deadline: float) -> dict[str, Any] | None:
    found = _call(ctx, methods.GET_EBILL_BY_BUS_NO, {"busNo": bill["busNo"], "busDateTime": bill["busDateTime"]},
                  deadline)
    return found.message if found.ok and isinstance(found.message, dict) and found.message.get("billNo") else None


def issue_one(ctx: HisContext, method: str, bill: dict[str, Any], in_doubt: bool, deadline: float
              ) -> tuple[str, dict[str, Any]]:
    """(status, details) of issuing ``bill``: ``issued`` with the bill's numbers, ``failed`` with
    the refusal, or ``pending`` when the sync server stayed unreachable (``inDoubt`` in the details
    when a request may have arrived: the next round starts with the lookup by busNo)."""
    bill = bill | {"placeCode": str(ctx.config.get("placeCode", "")) or bill.get("placeCode", "")}
    status, out = _rounds(lambda: _call(ctx, method, bill, deadline), lambda: _by_bus_no(ctx, bill, deadline),
                          bill["busNo"], in_doubt, deadline)
    return status, ({k: out.get(k, "") for k in KEEP} if status == "issued" else out)


def write_off_one(ctx: HisContext, original: dict[str, Any], request: dict[str, Any], in_doubt: bool,
                  deadline: float) -> tuple[str, dict[str, Any]]:
    """Red-flush (writeOffEBill) the HIS-issued e-bill of ``original``; details name the red bill.
    After a lost answer ``getEBillByBusNo`` of the original tells whether it is already red."""
    done = loads(original["ebill_json"]) or {}
    if original["ebill_status"] != "issued":
        return "pending", {"errorMsg": "原结算单的电子票据尚未开具，开具后再冲红"}
    bill = loads(original["ebill_request_json"])
    req = {"billBatchCode": done["billBatchCode"], "billNo": done["billNo"], "reason": request["reason"],
           "operator": request["operator"], "busDateTime": ts17(ctx.now()),
           "placeCode": str(ctx.config.get("placeCode", ""))}

    def red() -> dict[str, Any] | None:
        found = _by_bus_no(ctx, bill, deadline)
        if found is None or str(found.get("isScarlet", "0")) != "1":
            return None
        return {"eScarletBillBatchCode": found.get("scarletBillBatchCode", ""),
                "eScarletBillNo": found.get("scarletBillNo", ""), "eScarletRandom": found.get("scarletRandom", ""),
                "createTime": found.get("scarletCreateTime", "")}

    status, out = _rounds(lambda: _call(ctx, methods.WRITE_OFF_EBILL, req, deadline), red, original["no"], in_doubt,
                          deadline)
    if status != "issued":
        return status, out
    return status, {"billBatchCode": out.get("eScarletBillBatchCode", ""), "billNo": out.get("eScarletBillNo", ""),
                    "random": out.get("eScarletRandom", ""), "createTime": out.get("createTime", ""),
                    "pictureUrl": out.get("pictureUrl", ""), "writeOffOf": done["billNo"]}


def issue_settlements(ctx: HisContext, nos: list[str], wait: bool = True) -> None:
    """Issue the e-bills (or, for reversals, the red bills) of settlements whose issuer is ``his``
    and that have none yet, within ``syncBudget`` seconds for the lot; what is left stays
    ``pending`` for the background retry (:func:`retry_pending`). While another thread issues
    the same settlement, ``wait`` for it (a caller's request) or skip it (the background)."""
    budget = float(ctx.config.get("syncBudget", 8.0))
    deadline = time.monotonic() + budget
    for no in nos:
        if not ctx.claim_issuing(no, wait=budget if wait else 0.0):
            continue
        try:
            with ctx.store.read() as db:  # read after the claim: another thread may just have issued it
                s = ledger.get(db, no)
                original = ledger.get(db, s["reversal_of"]) if s["reversal_of"] else None
            if s["issuer"] != "his" or s["ebill_status"] not in ("pending", "failed") or not s["ebill_method"]:
                continue
            doubt = bool((loads(s["ebill_json"]) or {}).get("inDoubt"))
            request = loads(s["ebill_request_json"])
            if s["ebill_method"] == methods.WRITE_OFF_EBILL and original is not None:
                status, details = write_off_one(ctx, original, request, doubt, deadline)
            else:
                status, details = issue_one(ctx, s["ebill_method"], request, doubt, deadline)
            with ctx.store.tx() as db:
                db.execute("UPDATE settlements SET ebill_status = ?, ebill_json = ? WHERE no = ?"
                           " AND ebill_status != 'issued'", (status, dumps(details | {"updatedAt": ts17(ctx.now())}), no))
        finally:
            ctx.release_issuing(no)


def retry_pending(ctx: HisContext, limit: int = 50) -> None:
    """One round of the background retry: the oldest ``pending`` e-bills of issuer ``his`` (a
    refusal, ``failed``, waits for a person: ``ebill.issue``)."""
    if not (ctx.config.get("syncUrl") and ctx.config.get("syncAppid")):
        return
    with ctx.store.read() as db:
        nos = [r["no"] for r in db.execute("SELECT no FROM settlements WHERE issuer = 'his' AND ebill_status = 'pending'"
                                           " AND ebill_method IS NOT NULL ORDER BY seq LIMIT ?", (limit,))]
    issue_settlements(ctx, nos, wait=False)


@op("ebill.issue", "read", "HIS开具电子票据（重试）")
def retry(ctx: HisContext, db: Any, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{settlementNo}``: issue (again) the e-bill of a settlement whose issuer is ``his``."""
    no = fields.text(body, "settlementNo", "结算单号")
    ledger.get(db, no)
    issue_settlements(ctx, [no])
    with ctx.store.read() as fresh:
        return {"settlement": ledger.render(fresh, no)}
