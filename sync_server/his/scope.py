"""Which billing points a caller may act on and read (issue 14 items 1-2).

A caller is granted billing points (``caller_points``). Every bill a request *touches* must be
at one of them, however the request names it: by e-bill number (billBatchCode/billNo), by the
number of its exchanged paper (pBillBatchCode/pBillNo of invalidPaper; the paper numbers of
turnPaper, reTurnPaper and writeOffEBillToPaper are new ones, not a way to find a bill), by
busNo, or by the number of its red bill. Every answer built from bills is limited to the
caller's points: a request without ``placeCode`` means "all of *my* points", never all points.
Answers forwarded from the platform are checked the same way before they are returned: the
bill answered must be at a granted point (looked up locally, or asked of the platform with
getBillDetail when the server has no record of it), list items at other points are dropped.

A change naming a bill at a point not granted to the caller is refused with E2011; a query
naming one is answered as not found (E5022) — for a read, another point's bill does not exist,
and the refusal must not tell the caller it does. A forwarded answer about a bill elsewhere is
refused as not found too, including the platform-only queries by bill number (picture, notice
picture, booking state) about a bill the server has no record of: its point is asked of the
platform (getBillDetail) before the answer is returned. List and reconciliation answers simply
leave other points' bills out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, select

from billing_core import methods
from sync_server.bills.records import by_number, live_by_busno
from sync_server.connectors.errors import PlatformRejected, PlatformUnreachable
from sync_server.context import ServerContext
from sync_server.errors import NotFoundError
from sync_server.store.db import read_tx
from sync_server.store.schema import bills, paper_bills, red_bills

#: Changes that name an existing bill through the number of its exchanged paper.
PAPER_KEYED = frozenset({methods.INVALID_PAPER})
#: Local queries answering one bill (checked before and, when forwarded, after the call).
ONE_BILL_QUERIES = frozenset({methods.GET_EBILL_BY_BUS_NO, methods.GET_EBILL_STATES_BY_BILL_INFO,
                              methods.GET_BILL_DETAIL})
#: Local queries answering a list of a patient's bills.
LIST_QUERIES = frozenset({methods.GET_EBILL_UNPRINT_LIST, methods.GET_NOT_PRINT_LIST, methods.GET_EBILL_PRINT_LIST})


def place_of_paper(conn: Connection, code: str, no: str) -> str | None:
    """The billing point of the e-bill a paper number was exchanged for (current or past paper)."""
    place = conn.execute(select(bills.c.place_code).where(and_(bills.c.p_bill_batch_code == code,
                                                               bills.c.p_bill_no == no))).scalar()
    if place is None:
        place = conn.execute(select(bills.c.place_code).join(paper_bills, paper_bills.c.bill_id == bills.c.id)
                             .where(and_(paper_bills.c.p_bill_batch_code == code,
                                         paper_bills.c.p_bill_no == no))).scalar()
    return None if place is None else str(place)


def place_of_number(conn: Connection, code: str, no: str) -> str | None:
    """The billing point of a local e-bill, or of the e-bill a local red bill flushed; None when
    the server has no record of the number."""
    row = by_number(conn, code, no)
    if row is not None:
        return str(row["place_code"])
    place = conn.execute(select(bills.c.place_code).join(red_bills, red_bills.c.bill_id == bills.c.id)
                         .where(and_(red_bills.c.bill_batch_code == code, red_bills.c.bill_no == no))).scalar()
    return None if place is None else str(place)


def names_a_bill(method: str, data: dict[str, Any]) -> bool:
    """True when the request names an existing bill :func:`touched_places` would look up (issuing
    requests do not: no store read is added to the issuing path)."""
    return bool((data.get("billBatchCode") and data.get("billNo"))
                or (method in PAPER_KEYED and data.get("pBillBatchCode") and data.get("pBillNo"))
                or (method == methods.GET_EBILL_BY_BUS_NO and data.get("busNo")))


def touched_places(conn: Connection, method: str, data: dict[str, Any]) -> set[str]:
    """The billing points of every local bill the request names (by number, paper number, busNo)."""
    found: set[str | None] = set()
    if data.get("billBatchCode") and data.get("billNo"):
        found.add(place_of_number(conn, str(data["billBatchCode"]), str(data["billNo"])))
    if method in PAPER_KEYED and data.get("pBillBatchCode") and data.get("pBillNo"):
        found.add(place_of_paper(conn, str(data["pBillBatchCode"]), str(data["pBillNo"])))
    if method == methods.GET_EBILL_BY_BUS_NO and data.get("busNo"):
        row = live_by_busno(conn, str(data["busNo"]))
        found.add(None if row is None else str(row["place_code"]))
    return {p for p in found if p is not None}


def scope(granted: Iterable[str], data: dict[str, Any]) -> frozenset[str]:
    """The points a query answers for: the request's placeCode (already checked as granted), or
    every point granted to the caller when it names none."""
    place = data.get("placeCode")
    return frozenset({str(place)}) if place not in (None, "") else frozenset(granted)


def not_found(method: str) -> NotFoundError:
    """E5022 for a query about a bill the caller may not see (worded as any missing bill)."""
    return _not_found(method)


def _not_found(method: str) -> NotFoundError:
    return NotFoundError(f"{method}：未找到本调用方已授权开票点的票据记录")


def _platform_place(ctx: ServerContext, code: str, no: str, random: str) -> str | None:
    """A bill's billing point as the platform knows it (getBillDetail); None when it cannot say."""
    try:
        detail = ctx.upstream.call(methods.GET_BILL_DETAIL, {"billBatchCode": code, "billNo": no, "random": random})
    except (PlatformRejected, PlatformUnreachable):
        return None
    return str(detail.get("placeCode") or "") or None if isinstance(detail, dict) else None


