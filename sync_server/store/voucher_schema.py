"""The insurance settlement vouchers (issue 16 §2, seed 002) in their own ``MetaData`` (like
insurance_schema.py: revision 0017 creates the table with explicit ``op.create_table`` calls).

``ins_vouchers`` — one row per (settlement, flag): the normal voucher (flag 0) of the settlement's
bill and, after a refund, its red-flush voucher (flag 1). ``state``: queued (in the outbox) ->
uploaded (4901 / 4905 accepted) | refused (the centre refused for good; a re-upload may follow).
Audited (schema.AUDITED).
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

#: Voucher states (docs/INSURANCE.md §13.4).
VOUCHER_STATES = ("queued", "uploaded", "refused")

ins_vouchers = Table(
    "ins_vouchers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("settlement_id", Integer, nullable=False),
    Column("flag", String(1), nullable=False),  # elec_setl_cert_flag: 0 normal, 1 red flush
    Column("bill_batch_code", String(50), nullable=False),
    Column("bill_no", String(20), nullable=False),
    Column("state", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("upload_count", Integer, nullable=False, default=0),
    Column("message", Text),
    Column("result_json", Text),
    Column("caller", String(64), nullable=False),
    Column("created_at", String(17), nullable=False),
    Column("updated_at", String(17), nullable=False),
    UniqueConstraint("settlement_id", "flag", name="uq_ins_vouchers_settlement_flag"),
    CheckConstraint("state IN ('queued', 'uploaded', 'refused')", name="ck_ins_vouchers_state"),
    CheckConstraint("flag IN ('0', '1')", name="ck_ins_vouchers_flag"),
)
