"""Qt-free sessions for the cashier window and the finance office (issue 8).

Issuing is not here: the window issues through :class:`workflows.issuing.IssuingWorkflow`, the
one path every terminal uses (online, in-doubt lookup, emergency stock, local idempotency), and
every server call goes through the terminal's one :class:`workflows.sync_client.SyncClient`.
What is the window's own lives here as plain Python: login and idle lock, the bill entry form
with live totals, batch import, paper exchange / reprint / void, write-off, queries, notice push
and the daily report over the terminal store. cashier_app is a thin Qt layer over these objects;
every rule is tested without Qt (tests/unit/workflows/cashier).
"""