def platform_place_of_bill(ctx: ServerContext, code: str, no: str) -> str | None:
    """The point of a bill the server has no record of, as the platform knows it: its check code
    from getEBillStatesByBillInfo, then getBillDetail. None when the platform has no such bill.

    :raises PlatformUnreachable: the platform cannot be asked (the change cannot be checked,
        nor could it be forwarded).
    """
    try:
        states = ctx.upstream.call(methods.GET_EBILL_STATES_BY_BILL_INFO, {"billBatchCode": code, "billNo": no})
    except PlatformRejected:
        return None
    random = str(states.get("random") or "") if isinstance(states, dict) else ""
    return _platform_place(ctx, code, no, random) if random else None


def check_answer(ctx: ServerContext, places: frozenset[str], method: str, answer: Any) -> Any:
    """A forwarded query's answer, limited to the caller's ``places``: a one-bill answer about a
    bill elsewhere is refused as not found, list items elsewhere are dropped. Anything whose point
    cannot be established is withheld (fail closed)."""
    if not isinstance(answer, dict):
        return answer
    if method in ONE_BILL_QUERIES:
        place = answer.get("placeCode") or None
        code, no = str(answer.get("billBatchCode") or ""), str(answer.get("billNo") or "")
        if place is None and code and no:
            with read_tx(ctx.engine) as conn:
                place = place_of_number(conn, code, no)
            if place is None:
                place = _platform_place(ctx, code, no, str(answer.get("random") or ""))
        if place is None or str(place) not in places:
            raise _not_found(method)
        return answer
    if method in LIST_QUERIES and isinstance(answer.get("billList"), list):
        kept = []
        with read_tx(ctx.engine) as conn:
            for item in answer["billList"]:
                if not isinstance(item, dict):
                    continue
                place = place_of_number(conn, str(item.get("billBatchCode") or ""), str(item.get("billNo") or ""))
                place = place or item.get("placeCode") or None
                if place is not None and str(place) in places:
                    kept.append(item)
        dropped = len(answer["billList"]) - len(kept)
        out = dict(answer) | {"billList": kept}
        if dropped:
            try:
                out["total"] = max(int(answer.get("total") or 0) - dropped, len(kept))
            except (TypeError, ValueError):
                out["total"] = len(kept)
        return out
    return answer


def check_platform_bill(ctx: ServerContext, places: frozenset[str], method: str, data: dict[str, Any],
                        answer: Any) -> None:
    """Refuse as not found (E5022) a platform-only query's answer about a bill at a point outside
    ``places``. A local bill was checked before the call; otherwise the platform is asked for the
    bill's point with the check code of the request or of the answer. Fail closed: a point that
    cannot be established withholds the answer."""
    code, no = str(data.get("billBatchCode") or ""), str(data.get("billNo") or "")
    with read_tx(ctx.engine) as conn:
        if place_of_number(conn, code, no) is not None:
            return  # checked against the caller's grant before the call (his_api._authorise)
    random = str(data.get("random") or (answer.get("random") if isinstance(answer, dict) else "") or "")
    place = _platform_place(ctx, code, no, random) if random else None
    if place is None or place not in places:
        raise _not_found(method)


def batch_visible(batch_items: list[Any], places: frozenset[str]) -> list[dict[str, Any]]:
    """The items of a stored batch that are at the caller's points (getBatchInvoiceEBill)."""
    return [b for b in batch_items if isinstance(b, dict) and str(b.get("placeCode", "")) in places]
