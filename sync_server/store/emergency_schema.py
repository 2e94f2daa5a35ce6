"""Tables of terminal emergency mode on the server (issue 7), kept apart from schema.py.

They live in their own ``MetaData`` because revision 0001 creates schema.py's tables from the
current definitions: adding these there would make 0001 create them on a fresh database and
0002 fail. Revision 0002 creates them with explicit ``op.create_table`` calls.

* ``terminal_uploads`` — one row per uploaded terminal bill, UNIQUE on the upload's
  idempotency key (``<terminalId>:<billBatchCode>:<billNo>``), with its chain link and outcome
  (accepted | conflict | rejected). The bill itself goes into ``bills`` (origin ``terminal``),
  unique there on (billBatchCode, billNo) and, while live, on busNo.
* ``terminal_chain`` — the last verified chain link per terminal (docs/EMERGENCY.md §2).
* ``stock_returns`` — 申退 sub-ranges of handed-out blocks (void for ever, spec §17).
* ``stock_revocations`` — when and why a lost terminal's block was revoked.
* ``terminal_status`` — the last heartbeat figures of each terminal.
* ``terminal_alarms`` — overdue / low-stock / silent-terminal alarms (open until cleared).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, Numeric, String, Table, Text

metadata = MetaData()

terminal_uploads = Table(
    "terminal_uploads", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idem_key", String(160), nullable=False, unique=True),
    Column("terminal_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("bill_id", Integer),  # bills.id of the stored bill (accepted and conflict)
    Column("bill_batch_code", String(50), nullable=False),
    Column("bill_no", String(20), nullable=False),
    Column("bus_no", String(50), nullable=False),
    Column("place_code", String(50), nullable=False),
    Column("issue_time", String(17), nullable=False),
    Column("total_amt", Numeric(18, 2), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("in_doubt", Integer, nullable=False, default=0),
    Column("status", String(12), nullable=False),  # accepted | conflict | rejected
    Column("result_code", String(8), nullable=False),
    Column("message", Text),
    Column("received_at", String(17), nullable=False),
)
Index("ix_terminal_uploads_day", terminal_uploads.c.terminal_id, terminal_uploads.c.issue_time)

terminal_chain = Table(
    "terminal_chain", metadata,
    Column("terminal_id", String(64), primary_key=True),
    Column("head_hash", String(64), nullable=False),
    Column("head_seq", Integer, nullable=False),
    Column("updated_at", String(17), nullable=False),
)

stock_returns = Table(
    "stock_returns", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("range_id", Integer, nullable=False),
    Column("holder", String(64)),
    Column("place_code", String(50), nullable=False),
    Column("bill_batch_code", String(50), nullable=False),
    Column("bgn_no", String(20), nullable=False),
    Column("end_no", String(20), nullable=False),
    Column("reason", String(250)),
    Column("platform_answer", Text),
    Column("at", String(17), nullable=False),
)
Index("ix_stock_returns_range", stock_returns.c.range_id)

stock_revocations = Table(
    "stock_revocations", metadata,
    Column("range_id", Integer, primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("revoked_at", String(17), nullable=False),
    Column("reason", String(250), nullable=False),
    Column("operator", String(64), nullable=False),
)

terminal_status = Table(
    "terminal_status", metadata,
    Column("terminal_id", String(64), primary_key=True),
    Column("place_code", String(50)),
    Column("stock_remaining", Integer),
    Column("pending_uploads", Integer),
    Column("oldest_pending", String(17)),
    Column("last_seen", String(17), nullable=False),
    # what the terminal reports of itself (migration 0012): kiosk/cashier, version, paper, health
    Column("kind", String(16)),
    Column("software_version", String(40)),
    Column("paper", String(16)),
    Column("emergency", Integer),
    Column("devices_json", Text),
    Column("unfinished_orders", Integer),
    # the terminalConfig version the terminal reports having applied (migration 0013, issue 19)
    Column("config_version", Integer),
)

terminal_alarms = Table(
    "terminal_alarms", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("terminal_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # overdue | low_stock | silent
    Column("code", String(8), nullable=False),
    Column("message", Text, nullable=False),
    Column("state", String(8), nullable=False),  # open | closed
    Column("raised_at", String(17), nullable=False),
    Column("closed_at", String(17)),
)
Index("ix_terminal_alarms_open", terminal_alarms.c.terminal_id, terminal_alarms.c.kind, terminal_alarms.c.state)
