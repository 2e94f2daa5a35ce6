"""Tables of the insurance connector (issue 16 §3, §5), in their own ``MetaData`` (like
emergency_schema.py: revision 0001 creates schema.py's tables from today's definitions, so these
are created by revision 0011's explicit ``op.create_table`` calls).

* ``ins_transactions`` — every transaction sent to the platform, one row per msgid (UNIQUE),
  written **before** it is sent (outcome ``sent``) and completed after (ok, rejected, not_sent,
  in_doubt; ``reversed`` when 2601 undid it). Personal fields masked, then sealed (SealedJson).
* ``ins_settlements`` — one row per visit and its settlement, with its state
  (sync_server/insurance/state.py; CHECK constraint). ``live_psn`` holds the person's ``psn_no``
  while the visit is open (registered … settling, in_doubt) and NULL after; it is UNIQUE, so a
  person has **one settlement at a time** (NULLs never collide, SQLite and PostgreSQL alike).
  ``settle_msgid`` is the msgid of the settlement request, recorded before it is sent.
* ``ins_recon_reports`` — the reconciliation reports (3201 / 3202) per day.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, Integer, MetaData, Numeric, String, Table, Text

from sync_server.store.sealing import SealedJson

metadata = MetaData()

AMOUNT = Numeric(18, 2)

#: Every settlement state (docs/INSURANCE.md "Settlement states").
STATES = ("registered", "fees_uploaded", "pre_settled", "settling", "settled", "cancelled", "reversed", "in_doubt",
          "cancelling", "cancel_in_doubt", "closed")
#: States in which the visit holds its person's one open settlement (``live_psn`` set).
OPEN_STATES = ("registered", "fees_uploaded", "pre_settled", "settling", "in_doubt")
#: Outcomes of a logged transaction.
OUTCOMES = ("sent", "ok", "rejected", "not_sent", "in_doubt", "reversed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


ins_transactions = Table(
    "ins_transactions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("msgid", String(40), nullable=False, unique=True),
    Column("infno", String(8), nullable=False),
    Column("opter", String(64), nullable=False),
    Column("settlement_id", Integer),
    Column("outcome", String(12), nullable=False),
    Column("infcode", String(8)),
    Column("err_msg", Text),
    Column("request_json", SealedJson, nullable=False),
    Column("output_json", SealedJson),
    Column("elapsed_ms", Integer),
    Column("created_at", String(17), nullable=False),
    Column("ended_at", String(17)),
    CheckConstraint(_in("outcome", OUTCOMES), name="ck_ins_transactions_outcome"),
    Index("ix_ins_transactions_created", "created_at"),
)

ins_settlements = Table(
    "ins_settlements", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("visit", String(12), nullable=False),  # outpatient | inpatient
    Column("state", String(16), nullable=False),
    Column("psn_no", String(30), nullable=False),
    Column("live_psn", String(30), unique=True),
    Column("insuplc_admdvs", String(6), nullable=False),
    Column("insutype", String(6), nullable=False),
    Column("mdtrt_id", String(30), nullable=False),
    Column("ipt_otp_no", String(30), nullable=False),
    Column("chrg_bchno", String(30)),
    Column("medfee_sumamt", AMOUNT),
    Column("fund_pay_sumamt", AMOUNT),
    Column("acct_pay", AMOUNT),
    Column("psn_cash_pay", AMOUNT),
    Column("setl_id", String(30)),
    Column("clr_type", String(6)),
    Column("clr_optins", String(6)),
    Column("settle_msgid", String(40), unique=True),
    Column("settle_attempts", Integer, nullable=False, default=0),
    Column("cancel_setl_id", String(30)),
    # migration 0014: the cancel's msgid (recorded before 2208/2305 is sent), the day its cancel
    # row counts in reconciliation, and the settlement list's id (4101)
    Column("cancel_msgid", String(40)),
    Column("cancel_day", String(10)),
    Column("setl_list_id", String(40)),
    Column("owner", String(32)),
    Column("caller", String(64), nullable=False),
    Column("opter", String(64), nullable=False),
    Column("request_json", SealedJson, nullable=False),
    Column("answer_json", SealedJson),
    Column("settle_day", String(10)),
    Column("note", Text),
    Column("created_at", String(17), nullable=False),
    Column("updated_at", String(17), nullable=False),
    CheckConstraint(_in("state", STATES), name="ck_ins_settlements_state"),
    CheckConstraint(_in("visit", ("outpatient", "inpatient")), name="ck_ins_settlements_visit"),
    Index("ix_ins_settlements_state", "state"),
    Index("ix_ins_settlements_day", "settle_day"),
)

ins_recon_reports = Table(
    "ins_recon_reports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),
    Column("created_at", String(17), nullable=False),
    Column("clean", Integer, nullable=False),
    Column("report_json", Text, nullable=False),
)
