"""The server's journal of insurance transactions: the :class:`TransactionLog` of the connector
(issue 16 §3: "every transaction logged and audited").

A row is committed **before** the transaction is sent (outcome ``sent``) — the msgid is then on
disk even if the process dies during the call — and completed after it ends. The msgid's 4-digit
sequence is the row's own id (a persisted counter, never random: spec pitfall 1); together with
the second it is stamped with, it is unique, and the UNIQUE column makes sure of it.

Personal fields are masked (connectors/masking.py) and what is left personal is sealed by the
SealedJson columns. Every row change has its audit row (security/audit.py) in its transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from billing_core.clock import Clock, ts17
from sync_server.connectors.insurance_envelope import Operator, make_msgid
from sync_server.connectors.masking import mask_sensitive
from sync_server.security.audit import Actor, audit
from sync_server.store.db import inserted_id, write_tx
from sync_server.store.insurance_schema import ins_transactions


def masked_json(value: Any) -> str:
    """``value`` with personal fields masked, as compact JSON (Decimals as strings)."""
    return json.dumps(mask_sensitive(value), ensure_ascii=False, separators=(",", ":"), default=str)


def record(conn: Connection, clock: Clock, fixmedins_code: str, infno: str, opter: str, input_: Mapping[str, Any],
           *, msgid: str | None = None, settlement_id: int | None = None) -> str:
    """Insert one ``sent`` row in the caller's transaction (with its audit row); its msgid."""
    now = clock.now()
    row_id = inserted_id(conn.execute(insert(ins_transactions).values(
        msgid=msgid or f"pending-{uuid.uuid4().hex[:24]}", infno=infno, opter=opter, settlement_id=settlement_id,
        outcome="sent", request_json=masked_json(dict(input_)), created_at=ts17(now))))
    if msgid is None:
        msgid = make_msgid(fixmedins_code, now, row_id)
        conn.execute(update(ins_transactions).where(ins_transactions.c.id == row_id).values(msgid=msgid))
    audit(conn, clock, Actor(opter), "ins_send", "ins_transaction", msgid, None,
          {"infno": infno, "settlement_id": settlement_id})
    return msgid


def mark(conn: Connection, clock: Clock, who: Actor, msgid: str, outcome: str, note: str = "") -> None:
    """Change a logged transaction's outcome (e.g. ``reversed`` after 2601), audited."""
    conn.execute(update(ins_transactions).where(ins_transactions.c.msgid == msgid)
                 .values(outcome=outcome, err_msg=note or None, ended_at=ts17(clock.now())))
    audit(conn, clock, who, "ins_mark", "ins_transaction", msgid, None, {"outcome": outcome, "note": note})


class DbJournal:
    """The connector's transaction log over the server's database."""

    def __init__(self, engine: Engine, clock: Clock, fixmedins_code: str) -> None:
        self.engine = engine
        self.clock = clock
        self.code = fixmedins_code

    def begin(self, infno: str, operator: Operator, input_: Mapping[str, Any], msgid: str | None) -> str:
        """Record the transaction before it is sent; a row recorded earlier under ``msgid`` (a
        settlement's, written with its state change) is kept as it is."""
        with write_tx(self.engine) as conn:
            if msgid is not None and conn.execute(
                    select(ins_transactions.c.id).where(ins_transactions.c.msgid == msgid)).first() is not None:
                return msgid
            return record(conn, self.clock, self.code, infno, operator.opter, input_, msgid=msgid)

    def end(self, msgid: str, outcome: str, infcode: str, err_msg: str, output: Any, elapsed_ms: int) -> None:
        """Record how the transaction ended (audited)."""
        with write_tx(self.engine) as conn:
            conn.execute(update(ins_transactions).where(ins_transactions.c.msgid == msgid).values(
                outcome=outcome, infcode=infcode or None, err_msg=(err_msg or None) and err_msg[:1000],
                output_json=None if output is None else masked_json(output), elapsed_ms=elapsed_ms,
                ended_at=ts17(self.clock.now())))
            audit(conn, self.clock, Actor("server"), "ins_result", "ins_transaction", msgid, None,
                  {"outcome": outcome, "infcode": infcode})
