"""The charge-item catalog the server hands terminals (应急开票基础信息), kept apart from schema.py.

Its own ``MetaData`` for the same reason as emergency_schema.py: revision 0001 creates schema.py's
tables from their current definitions, so a table added there would exist before revision 0003
creates it. Revision 0003 creates ``charge_items`` explicitly.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table

metadata = MetaData()

charge_items = Table(
    "charge_items", metadata,
    Column("charge_code", String(50), primary_key=True),  # the finance charge code (chargeCode)
    Column("name", String(100), nullable=False),
    Column("unit", String(20), nullable=False, server_default="项"),
    Column("std", Numeric(14, 2), nullable=False, server_default="0"),  # standard price; 0 = priced per visit
    Column("initials", String(20), nullable=False, server_default=""),  # pinyin initials typed at windows
    Column("enabled", Integer, nullable=False, server_default="1"),
)
