"""Table definitions (SQLAlchemy Core). Money columns are Numeric, never float.

Uniqueness that carries the business rules (DESIGN.md §3):

* ``bills.busno_live`` is unique and holds the busNo of the one live bill of that busNo; a
  superseded emergency bill (carry-forward conflict) keeps ``bus_no`` but has ``busno_live``
  NULL, so both SQLite and PostgreSQL allow it (NULLs never collide).
* ``bills (bill_batch_code, bill_no)`` is unique: a number is issued once.
* ``outbox.idem_key`` is unique: one queued delivery per idempotency key.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from sync_server.store.bill_status import STATUS_COLUMNS, check_name, check_sql
from sync_server.store.person_digest import card_default, id_default, tel_default
from sync_server.store.sealing import SealedJson, SealedText

metadata = MetaData()

AMOUNT = Numeric(18, 2)
QTY = Numeric(18, 4)

callers = Table(
    "callers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("appid", String(64), nullable=False, unique=True),
    Column("secret", String(128), nullable=False),
    Column("name", String(100), nullable=False),
    Column("kind", String(16), nullable=False),  # his | terminal
    Column("sm2_public_key", String(200)),  # terminals: hex of the 64-byte public key
    Column("enabled", Integer, nullable=False, default=1),
    Column("last_seen", String(17)),
    Column("created_at", String(17), nullable=False),
)

caller_points = Table(
    "caller_points", metadata,
    Column("caller_id", Integer, ForeignKey("callers.id"), primary_key=True),
    Column("place_code", String(50), primary_key=True),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("role", String(16), nullable=False),  # cashier | finance | ward_nurse | admin | it
    Column("password_hash", String(200), nullable=False),
    Column("enabled", Integer, nullable=False, default=1),
    Column("created_at", String(17), nullable=False),
    # migration 0007: when the password was last set, and "must change at next login" (admin reset)
    Column("password_changed_at", String(17)),
    Column("must_change", Integer, nullable=False, default=0, server_default="0"),
)

#: Server sessions of terminal logins (migration 0007): only the SHA-256 of the token is kept.
sessions = Table(
    "sessions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("username", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("caller", String(64), nullable=False),  # the terminal (caller appid) that logged in
    Column("created_at", String(17), nullable=False),
    Column("expires_at", String(17), nullable=False),
    Column("revoked", Integer, nullable=False, default=0, server_default="0"),
)

billing_points = Table(
    "billing_points", metadata,
    Column("place_code", String(50), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("enabled", Integer, nullable=False, default=1),
)

bills = Table(
    "bills", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bus_no", String(50), nullable=False),
    Column("busno_live", String(50), unique=True),
    Column("method", String(64), nullable=False),
    Column("bus_type", String(20)),
    Column("bus_date_time", String(17)),
    Column("place_code", String(50), nullable=False),
    Column("caller_appid", String(64), nullable=False),
    # status columns: values in store/bill_status.py, written only through bills/state.py
    # pending (claimed, platform call in flight) | issued | void (emergency number voided)
    Column("state", String(16), nullable=False),
    Column("origin", String(16), nullable=False),  # online | emergency | terminal
    Column("in_doubt", Integer, nullable=False, default=0),
    # carry-forward of emergency bills: none | pending | done | conflict
    Column("carry", String(16), nullable=False, default="none"),
    Column("bill_batch_code", String(50)),
    Column("bill_no", String(20)),
    Column("random", String(20)),
    Column("create_time", String(17)),
    Column("total_amt", AMOUNT),
    Column("payer", String(100)),
    Column("card_type", String(10)),
    Column("card_no", SealedText),  # sealed with SM4 (store/sealing.py, migration 0008)
    Column("is_scarlet", Integer, nullable=False, default=0),
    Column("is_prt_paper", Integer, nullable=False, default=0),
    Column("p_bill_batch_code", String(50)),
    Column("p_bill_no", String(20)),
    Column("is_arrears", String(1)),
    Column("void_reason", String(250)),
    Column("sign_value", Text),
    Column("request_json", SealedJson, nullable=False),
    Column("answer_json", Text),  # the issue answer (B-1) as returned to the caller
    Column("owner", String(40)),  # server instance that holds a pending claim
    Column("batch_no", String(60)),
    Column("created_at", String(17), nullable=False),
    Column("updated_at", String(17), nullable=False),
    # keyed digests of the payer's ID number, phone, card number (store/person_digest.py, migration 0016)
    Column("id_digest", String(64), default=id_default),
    Column("tel_digest", String(64), default=tel_default),
    Column("card_digest", String(64), default=card_default),
    # migration 0018 (issue 18 §3): the request's payee (收费员), so hospital-wide reports filter
    # and group by cashier in SQL (request_json is sealed JSON, not queryable)
    Column("payee", String(50)),
    UniqueConstraint("bill_batch_code", "bill_no", name="uq_bills_number"),
    # allowed values of the six status columns (store/bill_status.py; migration 0006 for old databases)
    *(CheckConstraint(check_sql(c), name=check_name(c)) for c in STATUS_COLUMNS),
)
Index("ix_bills_bus_no", bills.c.bus_no)
Index("ix_bills_place_day", bills.c.place_code, bills.c.bus_date_time)
Index("ix_bills_state", bills.c.state)
Index("ix_bills_id_digest", bills.c.id_digest)
Index("ix_bills_tel_digest", bills.c.tel_digest)
Index("ix_bills_card_digest", bills.c.card_digest)
Index("ix_bills_payer", bills.c.payer)
Index("ix_bills_create_time", bills.c.create_time)  # migration 0018: reports by issue time

bill_items = Table(
    "bill_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bill_id", Integer, ForeignKey("bills.id"), nullable=False, index=True),
    Column("kind", String(8), nullable=False),  # charge | list
    Column("sort_no", Integer),
    Column("charge_code", String(50)),
    Column("name", String(100)),
    Column("unit", String(20)),
    Column("std", QTY),
    Column("number", QTY),
    Column("amt", QTY),
    Column("self_amt", QTY),
)

pay_channels = Table(
    "pay_channels", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bill_id", Integer, ForeignKey("bills.id"), nullable=False, index=True),
    Column("code", String(10), nullable=False),
    Column("value", AMOUNT, nullable=False),
)

red_bills = Table(
    "red_bills", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bill_id", Integer, ForeignKey("bills.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),  # the method that made it: writeOffEBill | ... | invalidPaper
    Column("state", String(16), nullable=False),  # queued | issued
    Column("bill_batch_code", String(50)),
    Column("bill_no", String(20)),
    Column("random", String(20)),
    Column("create_time", String(17)),
    Column("total_amt", AMOUNT),  # negative: a red bill refunds its blue bill (spec §10 totals)
    Column("bus_date_time", String(17)),  # busDateTime of the write-off request
    Column("reason", String(250)),
    Column("operator", String(60)),
    Column("answer_json", Text),
    Column("created_at", String(17), nullable=False),
)

paper_bills = Table(
    "paper_bills", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bill_id", Integer, ForeignKey("bills.id")),
    Column("p_bill_batch_code", String(50), nullable=False),
    Column("p_bill_no", String(20), nullable=False),
    Column("place_code", String(50)),
    Column("state", String(16), nullable=False),  # issued | void | blank_void
    Column("reason", String(250)),
    Column("created_at", String(17), nullable=False),
)
Index("ix_paper_number", paper_bills.c.p_bill_batch_code, paper_bills.c.p_bill_no)

stock_ranges = Table(
    "stock_ranges", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("place_code", String(50), nullable=False),
    Column("bill_code", String(50)),
    Column("bill_batch_code", String(50), nullable=False),
    Column("bgn_no", String(20), nullable=False),
    Column("end_no", String(20), nullable=False),
    Column("next_no", Integer, nullable=False),  # next unused number (int of bill_no)
    Column("kind", String(24), nullable=False),  # emergency_server | emergency_terminal
    Column("holder", String(64)),  # terminal appid for blocks handed to terminals
    Column("state", String(16), nullable=False),  # active | returned | revoked
    Column("reserved_at", String(17), nullable=False),
    UniqueConstraint("bill_batch_code", "bgn_no", name="uq_stock_block"),
)

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("group_key", String(80), nullable=False),  # in-order delivery per bill (busNo)
    Column("kind", String(24), nullable=False),
    Column("method", String(64), nullable=False),
    Column("payload_json", SealedJson, nullable=False),
    Column("idem_key", String(120), nullable=False, unique=True),
    Column("state", String(12), nullable=False),  # pending | done | dead
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_at", Float, nullable=False, default=0.0),
    Column("last_error", Text),
    Column("created_at", String(17), nullable=False),
    Column("done_at", String(17)),
)
Index("ix_outbox_pending", outbox.c.state, outbox.c.next_at)
Index("ix_outbox_group", outbox.c.group_key, outbox.c.id)
Index("ix_outbox_state_id", outbox.c.state, outbox.c.id)  # migration 0004: due items in id order
Index("ix_outbox_state_kind_id", outbox.c.state, outbox.c.kind, outbox.c.id)  # ... of some kinds

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(17), nullable=False),
    Column("actor", String(64), nullable=False),  # user name, or the caller appid, or "server"
    Column("caller", String(64)),
    Column("terminal", String(64)),
    Column("action", String(48), nullable=False),
    Column("entity", String(24), nullable=False),
    Column("entity_id", String(80)),
    Column("before_json", Text),
    Column("after_json", Text),
    # SM3 hash chain (security/audit_chain.py, migration 0007): prev_hash is the row_hash of the
    # row before (in id order), row_hash covers prev_hash and every column above but id
    Column("prev_hash", String(64)),
    Column("row_hash", String(64)),
)
Index("ix_audit_entity", audit_log.c.entity, audit_log.c.entity_id)

batches = Table(
    "batches", metadata,
    Column("batch_no", String(60), primary_key=True),
    Column("caller_appid", String(64), nullable=False),
    Column("method", String(64), nullable=False),
    Column("request_json", SealedJson, nullable=False),
    Column("state", String(12), nullable=False),  # pending | done
    Column("created_at", String(17), nullable=False),
    Column("owner", String(40)),  # instance of the process running it (store/liveness.py)
)

conflicts = Table(
    "conflicts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bill_id", Integer, ForeignKey("bills.id"), nullable=False),
    Column("bus_no", String(50), nullable=False),
    Column("emergency_batch_code", String(50)),
    Column("emergency_no", String(20)),
    Column("platform_batch_code", String(50)),
    Column("platform_no", String(20)),
    Column("detail", Text),
    Column("notice", String(16), nullable=False),  # queued | no_contact
    Column("at", String(17), nullable=False),
)

recon_reports = Table(
    "recon_reports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),
    Column("created_at", String(17), nullable=False),
    Column("clean", Integer, nullable=False),
    Column("report_json", Text, nullable=False),
)

#: The audit chain's head is the ``settings`` row named AUDIT_HEAD (security/audit.py), locked
#: FOR UPDATE on PostgreSQL while a transaction appends to the chain.
AUDIT_HEAD = "audit_chain_head"
#: The ``settings`` row holding the data key's check value (store/sealing.py; never the key).
DATA_KEY_CHECK = "data_key_check"

settings = Table(
    "settings", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

#: Tables whose every change must be accompanied by an audit row in the same transaction.
AUDITED = frozenset({
    "callers", "caller_points", "users", "billing_points", "bills", "red_bills", "paper_bills",
    "stock_ranges", "conflicts", "batches", "charge_items", "sessions",
    # insurance (issue 16 §3; store/insurance_schema.py): every transaction and settlement change
    "ins_transactions", "ins_settlements", "ins_recon_reports",
    # terminal management web (issue 19 §1; store/admin_schema.py): what is pushed to terminals
    "terminal_settings",
    # base information and configuration (issue 18 §4; store/baseinfo_schema.py)
    "fin_base_info", "departments", "checkers", "common_payers", "item_groups",
    # bill stock lifecycle (issue 18 §2; store/stock_schema.py)
    "stock_lots", "stock_pieces", "stock_moves", "stock_applies", "stock_thresholds",
    # the settlement vouchers (issue 16 §2; store/voucher_schema.py)
    "ins_vouchers",
})
