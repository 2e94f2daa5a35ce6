"""What a transaction handler gets: the checked envelope, the calling institution, the open
database transaction, the time, and the shared look-ups (persons, visits, settlements)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from simulators.insurance.envelope import Envelope, dumps
from simulators.insurance.errors import InsFailure
from simulators.insurance.platform import Platform


@dataclass(frozen=True)
class FileAnswer:
    """A 9102 answer: raw bytes instead of an envelope."""

    content: bytes
    filename: str


Output = dict[str, Any] | FileAnswer


@dataclass
class Ctx:
    """One transaction in progress."""

    platform: Platform
    db: sqlite3.Connection
    env: Envelope
    inst: sqlite3.Row
    now: datetime
    #: What this transaction changed, for 2601 (set by the handler; stored with the msgid).
    effect: dict[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        """The calling institution's fixmedins_code."""
        return str(self.inst["fixmedins_code"])

    @property
    def stamp(self) -> str:
        """Now as ``yyyy-MM-dd HH:mm:ss``."""
        return self.now.strftime("%Y-%m-%d %H:%M:%S")

    def knob(self, name: str) -> Any:
        """A knob's value."""
        return self.platform.knob(self.db, name)

    def new_id(self, kind: str) -> str:
        """A platform id (mdtrt_id, setl_id ...) in the place of treatment's division."""
        return self.platform.new_id(self.db, kind, self.env.mdtrtarea_admvs)

    # -- look-ups --------------------------------------------------------------------------------

    def person(self, psn_no: str) -> sqlite3.Row:
        """A person by psn_no."""
        row: sqlite3.Row | None = self.db.execute("SELECT * FROM persons WHERE psn_no = ?", (psn_no,)).fetchone()
        if row is None:
            raise InsFailure(f"人员编号{psn_no}不存在")
        return row

    def insurance(self, psn_no: str, insutype: str) -> sqlite3.Row:
        """The person's insurance of one insutype, which must be in force (psn_insu_stas 1)."""
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM insurances WHERE psn_no = ? AND insutype = ?", (psn_no, insutype)).fetchone()
        if row is None:
            raise InsFailure(f"人员{psn_no}未参加险种{insutype}")
        if row["psn_insu_stas"] != "1":
            raise InsFailure(f"人员{psn_no}的险种{insutype}参保状态异常（{row['psn_insu_stas']}），不能享受待遇")
        return row

    def visit(self, mdtrt_id: str, psn_no: str, kind: str | None = None) -> sqlite3.Row:
        """A visit of this institution and this person."""
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM visits WHERE mdtrt_id = ? AND fixmedins_code = ?", (mdtrt_id, self.code)).fetchone()
        if row is None:
            raise InsFailure(f"就诊ID{mdtrt_id}不存在")
        if row["psn_no"] != psn_no:
            raise InsFailure(f"就诊ID{mdtrt_id}不属于人员{psn_no}")
        if kind is not None and row["kind"] != kind:
            raise InsFailure(f"就诊ID{mdtrt_id}不是{'门诊' if kind == 'otp' else '住院'}就诊")
        return row

    def settlement(self, setl_id: str) -> sqlite3.Row:
        """A settlement of this institution."""
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM settlements WHERE setl_id = ? AND fixmedins_code = ?", (setl_id, self.code)).fetchone()
        if row is None:
            raise InsFailure(f"结算ID{setl_id}不存在")
        return row


def store_json(value: Any) -> str:
    """JSON for a stored column (Decimals kept exact)."""
    return dumps(value)


def load_json(text: str) -> Any:
    """A stored column back (numbers as Decimal)."""
    return json.loads(text, parse_float=Decimal)


Handler = Callable[[Ctx], Output]
