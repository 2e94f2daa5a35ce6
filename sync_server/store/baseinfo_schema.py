"""Base information and configuration kept by the server for the finance office (issue 18 §4).

Its own ``MetaData`` like catalog_schema.py: revision 0001 creates schema.py's tables from their
current definitions, so a table added there would exist before revision 0018 creates it.

* ``fin_base_info`` — what the finance platform's base-info download answered (单位信息, 票据种类,
  收入项目), one row per (kind, code), replaced as a whole on each download.
* ``departments`` (科室), ``checkers`` (复核人: a bill of the kinds in
  :data:`CHECKED_METHODS` must name an enabled one), ``common_payers`` (常用交款人),
  ``item_groups`` (收费项目组合: charge codes with quantities as JSON).
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

metadata = MetaData()

#: the downloaded kinds of base information
BASE_KINDS = ("unit", "bill_kind", "income_item")

fin_base_info = Table(
    "fin_base_info", metadata,
    Column("kind", String(16), primary_key=True),  # unit | bill_kind | income_item
    Column("code", String(50), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("parent_code", String(50)),
    Column("detail_json", Text, nullable=False),  # the platform's row as answered
    Column("downloaded_at", String(17), nullable=False),
)

departments = Table(
    "departments", metadata,
    Column("code", String(50), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("enabled", Integer, nullable=False, server_default="1"),
)

checkers = Table(
    "checkers", metadata,
    Column("code", String(50), primary_key=True),
    Column("name", String(60), nullable=False, unique=True),  # as sent in a bill's ``checker``
    Column("enabled", Integer, nullable=False, server_default="1"),
)

common_payers = Table(
    "common_payers", metadata,
    Column("code", String(50), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("payer_type", String(2), nullable=False, server_default="2"),  # 1 person, 2 organisation
    Column("enabled", Integer, nullable=False, server_default="1"),
)

item_groups = Table(
    "item_groups", metadata,
    Column("code", String(50), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("items_json", Text, nullable=False),  # [{"chargeCode": "...", "number": "1"}]
    Column("enabled", Integer, nullable=False, server_default="1"),
)

#: The configuration tables the finance screens edit, by the name the terminal api uses.
CONFIG_TABLES = {"departments": departments, "checkers": checkers, "commonPayers": common_payers,
                 "itemGroups": item_groups}
