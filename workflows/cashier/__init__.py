"""Qt-free sessions for the cashier window and the finance office (issue 8).

Everything a cashier does that is not issuing-engine, emergency or sync work lives here as plain
Python: login and idle lock, the bill entry form with live totals, batch import, paper exchange /
reprint / void, write-off, queries and the daily report. cashier_app is a thin Qt layer over these
objects; every rule is tested without Qt (tests/unit/workflows/cashier).
"""
