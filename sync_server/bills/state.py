"""The server bill's state machine (issue 13 §3): the one module that writes its status columns.

A bill row has six status columns — ``state``, ``origin``, ``in_doubt``, ``carry``,
``is_scarlet``, ``is_prt_paper`` (allowed values: ``sync_server.store.bill_status``, enforced by
the database's CHECK constraints). Every change of them is a named :class:`Transition` of
:data:`TRANSITIONS`: the values a row must hold for it (``guard``) and the values it writes
(``sets``, plus ``free`` columns whose value the caller gives within the allowed ones). A new row
is *born* in one of the :data:`BIRTHS` states.

:func:`move` performs a transition as one conditional ``UPDATE ... WHERE id = :id AND <guard>``:
the check and the write are one statement, so two writers racing on a bill cannot both pass a
check made earlier; a row that no longer holds the guard is refused (:class:`TransitionRefused`,
or ``False`` from :func:`try_move`). :func:`move_many` is the bulk form (one statement for many
bills, ``RETURNING`` the ids it moved) for the carry pool's settling.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, update

from billing_core import methods
from sync_server.errors import BillStateError
from sync_server.store.bill_status import ALLOWED, BillState, Carry, Flag, Origin
from sync_server.store.schema import bills

__all__ = ["BIRTHS", "TRANSITIONS", "BillState", "Carry", "Flag", "Origin", "Transition", "TransitionRefused",
           "born", "move", "move_many", "release", "try_move"]

_P, _I, _V = BillState.PENDING, BillState.ISSUED, BillState.VOID
_NO, _YES = int(Flag.NO), int(Flag.YES)


class TransitionRefused(BillStateError):
    """The bill no longer holds the values a transition starts from (E5025, as BillStateError)."""


@dataclass(frozen=True)
class Transition:
    """A named change of status columns.

    :param guard: column -> the values the row must hold (all must match).
    :param sets: column -> the value written.
    :param free: status columns whose new value the caller gives (checked against ALLOWED).
    :param deletes: the row is deleted (a released claim leaves nothing behind).
    """

    name: str
    guard: Mapping[str, frozenset[str | int]]
    sets: Mapping[str, str | int] = field(default_factory=dict)
    free: frozenset[str] = frozenset()
    deletes: bool = False

    def allows(self, row: Mapping[str, Any]) -> bool:
        """True when ``row`` (a bill row or its status columns) holds this transition's guard."""
        return all(row[c] in vals for c, vals in self.guard.items())


def _t(name: str, guard: Mapping[str, Iterable[str | int]], sets: Mapping[str, str | int] | None = None,
       free: Iterable[str] = (), deletes: bool = False) -> Transition:
    return Transition(name, {c: frozenset(v) for c, v in guard.items()}, dict(sets or {}), frozenset(free), deletes)


_LIVE: dict[str, set[str | int]] = {"state": {_I}, "is_scarlet": {_NO}}  # an issued bill not written off
TRANSITIONS: dict[str, Transition] = {t.name: t for t in (
    # a pending claim gets the platform's bill (mark_issued)
    _t("issue", {"state": {_P}}, {"state": _I, "origin": Origin.ONLINE, "in_doubt": _NO, "carry": Carry.NONE}),
    # ... or a number of the server's emergency stock, to be carried forward (stock/emergency_stock.py)
    _t("issue_emergency", {"state": {_P}}, {"state": _I, "origin": Origin.EMERGENCY, "carry": Carry.PENDING},
       free={"in_doubt"}),
    # the platform refused the bill (or the dead process never got one): the claim is deleted
    _t("release", {"state": {_P}}, deletes=True),
    # the platform accepted the emergency bill (emergency/carry.py, emergency/carry_pool.py)
    _t("carry_done", {"state": {_I}, "carry": {Carry.PENDING}}, {"carry": Carry.DONE, "in_doubt": _NO}),
    # the platform holds another bill for the busNo: the emergency number is voided
    _t("carry_conflict_void", {"state": {_I}, "carry": {Carry.PENDING}}, {"state": _V, "carry": Carry.CONFLICT}),
    # changes after issuing (his/changes.py; spec §12: paper voided before the e-bill is written off)
    _t("write_off", _LIVE | {"is_prt_paper": {_NO}}, {"is_scarlet": _YES}),
    _t("write_off_to_paper", _LIVE | {"is_prt_paper": {_YES}}, {"is_scarlet": _YES}),
    _t("invalid_paper", _LIVE | {"is_prt_paper": {_YES}}, {"is_scarlet": _YES}),
    _t("turn_paper", _LIVE | {"is_prt_paper": {_NO}}, {"is_prt_paper": _YES}),
    _t("re_turn_paper", _LIVE | {"is_prt_paper": {_YES}}, {"is_prt_paper": _YES}),
    # a conflict's kept platform bill takes over the voided emergency bill's write-off/paper flags
    _t("inherit_changes", {"state": {_I}, "is_scarlet": {_NO}, "is_prt_paper": {_NO}}, {},
       free={"is_scarlet", "is_prt_paper"}),
)}

#: The states a bill row is inserted in (no guard: the row is new).
BIRTHS: dict[str, dict[str, str | int]] = {
    # the busNo's claim before the platform call (his/issuing.py, emergency/carry.py conflict)
    "claim": {"state": _P, "origin": Origin.ONLINE, "in_doubt": _NO, "carry": Carry.NONE,
              "is_scarlet": _NO, "is_prt_paper": _NO},
    # a terminal's emergency bill, to be carried forward (emergency/terminal_batch.py)
    "terminal_accepted": {"state": _I, "origin": Origin.TERMINAL, "carry": Carry.PENDING,
                          "is_scarlet": _NO, "is_prt_paper": _NO},
    # ... whose busNo already has a live bill: stored voided (never silently dropped)
    "terminal_conflict": {"state": _V, "origin": Origin.TERMINAL, "carry": Carry.CONFLICT,
                          "is_scarlet": _NO, "is_prt_paper": _NO},
}
_BIRTH_FREE = {"claim": frozenset(), "terminal_accepted": frozenset({"in_doubt"}),
               "terminal_conflict": frozenset({"in_doubt"})}

