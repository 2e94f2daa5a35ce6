"""Tables of the bill stock lifecycle (issue 18 §2; docs/STOCK.md), in their own ``MetaData``
like insurance_schema.py: revision 0001 creates schema.py's tables from today's definitions, so
these are created by revision 0016's explicit ``op.create_table`` calls.

The stock is paper bill numbers (纸质票据, e.g. billCode 0602) held by the hospital: the finance
office's store (库房, the unit's stock on the platform) and what it handed to windows and kiosks.

* ``stock_lots`` — every range as it entered the hospital, never changed: opening stock (期初库存)
  or a stock-in confirmed after an application (入库确认). The balance equation of
  docs/STOCK.md holds per lot.
* ``stock_pieces`` — where every number of a lot is now: contiguous pieces, split on a partial
  distribution / void / return and merged back when neighbours agree. ``state`` is ``store``
  (库房), ``distributed`` (at ``place_code`` / ``terminal_id``), ``voided`` or ``returned`` (申退 to
  finance). No two pieces of one batch overlap: checked in the writing transaction, which holds
  the stock lock (sync_server/stock/ledger.py). ``busy`` names the request holding the piece while
  its platform call is in flight.
* ``stock_moves`` — the journal: one row per operation (opening, in, distribute, recall, void,
  return), with ``request_id`` UNIQUE (idempotent requests answer the recorded move). The
  入库 / 分发 / 作废 / 领用存 reports read it.
* ``stock_applies`` — 票据申领 forms: applied -> approved | rejected -> confirmed.
* ``stock_thresholds`` — low-stock threshold per billing point (and optionally one terminal) and
  bill kind; ``place_code`` ``""`` is the finance office's store.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

#: Where a piece of stock is.
PIECE_STATES = ("store", "distributed", "voided", "returned")
#: Journal actions.
MOVE_ACTIONS = ("opening", "in", "distribute", "recall", "void", "return")
#: How a lot entered the hospital.
LOT_ORIGINS = ("opening", "in")
#: States of an application (票据申领).
APPLY_STATES = ("applied", "approved", "rejected", "confirmed")

#: The name of the ``settings`` row locked FOR UPDATE by every stock write on PostgreSQL.
STOCK_LOCK = "stock_lock"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


stock_lots = Table(
    "stock_lots", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("origin", String(8), nullable=False),
    Column("bill_code", String(50), nullable=False),
    Column("bill_name", String(100), nullable=False, default=""),
    Column("bill_batch_code", String(50), nullable=False),
    Column("bgn_no", Integer, nullable=False),
    Column("end_no", Integer, nullable=False),
    Column("width", Integer, nullable=False),  # digits of the printed number (zero padded)
    Column("apply_id", Integer),  # stock_applies.id of a stock-in
    Column("operator", String(64), nullable=False),
    Column("received_at", String(17), nullable=False),
    CheckConstraint(_in("origin", LOT_ORIGINS), name="ck_stock_lots_origin"),
    CheckConstraint("end_no >= bgn_no", name="ck_stock_lots_range"),
    UniqueConstraint("bill_batch_code", "bgn_no", name="uq_stock_lots_start"),
)

stock_pieces = Table(
    "stock_pieces", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lot_id", Integer, nullable=False),
    Column("bill_code", String(50), nullable=False),
    Column("bill_batch_code", String(50), nullable=False),
    Column("bgn_no", Integer, nullable=False),
    Column("end_no", Integer, nullable=False),
    Column("state", String(12), nullable=False),
    Column("place_code", String(50)),  # holder billing point of distributed stock
    Column("terminal_id", String(64)),  # holder terminal (window or kiosk appid), optional
    Column("busy", String(64)),  # request id holding the piece during its platform call
    Column("updated_at", String(17), nullable=False),
    CheckConstraint(_in("state", PIECE_STATES), name="ck_stock_pieces_state"),
    CheckConstraint("end_no >= bgn_no", name="ck_stock_pieces_range"),
    UniqueConstraint("bill_batch_code", "bgn_no", name="uq_stock_pieces_start"),
    Index("ix_stock_pieces_lot", "lot_id"),
    Index("ix_stock_pieces_holder", "state", "place_code"),
)

stock_moves = Table(
    "stock_moves", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(64), unique=True),
    Column("action", String(12), nullable=False),
    Column("lot_id", Integer, nullable=False),
    Column("bill_code", String(50), nullable=False),
    Column("bill_batch_code", String(50), nullable=False),
    Column("bgn_no", Integer, nullable=False),
    Column("end_no", Integer, nullable=False),
    Column("count", Integer, nullable=False),
    Column("from_state", String(12)),  # store | distributed (void); None for opening / in
    Column("place_code", String(50)),  # distribute / recall: the point; void: the holder point
    Column("terminal_id", String(64)),
    Column("apply_id", Integer),
    Column("operator", String(64), nullable=False),
    Column("reason", String(250)),
    Column("at", String(17), nullable=False),
    Column("day", String(10), nullable=False),  # yyyy-MM-dd of ``at`` (China time): report filters
    CheckConstraint(_in("action", MOVE_ACTIONS), name="ck_stock_moves_action"),
    Index("ix_stock_moves_day", "day", "action"),
    Index("ix_stock_moves_lot", "lot_id"),
)

stock_applies = Table(
    "stock_applies", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("apply_no", String(40), nullable=False, unique=True),
    Column("bill_code", String(50), nullable=False),
    Column("count", Integer, nullable=False),
    Column("applicant", String(64), nullable=False),
    Column("reason", String(250)),
    Column("state", String(12), nullable=False),
    Column("opinion", String(250)),  # the approver's words (rejection reason)
    Column("ranges_json", Text),  # numbers issued: [{billCode, billName, billBatchCode, billBgnNo, billEndNo}]
    Column("applied_at", String(17), nullable=False),
    Column("decided_at", String(17)),
    Column("confirmed_at", String(17)),
    Column("confirmed_by", String(64)),
    CheckConstraint(_in("state", APPLY_STATES), name="ck_stock_applies_state"),
)

stock_thresholds = Table(
    "stock_thresholds", metadata,
    Column("place_code", String(50), primary_key=True),  # "" = the finance office's store
    Column("terminal_id", String(64), primary_key=True),  # "" = the whole point
    Column("bill_code", String(50), primary_key=True),
    Column("min_count", Integer, nullable=False),
    Column("updated_at", String(17), nullable=False),
    CheckConstraint("min_count >= 0", name="ck_stock_thresholds_min"),
)

#: Every table of this module (all audited: store/schema.py AUDITED).
TABLES = ("stock_lots", "stock_pieces", "stock_moves", "stock_applies", "stock_thresholds")
