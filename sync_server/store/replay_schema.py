"""The replay guard's table (issue 14 §7), in its own ``MetaData`` like emergency_schema.py.

Revision 0001 creates schema.py's tables from the current definitions; this table is created by
revision 0007 with an explicit ``op.create_table``.

* ``request_noises`` — one row per accepted signed request: the caller's appid and a digest of
  the envelope's noise and signature, UNIQUE together (the database refuses the second insert,
  whichever server process makes it), with the epoch second after which the row may be purged.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, UniqueConstraint

metadata = MetaData()

request_noises = Table(
    "request_noises", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("appid", String(64), nullable=False),
    Column("digest", String(64), nullable=False),  # SHA-256 hex of noise + NUL + sign
    Column("expires_at", BigInteger, nullable=False),  # epoch seconds
    UniqueConstraint("appid", "digest", name="uq_request_noises_appid_digest"),
)
Index("ix_request_noises_expires", request_noises.c.expires_at)
