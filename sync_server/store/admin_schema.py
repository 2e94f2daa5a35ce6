"""Tables of the terminal-management web (issue 19 §1), in their own ``MetaData`` (like
emergency_schema.py and insurance_schema.py: revision 0001 creates schema.py's tables from
today's definitions, so these are created by revision 0013's explicit calls).

* ``terminal_settings`` — what the management web pushes to the terminals of one scene
  (billing_core.terminal_params): one row per ``name`` — ``functions.<scene>``,
  ``params.<scene>``, ``upgrade.<scene>`` — holding its JSON value and a ``version`` taken from a
  counter shared by every row, so a terminal's delivered ``terminalConfig`` version is the
  highest version of its scene's rows and grows with every change. Audited.

``terminal_status.config_version`` (also revision 0013) records the version a terminal reports
having applied, for the web's terminal pages.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

metadata = MetaData()

terminal_settings = Table(
    "terminal_settings", metadata,
    Column("name", String(40), primary_key=True),
    Column("value_json", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", String(17), nullable=False),
    Column("updated_by", String(64), nullable=False),
)
