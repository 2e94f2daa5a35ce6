"""``/medical-web/api/medical/<method>``: the platform's HIS interface, served by the hospital.

An existing HIS is pointed at the server unchanged (same envelope, same methods, same shapes;
issue 3's list). The §17 emergency extensions are not offered here.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from billing_core import methods
from sync_server.api.access import authorise, hospital_wide
from sync_server.api.envelope_io import handle
from sync_server.baseinfo import checkers, mapping
from sync_server.bills.records import by_number, live_by_busno
from sync_server.bills.validation import validate
from sync_server.connectors.errors import PlatformUnreachable
from sync_server.context import ServerContext
from sync_server.errors import (
    NotFoundError,
    PlaceNotGrantedError,
    PlatformUnavailableError,
    UnknownMethodError,
)
from sync_server.his import batches, changes, queries, scope
from sync_server.his.issuing import Issuer
from sync_server.security.auth import Caller, CallerCache
from sync_server.store.db import read_tx

bp = Blueprint("his_api", __name__)


def _ctx() -> ServerContext:
    ctx = current_app.extensions["sync_server"]
    if not isinstance(ctx, ServerContext):
        raise RuntimeError("the Flask app carries no ServerContext (build it with sync_server.app.create_app)")
    return ctx


def _authorise(ctx: ServerContext, cache: CallerCache, caller: Caller, method: str,
               data: dict[str, Any]) -> frozenset[str]:
    """Every billing point a request names (directly, in a batch, or through a local bill found by
    number, paper number or busNo: sync_server.his.scope) is granted; the points its answer may
    cover (the placeCode named, else every point granted to the caller).

    A hospital-wide window session (api/access.hospital_wide, issue 18 §1) names its own point in
    ``placeCode`` (its paper stock, its cashier) as every caller does, but the bill it touches may
    be at any point of the hospital; the role table has already been applied (authorise)."""
    wide = hospital_wide(caller)
    if data.get("placeCode") not in (None, ""):
        cache.check_place(caller, data["placeCode"])
    if method in methods.BATCH:
        for item in data.get("eBillList") or []:
            if isinstance(item, dict):
                cache.check_place(caller, item.get("placeCode", ""))
    if scope.names_a_bill(method, data):
        with read_tx(ctx.engine) as conn:
            touched = scope.touched_places(conn, method, data)
        if not touched and method in methods.BILL_CHANGES and data.get("billBatchCode") and data.get("billNo"):
            touched = _platform_places(ctx, method, str(data["billBatchCode"]), str(data["billNo"]))
        for place in sorted(touched):
            if wide and place in cache.all_places():
                continue
            try:
                cache.check_place(caller, place)
            except PlaceNotGrantedError:
                if method in methods.QUERIES:  # a read: another point's bill does not exist for it
                    raise scope.not_found(method) from None
                raise
    return scope.scope(cache.all_places() if wide else caller.places, data)


def _platform_places(ctx: ServerContext, method: str, code: str, no: str) -> set[str]:
    """A change naming a bill the server never recorded (issued straight at the platform): its
    point as the platform knows it, so the caller's grant is checked all the same (fail closed)."""
    try:
        place = scope.platform_place_of_bill(ctx, code, no)
    except PlatformUnreachable:
        raise PlatformUnavailableError(f"财政电子票据平台暂不可达，无法核实票据{code}/{no}的开票点，{method}未执行") from None
    if place is None:
        raise NotFoundError(f"{method}：未找到票据{code}/{no}")
    return {place}


def _forward_or_local(ctx: ServerContext, method: str, data: dict[str, Any], places: frozenset[str]) -> Any:
    """Queries: a bill the platform does not have yet (emergency, not carried) is answered
    locally; otherwise forwarded, and answered locally when the platform is unreachable. Either
    way the answer covers the caller's ``places`` only (a forwarded one is checked on return)."""
    if method == methods.GET_BATCH_INVOICE_EBILL:
        with read_tx(ctx.engine) as conn:
            return queries.local_query(conn, method, data, places)
    with read_tx(ctx.engine) as conn:
        row = None
        if data.get("busNo"):
            row = live_by_busno(conn, str(data["busNo"]))
        elif data.get("billBatchCode") and data.get("billNo"):
            row = by_number(conn, str(data["billBatchCode"]), str(data["billNo"]))
        if row is not None and row["origin"] != "online" and row["carry"] != "done":
            return queries.local_query(conn, method, data, places)
    try:
        answer = ctx.upstream.call(method, data)
    except PlatformUnreachable:
        with read_tx(ctx.engine) as conn:
            return queries.local_query(conn, method, data, places)
    return scope.check_answer(ctx, places, method, answer)


def dispatch(ctx: ServerContext, cache: CallerCache, caller: Caller, method: str, data: dict[str, Any]) -> Any:
    """Route one verified request to its service: validated once here (the services check nothing again)."""
    if method not in methods.HIS_METHODS:
        raise UnknownMethodError(f"不支持的接口方法：{method}")
    # caller kind's method list, then the terminal session's role (api/access.py): before anything is read
    who = authorise(ctx, caller, method)
    data = validate(method, mapping.to_platform(ctx, caller, method, data))
    places = _authorise(ctx, cache, caller, method, data)
    checkers.require_checker(ctx, method, data)
    if method in methods.ISSUE:
        return Issuer(ctx).issue(method, data, who)
    if method in methods.BATCH:
        return batches.receive(ctx, who, method, data)
    if method in methods.BILL_CHANGES or method in methods.OTHER_CHANGES:
        return changes.change(ctx, who, method, data)
    if method in methods.RECONCILE:
        with read_tx(ctx.engine) as conn:
            return queries.reconcile(conn, method, data, places)
    if method in methods.LOCAL_QUERIES:
        return _forward_or_local(ctx, method, data, places)
    if method in methods.FORWARD_ONLY:
        try:
            answer = ctx.upstream.call(method, data)
        except PlatformUnreachable:
            raise PlatformUnavailableError(f"财政电子票据平台暂不可达，{method}无法在本地应答") from None
        if method in methods.PLATFORM_QUERIES and scope.names_a_bill(method, data):
            scope.check_platform_bill(ctx, places, method, data, answer)  # a bill the server has no record of
        return answer
    raise NotFoundError()  # pragma: no cover - every method is in one group


@bp.post("/medical-web/api/medical/<method>")
def call(method: str) -> Any:
    """Every platform method: verify, authorise, route, sign."""
    ctx = _ctx()
    cache: CallerCache = current_app.extensions["sync_callers"]
    # Issuing records the envelope's noise in its claim transaction (security/replay.py)
    return handle(lambda caller, data: dispatch(ctx, cache, caller, method, data),
                  defer_noise=method in methods.ISSUE)
