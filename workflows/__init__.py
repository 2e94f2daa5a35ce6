"""Qt-free session layer shared by the cashier app, the kiosk app and the headless terminal runtime.

Shared by every terminal (never import :mod:`workflows.cashier` or :mod:`workflows.demo`):

* :mod:`workflows.issuing` — :class:`~workflows.issuing.IssuingWorkflow`: online bills through the
  sync server, emergency bills from local stock when it is unreachable, notices, status snapshot.
* :mod:`workflows.sync_client` / :mod:`workflows.link` — the platform envelope to the sync server
  behind a circuit breaker, with link up/down events; :mod:`workflows.link_monitor` relays them
  and runs the background round for a GUI; :mod:`workflows.server_api` unwraps answers.
* :mod:`workflows.paper`, :mod:`workflows.writeoff`, :mod:`workflows.records`,
  :mod:`workflows.delivery`, :mod:`workflows.documents`, :mod:`workflows.online_stock`,
  :mod:`workflows.catalog`, :mod:`workflows.events`, :mod:`workflows.session_errors` — paper
  exchange, write-off, the terminal's bill records, notice push, printed documents, online stock,
  the charge-item catalog, session events and their errors.
* :mod:`workflows.emergency` — limits, the hash-chained journal writer, stock, upload.
* :mod:`workflows.terminal` — the one terminal config and builder, and the headless runtime
  ``python -m workflows.terminal --config FILE``.

The cashier window's own sessions are in :mod:`workflows.cashier`; the fakes of demo mode and tests
in :mod:`workflows.demo`. Imports only billing_core, devices, offline_store and print_templates of
ours (DESIGN.md §2).
"""