#: Method names of his/changes.py -> their transition.
CHANGE_TRANSITIONS: dict[str, Transition] = {
    methods.WRITE_OFF_EBILL: TRANSITIONS["write_off"], methods.WRITE_OFF_EBILL_TO_PAPER: TRANSITIONS["write_off_to_paper"],
    methods.INVALID_PAPER: TRANSITIONS["invalid_paper"], methods.TURN_PAPER: TRANSITIONS["turn_paper"],
    methods.RE_TURN_PAPER: TRANSITIONS["re_turn_paper"],
}


def _status_values(name: str, fixed: Mapping[str, str | int], free: frozenset[str],
                   given: Mapping[str, Any]) -> dict[str, str | int]:
    """The status columns written: fixed ones plus the caller's free ones, each checked."""
    unknown = set(given) - free
    if unknown:
        raise ValueError(f"{name}: columns {sorted(unknown)} are not free in this transition")
    missing = free - set(given)
    if missing:
        raise ValueError(f"{name}: missing values for {sorted(missing)}")
    out: dict[str, str | int] = {c: (str(v) if isinstance(v, str) else int(v)) for c, v in fixed.items()}
    for c, v in given.items():
        v = int(v) if c not in ("state", "origin", "carry") else str(v)
        if v not in ALLOWED[c]:
            raise ValueError(f"{name}: {c}={v!r} is not an allowed value")
        out[c] = v
    return out


def born(name: str, **free: Any) -> dict[str, str | int]:
    """The status columns of a new row born in state ``name`` (merge into the INSERT's values)."""
    return _status_values(name, BIRTHS[name], _BIRTH_FREE[name], free)


_STATEMENTS: dict[tuple[str, tuple[str, ...]], Any] = {}


def _statement(tr: Transition, columns: tuple[str, ...]) -> Any:
    """UPDATE bills SET <columns> WHERE id = :b_id AND <guard>, built once per shape (hot path)."""
    key = (tr.name, columns)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        where = and_(bills.c.id == bindparam("b_id"),
                     *(bills.c[c].in_(sorted(v, key=str)) for c, v in tr.guard.items()))
        stmt = update(bills).where(where).values({c: bindparam(c) for c in columns})
        _STATEMENTS[key] = stmt
    return stmt


def _perform(conn: Connection, tr: Transition, bill_id: int, values: Mapping[str, Any] | None,
             free: Mapping[str, Any]) -> dict[str, Any] | None:
    clash = set(values or {}) & set(ALLOWED)
    if clash:
        raise ValueError(f"{tr.name}: status columns {sorted(clash)} must come from the transition")
    params = dict(values or {}) | _status_values(tr.name, tr.sets, tr.free, free)
    res = conn.execute(_statement(tr, tuple(sorted(params))), params | {"b_id": bill_id})
    return params if res.rowcount == 1 else None


def try_move(conn: Connection, tr: Transition, bill_id: int, *, values: Mapping[str, Any] | None = None,
             **free: Any) -> bool:
    """Perform ``tr`` on one bill if its row holds the guard; True when it did.

    :param values: other (non-status) columns written in the same statement (updated_at ...).
    :param free: the values of the transition's free status columns.
    """
    if tr.deletes:
        return release(conn, bill_id, tr)
    return _perform(conn, tr, bill_id, values, free) is not None


def move(conn: Connection, tr: Transition, bill_id: int, *, values: Mapping[str, Any] | None = None,
         **free: Any) -> dict[str, Any]:
    """Perform ``tr`` on one bill; the columns written (``values`` and the status columns).

    :raises TransitionRefused: the row does not hold the guard (or is gone); nothing written.
    """
    if tr.deletes:
        raise ValueError(f"{tr.name}: use release()")
    written = _perform(conn, tr, bill_id, values, free)
    if written is None:
        raise TransitionRefused(f"票据（内部编号{bill_id}）当前状态不允许此操作（{tr.name}），"
                                "可能已被其他请求处理，请查询后重试")
    return written


def release(conn: Connection, bill_id: int, tr: Transition | None = None) -> bool:
    """Delete a pending claim (transition ``release``); True when it was still pending."""
    tr = tr or TRANSITIONS["release"]
    where = and_(bills.c.id == bill_id, *(bills.c[c].in_(sorted(v, key=str)) for c, v in tr.guard.items()))
    return conn.execute(delete(bills).where(where)).rowcount == 1


def move_many(conn: Connection, tr: Transition, bill_ids: Iterable[int], *,
              values: Mapping[str, Any] | None = None) -> set[int]:
    """Bulk form of :func:`move` for a transition without free columns: one
    ``UPDATE ... WHERE id IN (...) AND <guard> RETURNING id``; the ids it moved (the others did
    not hold the guard and are left alone)."""
    ids = sorted(set(bill_ids))
    if not ids:
        return set()
    if tr.free or tr.deletes:
        raise ValueError(f"{tr.name}: no bulk form")
    params = dict(values or {}) | _status_values(tr.name, tr.sets, tr.free, {})
    where = and_(bills.c.id.in_(ids), *(bills.c[c].in_(sorted(v, key=str)) for c, v in tr.guard.items()))
    return {int(r[0]) for r in conn.execute(update(bills).where(where).values(params).returning(bills.c.id))}
