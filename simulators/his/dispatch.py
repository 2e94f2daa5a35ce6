"""One call of the interface, from verified body to answer: read, write and money-moving
operations, the requestId rule, and the HIS's own e-bill issuing after the commit.

The requestId rule (docs/HIS_ADAPTER.md §4): the outcome of a money-moving call — success or a
business refusal — is recorded in the same transaction as its writes. A repeat with the same
requestId and the same body answers the recorded outcome (settlements re-read, so an e-bill issued
since shows); the same requestId with another body or operation is refused (E3570). Input errors
(E3510-E3513, E3581) are not recorded: nothing happened, the corrected call may reuse the id.
"""

from __future__ import annotations

import logging
from typing import Any

from simulators.his import errors as e
from simulators.his import fields, issuer, ledger
from simulators.his.context import HisContext
from simulators.his.errors import HisError
from simulators.his.operations import OPS
from simulators.his.ops_settlements import refresh, settlement_nos
from simulators.his.store import loads

log = logging.getLogger(__name__)
OK = ("0", "成功")

Answer = tuple[str, str, Any]


def call(ctx: HisContext, appid: str, operation: str, body: dict[str, Any]) -> Answer:
    """(code, msg, data) of one authenticated call."""
    spec = OPS.get(operation)
    if spec is None:
        return e.UNKNOWN_OPERATION, f"不支持的操作：{operation[:64]}", None
    try:
        if spec.kind == "read":
            with ctx.store.read() as db:
                return (*OK, spec.handler(ctx, db, appid, body))
        if spec.kind == "write":
            with ctx.store.tx() as db:
                return (*OK, spec.handler(ctx, db, appid, body))
        return _money(ctx, appid, operation, body)
    except HisError as exc:
        return exc.code, exc.message, None
    except Exception:  # never a stack trace to the caller
        log.exception("HIS simulator: %s failed", operation)
        return e.INTERNAL, "HIS内部错误，请稍后重试或联系信息科", None


def _money(ctx: HisContext, appid: str, operation: str, body: dict[str, Any]) -> Answer:
    rid = fields.request_id(body)
    digest = ledger.body_hash(body)
    with ctx.store.tx() as db:
        rec = ledger.recorded(db, appid, rid)
        if rec is not None:
            if rec["operation"] != operation or rec["body_hash"] != digest:
                raise HisError(e.REQUEST_CONFLICT,
                               f"requestId（请求流水号）{rid}已用于另一笔内容不同的请求（{rec['operation']}），请使用新的流水号")
            code, msg, data, nos = rec["code"], rec["msg"], loads(rec["answer_json"]), loads(rec["settlements_json"])
        else:
            db.execute("SAVEPOINT op")
            try:
                code, msg = OK
                data = OPS[operation].handler(ctx, db, appid, body)
            except HisError as exc:
                db.execute("ROLLBACK TO op")
                if exc.code in e.INPUT_ERRORS:
                    raise
                code, msg, data = exc.code, exc.message, None
            db.execute("RELEASE op")
            nos = settlement_nos(data)
            ledger.record(db, ctx, appid, rid, operation, digest, code, msg, data, nos)
    if code != "0":
        return code, msg, None
    issuer.issue_settlements(ctx, nos)  # only those whose issuer is "his" and not issued yet
    with ctx.store.read() as db:
        return code, msg, refresh(db, data)
